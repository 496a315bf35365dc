// `mabeam sweep`: one scenario over a range of seeds (sim/sweep.h), optionally drawing each
// seed's own faults from the scenario's swarm block (--swarm), one shard of the range
// (--shard I/N), results as JSON (--json), and the merge of shard results (--merge).
// Exit codes: 0 every seed holds, 1 a seed failed, 2 bad input; a merge also exits 2 when
// the shards leave seeds of the range unrun or run a seed twice.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "app/cli_parse.h"
#include "app/commands.h"
#include "sim/sha256.h"
#include "sim/sweep.h"

namespace mabeam::app {

namespace {

namespace fs = std::filesystem;

bool parse_seeds(const std::string& text, std::uint64_t& a, std::uint64_t& b) {
  const auto dots = text.find("..");
  if (dots == std::string::npos) return false;
  const std::string lo = text.substr(0, dots), hi = text.substr(dots + 2);
  const bool digits = !lo.empty() && !hi.empty() && lo.size() <= 19 && hi.size() <= 19 &&
                      lo.find_first_not_of("0123456789") == std::string::npos &&
                      hi.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) return false;
  a = std::strtoull(lo.c_str(), nullptr, 10);
  b = std::strtoull(hi.c_str(), nullptr, 10);
  return a <= b;
}

std::string first_failure(const sim::SeedResult& r) {
  if (!r.error.empty() && r.failed.empty()) return r.error;
  std::string out = r.failed.empty() ? std::string("failed") : r.failed.front().check + ": " + r.failed.front().detail;
  if (r.failed.size() > 1) out += " (and " + std::to_string(r.failed.size() - 1) + " more checks)";
  return out;
}

void print_failures(std::FILE* out, const sim::SweepReport& rep) {
  for (const auto& f : rep.failures) {
    std::fprintf(out, "seed %llu: FAIL %s\n", static_cast<unsigned long long>(f.seed), first_failure(f).c_str());
    if (!f.drawn.empty()) std::fprintf(out, "  drew: %s\n", f.drawn.c_str());
    if (!f.error.empty() && !f.failed.empty()) std::fprintf(out, "  error: %s\n", f.error.c_str());
    std::fprintf(out, "  replay: %s\n", f.replay.c_str());
  }
}

void print_summary(std::FILE* out, const sim::SweepReport& rep) {
  std::fprintf(out, "%llu passed, %llu failed\n", static_cast<unsigned long long>(rep.passed),
               static_cast<unsigned long long>(rep.failed));
  if (rep.failed) std::fprintf(out, "failures by check: %s\n", sim::by_check_text(rep.failures_by_check).c_str());
}

int merge(const std::vector<std::string>& files, bool json) {
  std::vector<sim::SweepReport> shards;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "mabeam sweep --merge: cannot read %s: %s\n", f.c_str(), std::strerror(errno));
      return 2;
    }
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
      std::fprintf(stderr, "mabeam sweep --merge: %s: invalid JSON: %s\n", f.c_str(), e.what());
      return 2;
    }
    auto r = sim::report_from_json(j, f);
    if (!r) {
      std::fprintf(stderr, "mabeam sweep --merge: %s\n", r.status().message().c_str());
      return 2;
    }
    shards.push_back(std::move(*r));
  }
  auto merged = sim::merge_reports(shards);
  if (!merged) {
    std::fprintf(stderr, "mabeam sweep --merge: %s\n", merged.status().message().c_str());
    return 2;
  }
  const sim::SweepReport& t = merged->total;
  std::FILE* text = json ? stderr : stdout;
  std::fprintf(text, "merged %zu shard results of %s%s, seeds %llu..%llu\n", shards.size(), t.scenario.c_str(),
               t.swarm ? " (swarm)" : "", static_cast<unsigned long long>(t.seeds_from),
               static_cast<unsigned long long>(t.seeds_to));
  print_failures(text, t);
  print_summary(text, t);
  if (!merged->uncovered.empty())
    std::fprintf(text, "seeds no shard covered: %s\n", sim::ranges_text(merged->uncovered).c_str());
  if (!merged->duplicated.empty())
    std::fprintf(text, "seeds two shards covered: %s\n", sim::ranges_text(merged->duplicated).c_str());
  if (json) std::printf("%s\n", sim::report_to_json(t).dump(2).c_str());
  if (!merged->uncovered.empty() || !merged->duplicated.empty()) return 2;
  return t.failed ? 1 : 0;
}

}  // namespace

int cmd_sweep(int argc, char** argv) {
  CLI::App app(
      "Runs one scenario over a range of seeds and prints the failing seeds with the command\n"
      "that replays each; the last lines count them: 'N passed, M failed' and the failures by\n"
      "check. --swarm: each seed also draws its own faults within the scenario's swarm block\n"
      "(DESIGN.md, 'Exploring seeds'), and a failing seed writes the exact scenario it ran to\n"
      "--out-dir, which `mabeam sim` replays to the same trace. --shard I/N runs every N-th seed\n"
      "starting at the I-th (1-based), so N machines can split one range; --json prints the\n"
      "shard's results as JSON on stdout (the text goes to stderr), and\n"
      "`mabeam sweep --merge FILE...` joins such results into one summary and names the seeds\n"
      "no shard ran or two shards ran. Exit code: 0 all pass, 1 a seed failed, 2 bad input (a\n"
      "merge: also seeds missing or run twice).",
      "mabeam sweep");
  std::string file, seeds_text, shard_text, out_dir = "failing";
  std::vector<std::string> merge_files;
  bool swarm = false, json = false;
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  app.add_option("FILE", file, "scenario file (JSON)");
  app.add_option("--seeds", seeds_text, "seed range A..B (inclusive)");
  app.add_option("--jobs", jobs, "simulations run in parallel (default: cores)")->check(CLI::Range(1u, 256u));
  app.add_option("--shard", shard_text, "run only shard I of N, e.g. 2/4");
  app.add_flag("--swarm", swarm, "each seed draws its own faults within the scenario's swarm block");
  app.add_option("--out-dir", out_dir, "where failing swarm seeds write their scenario (default: failing)");
  app.add_flag("--json", json, "print the results as JSON on stdout (for --merge)");
  app.add_option("--merge", merge_files, "join the --json results of shards, instead of running")->expected(1, -1);
  if (int rc = parse_cli(app, argc, argv); rc >= 0) return rc;
  if (!merge_files.empty()) {
    if (!file.empty() || !seeds_text.empty() || swarm) {
      std::fprintf(stderr, "mabeam sweep: --merge takes only result files (and --json), found a scenario or --seeds too\n");
      return 2;
    }
    return merge(merge_files, json);
  }
  if (file.empty() || seeds_text.empty()) {
    std::fprintf(stderr, "mabeam sweep: expected FILE --seeds A..B (or --merge FILE...); see mabeam sweep --help\n");
    return 2;
  }
  std::uint64_t a = 0, b = 0;
  if (!parse_seeds(seeds_text, a, b)) {
    std::fprintf(stderr, "mabeam sweep: --seeds: expected A..B with A <= B (e.g. 1..1000), found \"%s\"\n", seeds_text.c_str());
    return 2;
  }
  std::uint64_t shard_i = 1, shard_n = 1;
  if (!shard_text.empty()) {
    unsigned long long i = 0, n = 0;
    char extra = 0;
    if (std::sscanf(shard_text.c_str(), "%llu/%llu%c", &i, &n, &extra) != 2 || n == 0 || i == 0 || i > n) {
      std::fprintf(stderr, "mabeam sweep: --shard: expected I/N with 1 <= I <= N (e.g. 2/4), found \"%s\"\n", shard_text.c_str());
      return 2;
    }
    shard_i = i;
    shard_n = n;
  }
  auto scenario = sim::load_scenario_file(file);
  if (!scenario) {
    std::fprintf(stderr, "mabeam sweep: %s\n", scenario.status().message().c_str());
    return 2;
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  sim::SweepSetup setup;
  setup.scenario = &*scenario;
  setup.file = file;
  setup.swarm = swarm;
  setup.out_dir = out_dir;
  if (swarm) {
    if (!scenario->swarm) {
      std::fprintf(stderr, "mabeam sweep: %s: --swarm needs a \"swarm\" block in the scenario (DESIGN.md, 'Exploring seeds')\n",
                   file.c_str());
      return 2;
    }
    setup.document = nlohmann::ordered_json::parse(text.str());
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) {
      std::fprintf(stderr, "mabeam sweep: --out-dir: cannot create %s: %s\n", out_dir.c_str(), ec.message().c_str());
      return 2;
    }
  }

  sim::SweepReport report;
  report.scenario = scenario->name;
  report.file = file;
  report.scenario_sha256 = sim::sha256_hex(text.str());
  report.swarm = swarm;
  report.seeds_from = a;
  report.seeds_to = b;
  report.shard_index = shard_i;
  report.shard_count = shard_n;
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = a + (shard_i - 1); s <= b && s >= a; s += shard_n) {
    seeds.push_back(s);
    if (b - s < shard_n) break;
  }
  if (!seeds.empty()) report.seeds_run.push_back({seeds.front(), seeds.back(), shard_n});
  report.jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(1, seeds.size())));

  std::vector<sim::SeedResult> results(seeds.size());
  std::atomic<std::size_t> next{0}, done{0};
  std::map<std::string, std::uint64_t> failing_by_check;  // for the progress line
  std::size_t failing = 0;
  const bool progress = isatty(fileno(stderr)) != 0;
  const auto start = std::chrono::steady_clock::now();
  std::mutex mu;
  auto worker = [&] {
    for (;;) {
      const std::size_t k = next.fetch_add(1);
      if (k >= seeds.size()) return;
      results[k] = sim::run_seed(setup, seeds[k]);
      const std::size_t d = ++done;
      std::lock_guard<std::mutex> lock(mu);
      if (!results[k].ok) {
        ++failing;
        for (const auto& c : results[k].failed) ++failing_by_check[c.check];
      }
      if (progress) {
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double left = elapsed / static_cast<double>(d) * static_cast<double>(seeds.size() - d);
        const std::string by = failing ? " (" + sim::by_check_text(failing_by_check) + ")" : "";
        std::fprintf(stderr, "\r%zu/%zu seeds, %zu failing%s, about %.0fs left   ", d, seeds.size(), failing, by.c_str(), left);
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned j = 1; j < report.jobs; ++j) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (progress) std::fputs("\n", stderr);
  report.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& r : results) sim::record(report, r);

  std::FILE* out = json ? stderr : stdout;
  print_failures(out, report);
  print_summary(out, report);
  const double seeds_per_s = report.wall_s > 0 ? static_cast<double>(seeds.size()) / report.wall_s : 0.0;
  std::fprintf(out, "%zu seeds in %.1f s: %.1f seeds/s with %u jobs\n", seeds.size(), report.wall_s, seeds_per_s, report.jobs);
  if (json) std::printf("%s\n", sim::report_to_json(report).dump(2).c_str());
  return report.failed ? 1 : 0;
}

}  // namespace mabeam::app
