// The synthetic trace generator; see synthetic_trace.h.
#include "synthetic_trace.h"

#include <QFile>
#include <string>

namespace mabeam::viz::test {

bool write_synthetic_trace(const QString& path, int nodes, int events, std::uint64_t seed) {
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
  std::uint64_t s = seed;
  auto rnd = [&](std::uint64_t n) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (s >> 33) % n;
  };
  auto name = [](int i) { return "n" + std::to_string(i + 1); };
  std::string out;
  out.reserve(1 << 22);
  out += R"({"trace":"mabeam","version":1,"source":"sim","seed":)" + std::to_string(seed) + R"(,"scenario":"synthetic","nodes":[)";
  for (int i = 0; i < nodes; ++i) out += (i ? ",\"" : "\"") + name(i) + "\"";
  out += "]}\n";
  const std::int64_t step_us = 100;  // 10^6 events over 100 s
  const int half = nodes / 2;
  std::int64_t t = 0;
  int written = 0;
  std::uint64_t id = 0;
  bool partitioned = false, healed = false, crashed = false, restarted = false;
  auto line = [&](const std::string& body) {
    out += "{\"t\":" + std::to_string(t) + "," + body + "}\n";
    ++written;
    if (out.size() > (1u << 22)) {
      f.write(out.data(), static_cast<qint64>(out.size()));
      out.clear();
    }
  };
  while (written < events) {
    t += step_us;
    const double at = static_cast<double>(written) / events;
    if (!partitioned && at > 0.3) {
      partitioned = true;
      std::string g1, g2;
      for (int i = 0; i < nodes; ++i) (i < half ? g1 : g2) += std::string(((i < half ? g1 : g2).empty() ? "\"" : ",\"")) + name(i) + "\"";
      line(R"("node":"sim","ev":"partition","groups":[[)" + g1 + "],[" + g2 + "]]");
      continue;
    }
    if (!crashed && at > 0.4) {
      crashed = true;
      line(R"("node":"n2","ev":"node_crash")");
      continue;
    }
    if (!restarted && at > 0.5) {
      restarted = true;
      line(R"("node":"n2","ev":"node_restart")");
      continue;
    }
    if (!healed && at > 0.6) {
      healed = true;
      line(R"("node":"sim","ev":"heal")");
      continue;
    }
    const int a = static_cast<int>(rnd(static_cast<std::uint64_t>(nodes)));
    int b = static_cast<int>(rnd(static_cast<std::uint64_t>(nodes - 1)));
    if (b >= a) ++b;
    const std::uint64_t r = rnd(100);
    if (r < 80 && written + 1 < events) {
      // A message and its receipt a little later (kept in time order by sharing t + 1).
      ++id;
      const char* type = r < 40 ? "ping" : r < 60 ? "ack" : "gossip";
      line("\"node\":\"" + name(a) + R"(","ev":"msg_send","to":")" + name(b) + R"(","type":")" + type + R"(","bytes":64,"id":)" + std::to_string(id));
      t += 1;
      line("\"node\":\"" + name(b) + R"(","ev":"msg_recv","from":")" + name(a) + R"(","type":")" + type + R"(","id":)" + std::to_string(id));
    } else if (r < 92) {
      static const char* states[] = {"active", "suspect", "active", "down"};
      line("\"node\":\"" + name(a) + R"(","ev":"member","subject":")" + name(b) + R"(","state":")" + states[rnd(4)] + R"(","incarnation":)" + std::to_string(rnd(3)));
    } else {
      line("\"node\":\"" + name(a) + R"(","ev":"var_write","var":"x)" + std::to_string(rnd(4)) + R"(","value":)" + std::to_string(rnd(1000)) + R"(,"op":"set","ok":true)");
    }
  }
  f.write(out.data(), static_cast<qint64>(out.size()));
  return f.error() == QFile::NoError;
}

}  // namespace mabeam::viz::test
