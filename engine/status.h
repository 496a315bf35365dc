// Errors as values at the edges: Status carries a code and a message a person can act on;
// Result<T> is a value or a Status. Used wherever untrusted input (bytes from a peer, a
// scenario file, a disk) can be wrong.
#pragma once
#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace mabeam {

class Status {
 public:
  enum class Code { ok, invalid, corrupt, not_found, io_error, unavailable, refused };

  Status() = default;
  static Status ok() { return {}; }
  static Status invalid(std::string msg) { return {Code::invalid, std::move(msg)}; }
  static Status corrupt(std::string msg) { return {Code::corrupt, std::move(msg)}; }
  static Status not_found(std::string msg) { return {Code::not_found, std::move(msg)}; }
  static Status io_error(std::string msg) { return {Code::io_error, std::move(msg)}; }
  static Status unavailable(std::string msg) { return {Code::unavailable, std::move(msg)}; }
  static Status refused(std::string msg) { return {Code::refused, std::move(msg)}; }

  bool is_ok() const { return code_ == Code::ok; }
  explicit operator bool() const { return is_ok(); }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::ok;
  std::string message_;
};

template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.is_ok() && "a Result built from a Status must carry an error");
  }
  bool is_ok() const { return value_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace mabeam
