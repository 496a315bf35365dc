// Duration parsing and formatting; see duration_text.h.
#include "viz/model/duration_text.h"

#include <cmath>

namespace mabeam::viz {

std::optional<std::int64_t> parse_duration_us(const QString& text) {
  const QString s = text.trimmed().toLower();
  int split = 0;
  while (split < s.size() && (s[split].isDigit() || s[split] == QLatin1Char('.'))) ++split;
  if (split == 0) return std::nullopt;
  bool ok = false;
  const double number = s.left(split).toDouble(&ok);
  if (!ok || !std::isfinite(number) || number < 0) return std::nullopt;
  const QString unit = s.mid(split).trimmed();
  double scale = 0;
  if (unit == QLatin1String("us") || unit == QStringLiteral("\u00b5s")) scale = 1;
  else if (unit == QLatin1String("ms")) scale = 1e3;
  else if (unit == QLatin1String("s") || unit.isEmpty()) scale = 1e6;
  else if (unit == QLatin1String("m") || unit == QLatin1String("min")) scale = 60e6;
  else if (unit == QLatin1String("h")) scale = 3600e6;
  else return std::nullopt;
  const double us = number * scale;
  if (us > 9.0e18) return std::nullopt;
  return static_cast<std::int64_t>(std::llround(us));
}

QString format_time_us(std::int64_t us) {
  if (us < 0) return QStringLiteral("-") + format_time_us(-us);
  if (us == 0) return QStringLiteral("0s");
  if (us < 1000) return QStringLiteral("%1us").arg(us);
  if (us < 1'000'000) return QStringLiteral("%1ms").arg(static_cast<double>(us) / 1e3, 0, 'f', us % 1000 == 0 ? 0 : 1);
  if (us < 60'000'000) return QStringLiteral("%1s").arg(static_cast<double>(us) / 1e6, 0, 'f', 3);
  const std::int64_t minutes = us / 60'000'000;
  const double rest = static_cast<double>(us % 60'000'000) / 1e6;
  return QStringLiteral("%1m %2s").arg(minutes).arg(rest, 6, 'f', 3, QLatin1Char('0'));
}

}  // namespace mabeam::viz
