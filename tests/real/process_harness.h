// Helpers for the multi-process tests of the real backend: a child process whose stdout we
// read line by line with a deadline and which is always killed and reaped (even when an
// assertion throws), a minimal HTTP GET over a plain socket, a raw TCP client, a bounded
// wait, and a temporary directory. Nothing here sleeps blindly: every wait polls a condition
// under a deadline.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mabeam::testing {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Polls `cond` every `step` until it holds or `timeout` passes; returns whether it held.
inline bool wait_until(const std::function<bool()>& cond, milliseconds timeout, milliseconds step = milliseconds(20)) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);  // a poll interval, not a wait for an outcome
  }
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mabeam-real-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline void write_file(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  ::chmod(path.c_str(), mode);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& stderr_path) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(fds[1], 1);
      const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (err >= 0) ::dup2(err, 2);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
    ::fcntl(out_, F_SETFL, ::fcntl(out_, F_GETFL) | O_NONBLOCK);
  }
  ~Child() {
    if (out_ >= 0) ::close(out_);
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      ::kill(pid_, SIGCONT);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig) { ::kill(pid_, sig); }

  // The next stdout line starting with `prefix` (the rest of it), within `timeout`.
  std::optional<std::string> wait_line(const std::string& prefix, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      for (std::size_t nl; (nl = buf_.find('\n')) != std::string::npos;) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) return std::nullopt;
        continue;
      }
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  // Exit code, or -signal, once the process ends within `timeout`; nullopt if it does not.
  std::optional<int> wait_exit(milliseconds timeout) {
    std::optional<int> code;
    wait_until(
        [&] {
          int st = 0;
          if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
          reaped_ = true;
          code = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
          return true;
        },
        timeout, milliseconds(10));
    return code;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool reaped_ = false;
  std::string buf_;
};

// A blocking TCP client to 127.0.0.1 with receive and send timeouts.
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port, milliseconds timeout = milliseconds(2000)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  bool connected() const { return connected_; }
  bool send_all(const void* data, std::size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
      const ssize_t k = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (k <= 0) return false;
      p += k;
      n -= static_cast<std::size_t>(k);
    }
    return true;
  }
  bool send_all(const std::string& s) { return send_all(s.data(), s.size()); }
  bool send_all(const std::vector<std::uint8_t>& b) { return send_all(b.data(), b.size()); }
  // Reads exactly n bytes; false on EOF, error or timeout.
  bool read_exact(void* data, std::size_t n) {
    char* p = static_cast<char*>(data);
    while (n > 0) {
      const ssize_t k = ::recv(fd_, p, n, 0);
      if (k <= 0) return false;
      p += k;
      n -= static_cast<std::size_t>(k);
    }
    return true;
  }
  // Reads until EOF or timeout; returns (bytes, whether EOF was seen).
  std::pair<std::string, bool> read_to_eof() {
    std::string out;
    char buf[4096];
    for (;;) {
      const ssize_t k = ::recv(fd_, buf, sizeof buf, 0);
      if (k == 0) return {out, true};
      if (k < 0) return {out, errno == ECONNRESET};
      out.append(buf, static_cast<std::size_t>(k));
    }
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string body;
};

// One HTTP/1.1 request with Connection: close (and the body, if any, with its length).
inline HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& path,
                              const std::string& body = "") {
  RawSocket s(port);
  if (!s.connected()) return {};
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!body.empty() || method == "PUT" || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!s.send_all(req + "\r\n" + body)) return {};
  auto [text, eof] = s.read_to_eof();
  (void)eof;
  HttpReply r;
  if (text.rfind("HTTP/1.1 ", 0) != 0 || text.size() < 12) return r;
  r.status = std::atoi(text.c_str() + 9);
  const auto head_end = text.find("\r\n\r\n");
  if (head_end != std::string::npos) r.body = text.substr(head_end + 4);
  return r;
}

inline HttpReply http_get(std::uint16_t port, const std::string& path) { return http_request(port, "GET", path); }

}  // namespace mabeam::testing
