// Running sweep seeds, shard results and their merge (see sweep.h).
#include "sim/sweep.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "sim/runner.h"
#include "sim/selectors.h"
#include "sim/swarm.h"

namespace mabeam::sim {

namespace {

using nlohmann::json;

constexpr std::uint64_t kMergeSeedsMax = 10'000'000;
constexpr std::size_t kRangesShownMax = 20;

std::string file_stem(const std::string& name) {
  std::string out;
  for (char c : name)
    out += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ? c : '_';
  return out.empty() ? "scenario" : out;
}

}  // namespace

SeedResult run_seed(const SweepSetup& setup, std::uint64_t seed) {
  SeedResult out;
  out.seed = seed;
  RunOptions options;
  options.seed = seed;
  options.keep_trace = false;
  RunResult r;
  nlohmann::ordered_json doc;
  if (!setup.swarm) {
    r = run_scenario(*setup.scenario, options);
    out.replay = replay_command(r);
  } else {
    const SwarmDraw draw = draw_swarm(*setup.scenario, seed);
    out.drawn = draw.summary();
    doc = swarm_document(setup.document, draw, seed);
    auto drawn = parse_scenario(doc.dump(), setup.file + " (swarm seed " + std::to_string(seed) + ")");
    if (!drawn) {
      out.error = "internal error: the scenario drawn for this seed does not load: " + drawn.status().message();
      return out;
    }
    r = run_scenario(*drawn, options);
  }
  out.ok = r.ok;
  out.error = r.error;
  out.trace_sha256 = r.trace_sha256;
  out.wall_ms = r.wall_ms;
  out.sim_time_us = r.sim_time_us;
  for (const auto& c : r.checks)
    if (!c.ok) out.failed.push_back(c);
  if (setup.swarm && !r.ok) {
    out.file = setup.out_dir + "/" + file_stem(setup.scenario->name) + "-seed" + std::to_string(seed) + ".json";
    std::ofstream f(out.file, std::ios::binary | std::ios::trunc);
    f << resolve_document(doc, r.choices).dump(2) << "\n";
    if (!f) {
      out.error = "cannot write " + out.file + ": " + std::strerror(errno);
      out.file.clear();
    }
    out.replay = "mabeam sim " + (out.file.empty() ? std::string("<not written>") : out.file);
  }
  return out;
}

void record(SweepReport& report, const SeedResult& r) {
  if (r.ok) {
    ++report.passed;
  } else {
    ++report.failed;
    for (const auto& c : r.failed) ++report.failures_by_check[c.check];
    if (r.failed.empty()) ++report.failures_by_check["error"];
    report.failures.push_back(r);
  }
  report.sim_s += static_cast<double>(r.sim_time_us) / 1e6;
}

nlohmann::ordered_json report_to_json(const SweepReport& rep) {
  nlohmann::ordered_json j;
  j["sweep"] = "mabeam";
  j["version"] = 1;
  j["scenario"] = rep.scenario;
  j["file"] = rep.file;
  j["scenario_sha256"] = rep.scenario_sha256;
  j["swarm"] = rep.swarm;
  j["seeds"] = {{"from", rep.seeds_from}, {"to", rep.seeds_to}};
  j["shard"] = {{"index", rep.shard_index}, {"count", rep.shard_count}};
  j["seeds_run"] = nlohmann::ordered_json::array();
  for (const auto& s : rep.seeds_run) j["seeds_run"].push_back({s.first, s.last, s.step});
  j["passed"] = rep.passed;
  j["failed"] = rep.failed;
  j["failures"] = nlohmann::ordered_json::array();
  for (const auto& f : rep.failures) {
    nlohmann::ordered_json e;
    e["seed"] = f.seed;
    e["checks"] = nlohmann::ordered_json::array();
    for (const auto& c : f.failed) e["checks"].push_back({{"check", c.check}, {"detail", c.detail}});
    if (!f.error.empty()) e["error"] = f.error;
    e["replay"] = f.replay;
    if (!f.file.empty()) e["file"] = f.file;
    e["trace_sha256"] = f.trace_sha256;
    if (!f.drawn.empty()) e["drawn"] = f.drawn;
    j["failures"].push_back(std::move(e));
  }
  j["failures_by_check"] = nlohmann::ordered_json::object();
  for (const auto& [check, n] : rep.failures_by_check) j["failures_by_check"][check] = n;
  const double seeds = static_cast<double>(rep.passed + rep.failed);
  const double per_s = rep.wall_s > 0 ? seeds / rep.wall_s : 0.0;
  j["figures"] = {{"wall_s", rep.wall_s}, {"jobs", rep.jobs}, {"seeds_per_s", per_s},
                  {"seeds_per_s_per_job", per_s / std::max(1u, rep.jobs)}, {"sim_s", rep.sim_s}};
  return j;
}

Result<SweepReport> report_from_json(const json& j, const std::string& source) {
  auto bad = [&](const std::string& what) { return Status::invalid(source + ": " + what); };
  if (!j.is_object() || j.value("sweep", "") != "mabeam" || !j.contains("version"))
    return bad("not a mabeam sweep results file (expected {\"sweep\": \"mabeam\", \"version\": 1, ...}, as "
               "`mabeam sweep --json` writes)");
  if (j["version"] != 1) return bad("results version " + j["version"].dump() + ", expected 1");
  SweepReport r;
  try {
    r.scenario = j.at("scenario").get<std::string>();
    r.file = j.at("file").get<std::string>();
    r.scenario_sha256 = j.at("scenario_sha256").get<std::string>();
    r.swarm = j.at("swarm").get<bool>();
    r.seeds_from = j.at("seeds").at("from").get<std::uint64_t>();
    r.seeds_to = j.at("seeds").at("to").get<std::uint64_t>();
    r.shard_index = j.at("shard").at("index").get<std::uint64_t>();
    r.shard_count = j.at("shard").at("count").get<std::uint64_t>();
    for (const auto& s : j.at("seeds_run")) {
      SeedRange range{s.at(0).get<std::uint64_t>(), s.at(1).get<std::uint64_t>(), s.at(2).get<std::uint64_t>()};
      if (range.step == 0 || range.last < range.first) return bad("seeds_run: a range with step 0 or last before first");
      r.seeds_run.push_back(range);
    }
    r.passed = j.at("passed").get<std::uint64_t>();
    r.failed = j.at("failed").get<std::uint64_t>();
    for (const auto& f : j.at("failures")) {
      SeedResult s;
      s.seed = f.at("seed").get<std::uint64_t>();
      for (const auto& c : f.at("checks")) s.failed.push_back({c.at("check").get<std::string>(), false, c.at("detail").get<std::string>()});
      s.error = f.value("error", "");
      s.replay = f.at("replay").get<std::string>();
      s.file = f.value("file", "");
      s.trace_sha256 = f.value("trace_sha256", "");
      s.drawn = f.value("drawn", "");
      r.failures.push_back(std::move(s));
    }
    for (const auto& [check, n] : j.at("failures_by_check").items()) r.failures_by_check[check] = n.get<std::uint64_t>();
    const json& fig = j.at("figures");
    r.wall_s = fig.at("wall_s").get<double>();
    r.sim_s = fig.at("sim_s").get<double>();
    r.jobs = fig.at("jobs").get<unsigned>();
  } catch (const json::exception& e) {
    return bad(std::string("malformed results: ") + e.what());
  }
  return r;
}

Result<MergedSweep> merge_reports(const std::vector<SweepReport>& shards) {
  if (shards.empty()) return Status::invalid("no shard results to merge");
  MergedSweep m;
  SweepReport& t = m.total;
  const SweepReport& first = shards.front();
  t.scenario = first.scenario;
  t.file = first.file;
  t.scenario_sha256 = first.scenario_sha256;
  t.swarm = first.swarm;
  t.seeds_from = first.seeds_from;
  t.seeds_to = first.seeds_to;
  t.shard_count = shards.size();
  t.jobs = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> asked;  // the ranges asked for
  std::vector<std::uint64_t> seeds;
  for (const auto& s : shards) {
    if (s.scenario_sha256 != first.scenario_sha256 || s.swarm != first.swarm)
      return Status::invalid("shards of different sweeps: " + s.file + " (" + s.scenario + (s.swarm ? ", swarm" : "") +
                             ", sha256 " + s.scenario_sha256.substr(0, 12) + ") and " + first.file + " (" +
                             first.scenario + (first.swarm ? ", swarm" : "") + ", sha256 " +
                             first.scenario_sha256.substr(0, 12) + ")");
    asked.emplace_back(s.seeds_from, s.seeds_to);
    t.seeds_from = std::min(t.seeds_from, s.seeds_from);
    t.seeds_to = std::max(t.seeds_to, s.seeds_to);
    for (const auto& r : s.seeds_run) {
      for (std::uint64_t x = r.first; x <= r.last; x += r.step) {
        if (seeds.size() >= kMergeSeedsMax) return Status::invalid("more than 10^7 seeds to merge");
        seeds.push_back(x);
        if (r.last - x < r.step) break;
      }
    }
    t.passed += s.passed;
    t.failed += s.failed;
    t.failures.insert(t.failures.end(), s.failures.begin(), s.failures.end());
    for (const auto& [check, n] : s.failures_by_check) t.failures_by_check[check] += n;
    t.wall_s = std::max(t.wall_s, s.wall_s);  // shards run side by side
    t.sim_s += s.sim_s;
    t.jobs += s.jobs;
  }
  std::sort(t.failures.begin(), t.failures.end(), [](const SeedResult& a, const SeedResult& b) { return a.seed < b.seed; });
  std::sort(seeds.begin(), seeds.end());
  auto push = [](std::vector<SeedRange>& into, std::uint64_t x) {
    if (!into.empty() && into.back().last + 1 == x) into.back().last = x;
    else if (into.empty() || into.back().last < x) into.push_back({x, x, 1});
  };
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    if (i > 0 && seeds[i] == seeds[i - 1]) push(m.duplicated, seeds[i]);
    else push(t.seeds_run, seeds[i]);
  }
  // Seeds asked for and run by none: the asked ranges, joined, against the run ones.
  std::sort(asked.begin(), asked.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> joined;
  for (const auto& [from, to] : asked) {
    if (!joined.empty() && from <= joined.back().second + 1) joined.back().second = std::max(joined.back().second, to);
    else joined.emplace_back(from, to);
  }
  const auto& run = t.seeds_run;
  std::size_t j = 0;
  for (const auto& [from, to] : joined) {
    while (j < run.size() && run[j].last < from) ++j;
    std::uint64_t x = from;  // the first seed of [from, to] not yet accounted for
    while (x <= to) {
      if (j < run.size() && run[j].first <= x) {
        if (run[j].last >= to) break;
        x = run[j].last + 1;
        ++j;
        continue;
      }
      const std::uint64_t gap_end = j < run.size() && run[j].first <= to ? run[j].first - 1 : to;
      m.uncovered.push_back({x, gap_end, 1});
      if (gap_end == to) break;
      x = gap_end + 1;
    }
  }
  return m;
}

std::string ranges_text(const std::vector<SeedRange>& ranges) {
  std::string out;
  for (std::size_t i = 0; i < ranges.size() && i < kRangesShownMax; ++i) {
    if (i) out += ", ";
    out += std::to_string(ranges[i].first);
    if (ranges[i].last != ranges[i].first) out += ".." + std::to_string(ranges[i].last);
  }
  if (ranges.size() > kRangesShownMax) out += ", ... (" + std::to_string(ranges.size() - kRangesShownMax) + " more ranges)";
  return out;
}

std::string by_check_text(const std::map<std::string, std::uint64_t>& by_check) {
  std::vector<std::pair<std::string, std::uint64_t>> items(by_check.begin(), by_check.end());
  std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (const auto& [check, n] : items) out += (out.empty() ? "" : ", ") + check + " " + std::to_string(n);
  return out;
}

}  // namespace mabeam::sim
