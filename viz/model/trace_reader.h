// Reads a trace file (JSON Lines, DESIGN.md "Trace format") into a Trace. Bad input is an
// error value naming the 1-based line and the problem, never an exception or a crash: the
// GUI shows it in a dialog, the screenshot mode prints it and exits 2.
#pragma once
#include "viz/model/trace.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <memory>

namespace mabeam::viz {

struct TraceError {
  int line = 0;  // 0 when the problem is not on a line (the file cannot be opened)
  QString message;
  // "trace.jsonl:12: field \"t\" must be a number" (or just the message when line is 0)
  QString text(const QString& path) const;
};

struct ReadResult {
  std::unique_ptr<Trace> trace;  // null when error is set
  bool ok = false;
  TraceError error;
  QStringList warnings;  // tolerated oddities: events out of time order, blank lines
};

// Reads and validates the whole file.
ReadResult read_trace_file(const QString& path);
// Same, from bytes already in memory (tests); `path` is only used in messages.
ReadResult read_trace_bytes(const QByteArray& data, const QString& path);

}  // namespace mabeam::viz
