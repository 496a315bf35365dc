// Tests of `mabeam-viz --screenshot`: it renders a non-blank picture offscreen, the same
// replay time gives the same picture, and bad input exits 2 with the reason on stderr.
#include <QColor>
#include <QImage>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSet>
#include <QTemporaryDir>
#include <catch2/catch.hpp>

namespace {

struct Run {
  int exit_code = -1;
  QString err;
};

Run viz(const QStringList& args) {
  QProcess p;
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
  p.setProcessEnvironment(env);
  p.start(QStringLiteral(VIZ_BINARY), args);
  REQUIRE(p.waitForFinished(120'000));
  Run r;
  r.exit_code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.err = QString::fromLocal8Bit(p.readAllStandardError());
  return r;
}

QString data(const char* name) { return QStringLiteral(VIZ_TEST_DATA "/") + QLatin1String(name); }

}  // namespace

TEST_CASE("screenshot of the sample at 12s is a 1400x900 PNG with many colours, not a blank window") {
  QTemporaryDir dir;
  const QString out = dir.filePath(QStringLiteral("shot.png"));
  const Run r = viz({data("cluster5.jsonl"), QStringLiteral("--screenshot"), out, QStringLiteral("--at"), QStringLiteral("12s")});
  INFO(r.err.toStdString());
  REQUIRE(r.exit_code == 0);
  QImage img(out);
  REQUIRE_FALSE(img.isNull());
  CHECK(img.width() == 1400);
  CHECK(img.height() == 900);
  const QRgb background = img.pixel(img.width() / 4, 60);  // inside the topology view's margin
  QSet<QRgb> distinct;
  long differing = 0;
  for (int y = 0; y < img.height(); y += 2)
    for (int x = 0; x < img.width(); x += 2) {
      const QRgb c = img.pixel(x, y);
      distinct.insert(c);
      differing += c != background;
    }
  CHECK(distinct.size() > 200);
  CHECK(differing > (img.width() / 2) * (img.height() / 2) / 10);
  // The crashed-node colour is present somewhere (n4 crashed at 12s).
  bool crashed_colour = false;
  for (int y = 0; y < img.height() && !crashed_colour; ++y)
    for (int x = 0; x < img.width() && !crashed_colour; ++x) crashed_colour = img.pixel(x, y) == QColor(157, 2, 8).rgb();
  CHECK(crashed_colour);
}

TEST_CASE("screenshots at the same replay time are identical (the scene depends on T only)") {
  QTemporaryDir dir;
  const QString a = dir.filePath(QStringLiteral("a.png")), b = dir.filePath(QStringLiteral("b.png"));
  REQUIRE(viz({data("cluster5.jsonl"), QStringLiteral("--screenshot"), a, QStringLiteral("--at"), QStringLiteral("10500ms")}).exit_code == 0);
  REQUIRE(viz({data("cluster5.jsonl"), QStringLiteral("--screenshot"), b, QStringLiteral("--at"), QStringLiteral("10.5s")}).exit_code == 0);
  QImage ia(a), ib(b);
  REQUIRE(ia.size() == ib.size());
  // The status bar shows load timings; compare everything above it.
  const QRect above(0, 0, ia.width(), ia.height() - 40);
  CHECK(ia.copy(above) == ib.copy(above));
}

TEST_CASE("screenshot mode: a malformed trace exits 2 naming the file and the line") {
  QTemporaryDir dir;
  const Run r = viz({data("bad_json.jsonl"), QStringLiteral("--screenshot"), dir.filePath(QStringLiteral("x.png")), QStringLiteral("--at"), QStringLiteral("1s")});
  CHECK(r.exit_code == 2);
  CHECK(r.err.contains(QStringLiteral("bad_json.jsonl:3:")));
  CHECK_FALSE(QFile::exists(dir.filePath(QStringLiteral("x.png"))));
}

TEST_CASE("screenshot mode: a missing file, a bad --at and an unknown option exit 2 with a message") {
  QTemporaryDir dir;
  const QString out = dir.filePath(QStringLiteral("x.png"));
  const Run missing = viz({QStringLiteral("/nonexistent.jsonl"), QStringLiteral("--screenshot"), out, QStringLiteral("--at"), QStringLiteral("1s")});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.contains(QStringLiteral("no such file")));
  const Run bad_at = viz({data("cluster5.jsonl"), QStringLiteral("--screenshot"), out, QStringLiteral("--at"), QStringLiteral("soon")});
  CHECK(bad_at.exit_code == 2);
  CHECK(bad_at.err.contains(QStringLiteral("--at")));
  const Run unknown = viz({QStringLiteral("--frobnicate")});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.contains(QStringLiteral("unknown option")));
}
