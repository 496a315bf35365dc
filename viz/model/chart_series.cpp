// Computes the chart data of chart_series.h in one pass per chart over the events.
#include "viz/model/chart_series.h"

#include <QHash>
#include <algorithm>
#include <map>

namespace mabeam::viz {

bool ChartData::empty() const {
  for (const Series& s : series)
    if (!s.points.empty()) return false;
  return true;
}

namespace {

double sec(std::int64_t us) { return static_cast<double>(us) / 1e6; }

// Appends a step to y at time t (keeps the previous level up to t, then jumps).
void step(Series& s, std::int64_t t, double y) {
  if (!s.points.empty()) {
    if (s.points.back().y() == y) return;
    s.points.emplace_back(sec(t), s.points.back().y());
  }
  s.points.emplace_back(sec(t), y);
}

void close_steps(ChartData& c, std::int64_t end) {
  for (Series& s : c.series)
    if (!s.points.empty() && s.points.back().x() < sec(end)) s.points.emplace_back(sec(end), s.points.back().y());
}

// Nodes to chart individually: all when few, else the busiest by `weight`.
std::vector<int> chosen_nodes(const std::vector<double>& weight) {
  std::vector<int> order(weight.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  if (order.size() <= kSeriesPerChartMax) return order;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return weight[static_cast<std::size_t>(a)] > weight[static_cast<std::size_t>(b)]; });
  order.resize(kSeriesPerChartMax - 1);
  std::sort(order.begin(), order.end());
  return order;
}

ChartData traffic(const TraceIndex& index) {
  const Trace& tr = index.trace();
  ChartData c{QStringLiteral("Messages sent per second"), QStringLiteral("msg/s"), {}};
  const int n = index.node_count();
  const std::int64_t end = std::max<std::int64_t>(1, index.end_t());
  static constexpr std::int64_t kBins[] = {100'000, 250'000, 500'000, 1'000'000, 2'000'000, 5'000'000, 10'000'000, 30'000'000, 60'000'000, 300'000'000, 3'600'000'000};
  std::int64_t bin = kBins[std::size(kBins) - 1];
  for (std::int64_t b : kBins)
    if (end / b <= 400) {
      bin = b;
      break;
    }
  const auto bins = static_cast<std::size_t>(end / bin + 1);
  std::vector<std::vector<int>> counts(static_cast<std::size_t>(n), std::vector<int>(bins, 0));
  std::vector<double> total(static_cast<std::size_t>(n), 0);
  bool any = false;
  for (const Message& m : index.messages()) {
    ++counts[static_cast<std::size_t>(m.from)][static_cast<std::size_t>(m.send_t / bin)];
    ++total[static_cast<std::size_t>(m.from)];
    any = true;
  }
  if (!any) return c;
  const std::vector<int> chosen = chosen_nodes(total);
  std::vector<char> is_chosen(static_cast<std::size_t>(n), 0);
  for (int x : chosen) is_chosen[static_cast<std::size_t>(x)] = 1;
  const double per_sec = 1e6 / static_cast<double>(bin);
  for (int x : chosen) {
    Series s{tr.node_name(x), {}};
    for (std::size_t b = 0; b < bins; ++b) s.points.emplace_back(sec(static_cast<std::int64_t>(b) * bin + bin / 2), counts[static_cast<std::size_t>(x)][b] * per_sec);
    c.series.push_back(std::move(s));
  }
  if (static_cast<int>(chosen.size()) < n) {
    Series s{QStringLiteral("others (mean)"), {}};
    const int others = n - static_cast<int>(chosen.size());
    for (std::size_t b = 0; b < bins; ++b) {
      double sum = 0;
      for (int x = 0; x < n; ++x)
        if (!is_chosen[static_cast<std::size_t>(x)]) sum += counts[static_cast<std::size_t>(x)][b];
      s.points.emplace_back(sec(static_cast<std::int64_t>(b) * bin + bin / 2), sum * per_sec / others);
    }
    c.series.push_back(std::move(s));
  }
  return c;
}

bool is_member(MemberState s) { return s == MemberState::Joining || s == MemberState::Active || s == MemberState::Suspect; }

void membership(const TraceIndex& index, ChartData& size_chart, ChartData& suspicion) {
  const Trace& tr = index.trace();
  const int n = index.node_count();
  size_chart = {QStringLiteral("Membership size, as each node sees it (0 while crashed)"), QStringLiteral("members"), {}};
  suspicion = {QStringLiteral("Nodes seen suspect / down by some node"), QStringLiteral("nodes"), {}};
  std::vector<MemberState> view(static_cast<std::size_t>(n) * static_cast<std::size_t>(n), MemberState::Unknown);
  std::vector<int> size(static_cast<std::size_t>(n), 0);
  std::vector<int> suspect_by(static_cast<std::size_t>(n), 0), down_by(static_cast<std::size_t>(n), 0);
  int suspects = 0, downs = 0;
  std::vector<double> weight(static_cast<std::size_t>(n), 0);
  for (const Event& e : tr.events)
    if (e.kind == Kind::Member && e.node >= 0) weight[static_cast<std::size_t>(e.node)] += 1;
  if (std::all_of(weight.begin(), weight.end(), [](double w) { return w == 0; })) return;
  const bool summarize = n > kSeriesPerChartMax;
  std::vector<int> series_of(static_cast<std::size_t>(n), -1);
  if (summarize) {
    size_chart.series = {{QStringLiteral("smallest view"), {}}, {QStringLiteral("largest view"), {}}};
  } else {
    for (int x = 0; x < n; ++x) {
      if (weight[static_cast<std::size_t>(x)] == 0) continue;
      series_of[static_cast<std::size_t>(x)] = static_cast<int>(size_chart.series.size());
      size_chart.series.push_back({tr.node_name(x), {}});
    }
  }
  suspicion.series = {{QStringLiteral("suspect"), {}}, {QStringLiteral("down"), {}}};
  step(suspicion.series[0], 0, 0);
  step(suspicion.series[1], 0, 0);
  auto count = [](std::vector<int>& by, int subject, int delta, int& distinct) {
    int& v = by[static_cast<std::size_t>(subject)];
    if (v == 0 && delta > 0) ++distinct;
    v += delta;
    if (v == 0 && delta < 0) --distinct;
  };
  // Every change of one observer's view of one subject goes through here.
  auto set_view = [&](int observer, int subject, MemberState state) {
    MemberState& cur = view[static_cast<std::size_t>(observer) * static_cast<std::size_t>(n) + static_cast<std::size_t>(subject)];
    const MemberState old = cur;
    cur = state;
    size[static_cast<std::size_t>(observer)] += (is_member(cur) ? 1 : 0) - (is_member(old) ? 1 : 0);
    if (observer == subject) return;
    if (old == MemberState::Suspect) count(suspect_by, subject, -1, suspects);
    if (old == MemberState::Down) count(down_by, subject, -1, downs);
    if (cur == MemberState::Suspect) count(suspect_by, subject, +1, suspects);
    if (cur == MemberState::Down) count(down_by, subject, +1, downs);
  };
  std::vector<char> crashed(static_cast<std::size_t>(n), 0);
  for (const Event& e : tr.events) {
    if (e.node < 0) continue;
    if (e.kind == Kind::Member && e.peer >= 0) {
      set_view(e.node, e.peer, e.member);
    } else if (e.kind == Kind::NodeCrash) {
      // A crashed node sees nobody, and its last opinions no longer count.
      crashed[static_cast<std::size_t>(e.node)] = 1;
      for (int x = 0; x < n; ++x) set_view(e.node, x, MemberState::Unknown);
    } else if (e.kind == Kind::NodeRestart || e.kind == Kind::NodeStart) {
      crashed[static_cast<std::size_t>(e.node)] = 0;
      continue;
    } else {
      continue;
    }
    step(suspicion.series[0], e.t, suspects);
    step(suspicion.series[1], e.t, downs);
    if (summarize) {
      int lo = n, hi = 0;
      for (int x = 0; x < n; ++x)
        if (weight[static_cast<std::size_t>(x)] > 0 && !crashed[static_cast<std::size_t>(x)])
          lo = std::min(lo, size[static_cast<std::size_t>(x)]), hi = std::max(hi, size[static_cast<std::size_t>(x)]);
      step(size_chart.series[0], e.t, std::min(lo, hi));
      step(size_chart.series[1], e.t, hi);
    } else if (const int k = series_of[static_cast<std::size_t>(e.node)]; k >= 0) {
      step(size_chart.series[static_cast<std::size_t>(k)], e.t, size[static_cast<std::size_t>(e.node)]);
    }
  }
  close_steps(size_chart, index.end_t());
  close_steps(suspicion, index.end_t());
}

// Writes with these ops add to a value rather than set it, so they say nothing about the
// replica's value.
bool sets_value(const QString& op) {
  return !(op == QLatin1String("add") || op == QLatin1String("inc") || op == QLatin1String("incr") ||
           op == QLatin1String("increment") || op == QLatin1String("remove") || op == QLatin1String("dec"));
}

ChartData convergence(const TraceIndex& index) {
  const Trace& tr = index.trace();
  ChartData c{QStringLiteral("Variable convergence: distinct values across replicas"), QStringLiteral("values"), {}};
  const auto vars = index.variables().size();
  if (vars == 0) return c;
  const int n = index.node_count();
  const std::size_t shown = std::min<std::size_t>(vars, kSeriesPerChartMax);
  std::map<int, std::size_t> slot;
  for (std::size_t k = 0; k < shown; ++k) slot[index.variables()[k]] = k;
  std::vector<std::vector<int>> value(shown, std::vector<int>(static_cast<std::size_t>(n), -1));
  std::vector<QHash<int, int>> counts(shown);
  for (std::size_t k = 0; k < shown; ++k) c.series.push_back({tr.str(index.variables()[k]), {}});
  for (const Event& e : tr.events) {
    if ((e.kind != Kind::VarWrite && e.kind != Kind::VarRead) || e.node < 0 || !(e.flags & kOk)) continue;
    if (e.kind == Kind::VarWrite && !sets_value(tr.str(e.str_c))) continue;
    auto it = slot.find(e.str_a);
    if (it == slot.end()) continue;
    int& v = value[it->second][static_cast<std::size_t>(e.node)];
    if (v == e.str_b) continue;
    QHash<int, int>& h = counts[it->second];
    if (v >= 0 && --h[v] == 0) h.remove(v);
    v = e.str_b;
    ++h[v];
    step(c.series[it->second], e.t, h.size());
  }
  close_steps(c, index.end_t());
  return c;
}

ChartData leader(const TraceIndex& index) {
  ChartData c{QStringLiteral("Leader term"), QStringLiteral("term"), {}};
  if (index.leader_claims().empty()) return c;
  c.series.push_back({QStringLiteral("greatest term claimed"), {}});
  std::int64_t best = -1;
  for (const LeaderClaim& l : index.leader_claims()) {
    if (l.term <= best) continue;
    best = l.term;
    step(c.series[0], l.t, static_cast<double>(best));
  }
  close_steps(c, index.end_t());
  return c;
}

ChartData agents(const TraceIndex& index) {
  const Trace& tr = index.trace();
  ChartData c{QStringLiteral("Agents per node"), QStringLiteral("agents"), {}};
  if (index.agents().empty()) return c;
  const int n = index.node_count();
  // Merge every agent's changes in time order, then count per node.
  struct Item {
    std::int64_t t;
    int agent;
    std::size_t k;
  };
  std::vector<Item> items;
  for (std::size_t a = 0; a < index.agents().size(); ++a)
    for (std::size_t k = 0; k < index.agent_changes(static_cast<int>(a)).size(); ++k)
      items.push_back({index.agent_changes(static_cast<int>(a))[k].t, static_cast<int>(a), k});
  std::stable_sort(items.begin(), items.end(), [](const Item& x, const Item& y) { return x.t < y.t; });
  std::vector<double> weight(static_cast<std::size_t>(n), 0);
  for (const Item& it : items)
    if (const int x = index.agent_changes(it.agent)[it.k].node; x >= 0) weight[static_cast<std::size_t>(x)] += 1;
  const std::vector<int> chosen = chosen_nodes(weight);
  std::vector<int> series_of(static_cast<std::size_t>(n), -1);
  for (int x : chosen) {
    series_of[static_cast<std::size_t>(x)] = static_cast<int>(c.series.size());
    c.series.push_back({tr.node_name(x), {}});
    step(c.series.back(), 0, 0);
  }
  std::vector<int> count(static_cast<std::size_t>(n), 0);
  std::vector<int> where(index.agents().size(), -1);  // node the agent counts on
  for (const Item& it : items) {
    const AgentChange& ch = index.agent_changes(it.agent)[it.k];
    // A migrating agent counts on its source until it lands.
    const int now = ch.phase == AgentPhase::Stopped ? -1 : ch.phase == AgentPhase::Migrating ? ch.from : ch.node;
    int& was = where[static_cast<std::size_t>(it.agent)];
    if (was == now) continue;
    for (int x : {was, now}) {
      if (x < 0) continue;
      count[static_cast<std::size_t>(x)] += x == now ? 1 : -1;
      if (series_of[static_cast<std::size_t>(x)] >= 0) step(c.series[static_cast<std::size_t>(series_of[static_cast<std::size_t>(x)])], ch.t, count[static_cast<std::size_t>(x)]);
    }
    was = now;
  }
  close_steps(c, index.end_t());
  return c;
}

ChartData metrics(const TraceIndex& index) {
  const Trace& tr = index.trace();
  ChartData c{QStringLiteral("Metrics (latest value, summed over nodes)"), QStringLiteral("value"), {}};
  std::map<QString, std::size_t> slot;
  std::vector<std::map<int, double>> latest;
  const int n = index.node_count();
  (void)n;
  for (const Event& e : tr.events) {
    if (e.kind != Kind::Metric) continue;
    auto [it, fresh] = slot.emplace(tr.str(e.str_a), c.series.size());
    if (fresh) {
      if (c.series.size() >= kSeriesPerChartMax) {
        slot.erase(it);
        continue;
      }
      c.series.push_back({tr.str(e.str_a), {}});
      latest.emplace_back();
    }
    latest[it->second][e.node] = e.value;
    double sum = 0;
    for (const auto& kv : latest[it->second]) sum += kv.second;
    step(c.series[it->second], e.t, sum);
  }
  close_steps(c, index.end_t());
  return c;
}

// Keeps a series drawable in real time: at most about 2 * kBuckets points, keeping each
// bucket's first, lowest, highest and last points in x order so spikes survive.
void downsample(Series& s) {
  constexpr std::size_t kBuckets = 1000;
  if (s.points.size() <= 4 * kBuckets) return;
  const double x0 = s.points.front().x(), x1 = s.points.back().x();
  const double width = std::max(1e-9, (x1 - x0) / kBuckets);
  std::vector<QPointF> out;
  std::size_t i = 0;
  while (i < s.points.size()) {
    const auto bucket = static_cast<std::size_t>((s.points[i].x() - x0) / width);
    std::size_t j = i, lo = i, hi = i;
    while (j < s.points.size() && static_cast<std::size_t>((s.points[j].x() - x0) / width) == bucket) {
      if (s.points[j].y() < s.points[lo].y()) lo = j;
      if (s.points[j].y() > s.points[hi].y()) hi = j;
      ++j;
    }
    std::size_t keep[4] = {i, std::min(lo, hi), std::max(lo, hi), j - 1};
    for (int k = 0; k < 4; ++k)
      if (k == 0 || keep[k] != keep[k - 1]) out.push_back(s.points[keep[k]]);
    i = j;
  }
  s.points = std::move(out);
}

}  // namespace

ChartSet compute_charts(const TraceIndex& index) {
  ChartSet set;
  set.traffic = traffic(index);
  membership(index, set.membership, set.suspicion);
  set.convergence = convergence(index);
  set.leader = leader(index);
  set.agents = agents(index);
  set.metrics = metrics(index);
  for (ChartData* c : {&set.traffic, &set.membership, &set.suspicion, &set.convergence, &set.leader, &set.agents, &set.metrics})
    for (Series& s : c->series) downsample(s);
  return set;
}

}  // namespace mabeam::viz
