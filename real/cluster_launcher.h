// Starting, watching and stopping local `mabeam node` and `mabeam portmap` processes on
// 127.0.0.1 with ephemeral ports: for the failure-detection benchmark (bench/detect_bench.h)
// and the multi-process tests (tests/real/). Everything is bounded and reaped:
// - ChildProcess forks and execs one program; its stdout is read line by line under a
//   deadline; it is killed (SIGKILL, then SIGCONT in case it was stopped) and reaped when the
//   object goes away, even on an error path; on Linux it also dies with its parent.
// - http_request() is a minimal HTTP/1.1 request (GET, or PUT/POST with a body) over a plain
//   socket with send/receive timeouts; http_get() is its GET; member_view() reads one
//   member's state from a node's /status.
// - wait_until() polls a condition under a deadline; nothing here sleeps for an outcome.
// - LocalCluster keeps a private temporary directory (cookie file, config file, data dirs,
//   traces, stderr logs), starts nodes in it, reads their /status, and removes it at the end.
#pragma once
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/status.h"

namespace mabeam::real {

using Millis = std::chrono::milliseconds;

// Polls `cond` every `step` until it holds or `timeout` passes; returns whether it held.
bool wait_until(const std::function<bool()>& cond, Millis timeout, Millis step = Millis(20));
// A port on 127.0.0.1 nothing listens on now (bound, then released, for a child to bind a
// moment later); 0 if none could be had.
std::uint16_t free_port();

struct SpawnOptions {
  std::string stderr_path;                    // appended to; empty: /dev/null
  std::optional<std::uint64_t> open_files_max;  // RLIMIT_NOFILE of the child, if set
};

class ChildProcess {
 public:
  // Forks and execs args[0] (a path) with args. Error: io_error if the pipe or fork fails
  // (an exec failure shows as exit code 127).
  static Result<std::unique_ptr<ChildProcess>> spawn(const std::vector<std::string>& args, const SpawnOptions& options = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool reaped() const { return reaped_; }
  void signal(int sig);
  // The rest of the next stdout line that starts with `prefix`, within `timeout`.
  std::optional<std::string> wait_line(const std::string& prefix, Millis timeout);
  // The exit code, or -signal, once the process ends within `timeout`.
  std::optional<int> wait_exit(Millis timeout);
  // SIGKILL (and SIGCONT, for a stopped process), then waits for it. Does nothing once reaped.
  void kill_and_reap();

 private:
  ChildProcess(pid_t pid, int out) : pid_(pid), out_(out) {}
  pid_t pid_ = -1;
  int out_ = -1;
  bool reaped_ = false;
  std::string buf_;
};

struct HttpReply {
  int status = 0;  // 0: no answer (refused, timed out, not HTTP)
  std::string body;
};
// One request to http://127.0.0.1:port/path with Connection: close, and `body` (with its
// Content-Length; always sent for PUT and POST) if any, and `Authorization: Bearer token`
// when a token is given; every socket step times out.
HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& path, const std::string& body = "",
                       Millis timeout = Millis(2000), const std::string& token = "");
// GET http://127.0.0.1:port/path (http_request).
HttpReply http_get(std::uint16_t port, const std::string& path, Millis timeout = Millis(2000), const std::string& token = "");

// What the node serving /status on `http` says of `subject`: its state and incarnation (""
// and 0 if the node does not answer within `timeout` or does not list it). Safe to call
// from several threads at once.
std::pair<std::string, std::int64_t> member_view(std::uint16_t http, const std::string& subject, const std::string& token,
                                                 Millis timeout = Millis(1000));

// A private directory under the system's temp directory, removed with everything in it.
class TempDir {
 public:
  static Result<std::unique_ptr<TempDir>> create();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Writes `text` to `path` with file mode `mode`. Error: io_error naming the path.
Status write_text_file(const std::string& path, const std::string& text, unsigned mode = 0600);
std::string read_text_file(const std::string& path);

// Local nodes sharing one cookie and one config file.
class LocalCluster {
 public:
  struct Node {
    std::unique_ptr<ChildProcess> process;
    std::uint16_t port = 0;
    std::uint16_t http = 0;
    std::string stderr_path;
  };

  // The cookie every node started gets (unless set_cookie_path() names another file).
  static constexpr const char* kCookie = "local-cluster-cookie-0123456789";
  // The API token every node started gets (--api-token-file), and that request() sends.
  static constexpr const char* kApiToken = "local-cluster-api-token-0123456789";

  // `binary`: the mabeam executable. `config_json`: the nodes' config file (e.g.
  // {"config":{"membership":{"probe_interval":"100ms"}}}).
  static Result<std::unique_ptr<LocalCluster>> create(std::string binary, const std::string& config_json);
  ~LocalCluster();  // kills and reaps every process it started

  // Starts node `name` on 127.0.0.1:`port` (0: ephemeral) with HTTP on an ephemeral port,
  // a data dir and a trace in the cluster's directory, and waits (within `timeout`) for its
  // "listening on" and "http on" lines. `seeds` is the --seeds value ("" for none).
  Status start(const std::string& name, const std::string& seeds, const std::vector<std::string>& extra = {},
               std::uint16_t port = 0, Millis timeout = Millis(5000));
  // Starts `mabeam portmap` on an ephemeral port; returns "127.0.0.1:PORT".
  Result<std::string> start_portmap(Millis timeout = Millis(5000));

  Node* node(const std::string& name);
  // An HTTP request to node `name`'s endpoints with the cluster's API token.
  HttpReply request(const std::string& name, const std::string& method, const std::string& path,
                    const std::string& body = "", Millis timeout = Millis(2000));
  std::string addr(const std::string& name) const;  // "127.0.0.1:PORT" of its peer listener
  // What `observer`'s /status says of `subject`: its state and incarnation ("" and 0 if the
  // observer does not answer or does not list it).
  std::pair<std::string, std::int64_t> view(const std::string& observer, const std::string& subject);
  // Every listed node sees every other listed node `active`, within `timeout` (polled every
  // `step`).
  bool formed(const std::vector<std::string>& names, Millis timeout, Millis step = Millis(20));
  // Kills and reaps every process (nodes and port mapper).
  void stop_all();

  const TempDir& dir() const { return *dir_; }
  const std::string& cookie_path() const { return cookie_; }
  // The cookie file of the nodes started from now on (e.g. one with a wrong cookie).
  void set_cookie_path(std::string path) { cookie_ = std::move(path); }
  const std::string& config_path() const { return config_; }
  const std::string& api_token_path() const { return token_; }

 private:
  LocalCluster(std::string binary, std::unique_ptr<TempDir> dir) : binary_(std::move(binary)), dir_(std::move(dir)) {}
  std::string binary_;
  std::unique_ptr<TempDir> dir_;
  std::string cookie_;
  std::string token_;
  std::string config_;
  std::map<std::string, Node> nodes_;
  std::unique_ptr<ChildProcess> portmap_;
};

}  // namespace mabeam::real
