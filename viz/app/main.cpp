// mabeam-viz [TRACE] [--screenshot OUT.png --at T] [--node NAME] [--size WxH] [--bench-scrub N]
// Opens a trace in the viewer, or with --screenshot renders the window offscreen at replay
// time T and exits. Exit codes: 0 ok, 2 bad input (usage, missing file, malformed trace,
// unwritable output), with the reason on stderr.
#include "viz/app/main_window.h"
#include "viz/model/duration_text.h"
#include "viz/model/trace_index.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QMessageBox>
#include <QPixmap>
#include <QTimer>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

namespace {

constexpr int kExitBadInput = 2;

struct Options {
  QString trace;
  QString screenshot;
  QString at = QStringLiteral("0s");
  QString node;
  int width = 1400;
  int height = 900;
  int bench_frames = 0;
};

void usage(FILE* out) {
  std::fputs(
      "usage: mabeam-viz [TRACE.jsonl] [--screenshot OUT.png --at T] [--node NAME] [--size WxH]\n"
      "  TRACE           a mabeam trace (JSON Lines) from `mabeam sim --trace` or `mabeam node --trace`\n"
      "  --screenshot    render the window offscreen to OUT.png and exit\n"
      "  --at T          replay time for the screenshot: 12s, 1500ms, 250us, 2m (default 0s)\n"
      "  --node NAME     node shown in the node panel (default: the first)\n"
      "  --size WxH      window size for the screenshot (default 1400x900)\n"
      "  --bench-scrub N with --screenshot: first repaint the window at N times spread over the\n"
      "                  trace and print the load time and the mean time per frame\n",
      out);
}

// Returns nothing (after printing why) when the command line is wrong.
std::optional<Options> parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const char* flag) -> std::optional<QString> {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "mabeam-viz: %s needs a value\n", flag);
        return std::nullopt;
      }
      return QString::fromLocal8Bit(argv[++i]);
    };
    if (a == "-h" || a == "--help") {
      usage(stdout);
      std::exit(0);
    } else if (a == "--screenshot") {
      auto v = value("--screenshot");
      if (!v) return std::nullopt;
      o.screenshot = *v;
    } else if (a == "--at") {
      auto v = value("--at");
      if (!v) return std::nullopt;
      o.at = *v;
    } else if (a == "--node") {
      auto v = value("--node");
      if (!v) return std::nullopt;
      o.node = *v;
    } else if (a == "--bench-scrub") {
      auto v = value("--bench-scrub");
      if (!v) return std::nullopt;
      bool ok = false;
      o.bench_frames = v->toInt(&ok);
      if (!ok || o.bench_frames < 1) {
        std::fprintf(stderr, "mabeam-viz: --bench-scrub needs a positive frame count, found \"%s\"\n", qPrintable(*v));
        return std::nullopt;
      }
    } else if (a == "--size") {
      auto v = value("--size");
      if (!v) return std::nullopt;
      const QStringList wh = v->split(QLatin1Char('x'));
      bool ok1 = false, ok2 = false;
      if (wh.size() == 2) o.width = wh[0].toInt(&ok1), o.height = wh[1].toInt(&ok2);
      if (!ok1 || !ok2 || o.width < 200 || o.height < 200) {
        std::fprintf(stderr, "mabeam-viz: --size must be WIDTHxHEIGHT (at least 200x200), found \"%s\"\n", qPrintable(*v));
        return std::nullopt;
      }
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "mabeam-viz: unknown option %s\n", a.c_str());
      usage(stderr);
      return std::nullopt;
    } else if (o.trace.isEmpty()) {
      o.trace = QString::fromLocal8Bit(argv[i]);
    } else {
      std::fprintf(stderr, "mabeam-viz: more than one trace given (%s)\n", a.c_str());
      return std::nullopt;
    }
  }
  if (!o.screenshot.isEmpty() && o.trace.isEmpty()) {
    std::fprintf(stderr, "mabeam-viz: --screenshot needs a trace file\n");
    return std::nullopt;
  }
  return o;
}

int screenshot(const Options& o) {
  const auto at = mabeam::viz::parse_duration_us(o.at);
  if (!at) {
    std::fprintf(stderr, "mabeam-viz: --at must be a duration such as 12s or 1500ms, found \"%s\"\n", qPrintable(o.at));
    return kExitBadInput;
  }
  mabeam::viz::MainWindow w;
  QString error;
  QElapsedTimer clock;
  clock.start();
  if (!w.load(o.trace, &error)) {
    std::fprintf(stderr, "mabeam-viz: %s\n", qPrintable(error));
    return kExitBadInput;
  }
  const qint64 load_ms = clock.elapsed();
  if (*at > w.index()->end_t())
    std::fprintf(stderr, "mabeam-viz: note: --at %s is past the end of the trace (%s); showing the end\n", qPrintable(o.at),
                 qPrintable(mabeam::viz::format_time_us(w.index()->end_t())));
  w.resize(o.width, o.height);
  w.show();
  QApplication::processEvents();
  if (o.bench_frames > 0) {
    // Scrubbing: every frame is a seek to an unrelated time and a full synchronous repaint.
    clock.restart();
    const std::int64_t end = w.index()->end_t();
    for (int k = 0; k < o.bench_frames; ++k) {
      w.set_time(end * (k + 1) / (o.bench_frames + 1));
      w.repaint();
    }
    std::printf("mabeam-viz: %zu events: opened in %lld ms; %.1f ms per scrubbed frame (%d frames)\n",
                w.index()->trace().events.size(), static_cast<long long>(load_ms),
                static_cast<double>(clock.elapsed()) / o.bench_frames, o.bench_frames);
  }
  w.set_time(*at);
  if (!o.node.isEmpty()) {
    const auto& nodes = w.index()->trace().nodes;
    const auto it = std::find(nodes.begin(), nodes.end(), o.node);
    if (it == nodes.end()) {
      std::fprintf(stderr, "mabeam-viz: --node %s is not a node of this trace\n", qPrintable(o.node));
      return kExitBadInput;
    }
    w.select_node(static_cast<int>(it - nodes.begin()));
  }
  QApplication::processEvents();
  const QPixmap shot = w.grab();
  if (!shot.save(o.screenshot, "PNG")) {
    std::fprintf(stderr, "mabeam-viz: cannot write %s\n", qPrintable(o.screenshot));
    return kExitBadInput;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::optional<Options> options = parse(argc, argv);
  if (!options) return kExitBadInput;
  // Screenshots never need a display.
  if (!options->screenshot.isEmpty() && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("mabeam-viz"));
  if (!options->screenshot.isEmpty()) return screenshot(*options);

  mabeam::viz::MainWindow w;
  w.resize(options->width, options->height);
  w.show();
  if (!options->trace.isEmpty()) {
    QString error;
    if (!w.load(options->trace, &error)) {
      std::fprintf(stderr, "mabeam-viz: %s\n", qPrintable(error));
      QMessageBox::critical(&w, QObject::tr("Cannot open trace"), error);
    }
  }
  return app.exec();
}
