// Local node processes for benchmarks and tests (see cluster_launcher.h).
#include "real/cluster_launcher.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace mabeam::real {

using Clock = std::chrono::steady_clock;

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

bool wait_until(const std::function<bool()>& cond, Millis timeout, Millis step) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);  // a poll interval, not a wait for an outcome
  }
}

// ---- child processes ----

namespace {
// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(int out_fd, const char* stderr_path, const SpawnOptions& options, char* const* argv,
                             pid_t parent) {
#ifdef __linux__
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // no orphans if the parent dies
  if (::getppid() != parent) ::_exit(127);
#else
  (void)parent;
#endif
  ::dup2(out_fd, 1);
  const int err = ::open(stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (err >= 0) ::dup2(err, 2);
  if (options.open_files_max) {
    struct rlimit rl {};
    rl.rlim_cur = rl.rlim_max = static_cast<rlim_t>(*options.open_files_max);
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  ::execv(argv[0], argv);
  ::_exit(127);
}
}  // namespace

Result<std::unique_ptr<ChildProcess>> ChildProcess::spawn(const std::vector<std::string>& args, const SpawnOptions& options) {
  if (args.empty()) return Status::invalid("spawn: no program given");
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const std::string stderr_path = options.stderr_path.empty() ? "/dev/null" : options.stderr_path;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::io_error(std::string("spawn ") + args[0] + ": pipe: " + std::strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::io_error(std::string("spawn ") + args[0] + ": fork: " + std::strerror(e));
  }
  if (pid == 0) exec_child(fds[1], stderr_path.c_str(), options, argv.data(), parent);
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, fds[0]));
}

ChildProcess::~ChildProcess() {
  kill_and_reap();
  if (out_ >= 0) ::close(out_);
}

void ChildProcess::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

void ChildProcess::kill_and_reap() {
  if (reaped_) return;
  ::kill(pid_, SIGKILL);
  ::kill(pid_, SIGCONT);
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

std::optional<std::string> ChildProcess::wait_line(const std::string& prefix, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    for (std::size_t nl; (nl = buf_.find('\n')) != std::string::npos;) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    }
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char chunk[4096];
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n == 0) return std::nullopt;  // the child closed its stdout (it exited)
    if (n < 0) {
      if (errno != EAGAIN && errno != EINTR) return std::nullopt;
      continue;
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::optional<int> ChildProcess::wait_exit(Millis timeout) {
  if (reaped_) return std::nullopt;
  std::optional<int> code;
  wait_until(
      [&] {
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
        reaped_ = true;
        code = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        return true;
      },
      timeout, Millis(5));
  return code;
}

// ---- HTTP ----

namespace {
class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool send_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t k = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (k <= 0) return false;
    done += static_cast<std::size_t>(k);
  }
  return true;
}
}  // namespace

HttpReply http_request(std::uint16_t port, const std::string& method, const std::string& path, const std::string& body,
                       Millis timeout, const std::string& token) {
  Socket s;
  if (s.fd() < 0) return {};
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(s.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(s.fd(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return {};
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "PUT" || method == "POST")
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!send_all(s.fd(), request + "\r\n" + body)) return {};
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t k = ::recv(s.fd(), buf, sizeof buf, 0);
    if (k == 0) break;
    if (k < 0) {
      if (errno == EINTR) continue;
      if (errno == ECONNRESET) break;  // the server closed after its reply, with our bytes unread
      return {};
    }
    text.append(buf, static_cast<std::size_t>(k));
  }
  HttpReply r;
  if (text.rfind("HTTP/1.1 ", 0) != 0 || text.size() < 12) return r;
  r.status = std::atoi(text.c_str() + 9);
  if (const auto head_end = text.find("\r\n\r\n"); head_end != std::string::npos) r.body = text.substr(head_end + 4);
  return r;
}

HttpReply http_get(std::uint16_t port, const std::string& path, Millis timeout, const std::string& token) {
  return http_request(port, "GET", path, "", timeout, token);
}

// ---- files ----

Result<std::unique_ptr<TempDir>> TempDir::create() {
  std::error_code ec;
  const auto base = std::filesystem::temp_directory_path(ec);
  std::string tmpl = ((ec ? std::filesystem::path("/tmp") : base) / "mabeam-local-XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) return Status::io_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
  return std::unique_ptr<TempDir>(new TempDir(tmpl));
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Status write_text_file(const std::string& path, const std::string& text, unsigned mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!(out << text)) return Status::io_error("cannot write " + path);
  }
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0) return Status::io_error("chmod " + path + ": " + std::strerror(errno));
  return Status::ok();
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ---- cluster ----

Result<std::unique_ptr<LocalCluster>> LocalCluster::create(std::string binary, const std::string& config_json) {
  auto dir = TempDir::create();
  if (!dir) return dir.status();
  std::unique_ptr<LocalCluster> c(new LocalCluster(std::move(binary), std::move(*dir)));
  c->cookie_ = c->dir_->file("cookie");
  c->config_ = c->dir_->file("config.json");
  c->token_ = c->dir_->file("api-token");
  if (auto s = write_text_file(c->cookie_, std::string(kCookie) + "\n"); !s) return s;
  if (auto s = write_text_file(c->token_, std::string(kApiToken) + "\n"); !s) return s;
  if (auto s = write_text_file(c->config_, config_json); !s) return s;
  return c;
}

LocalCluster::~LocalCluster() { stop_all(); }

void LocalCluster::stop_all() {
  for (auto& [name, n] : nodes_)
    if (n.process) n.process->kill_and_reap();
  if (portmap_) portmap_->kill_and_reap();
}

Status LocalCluster::start(const std::string& name, const std::string& seeds, const std::vector<std::string>& extra,
                           std::uint16_t port, Millis timeout) {
  std::vector<std::string> args = {binary_, "node", "--name", name, "--listen", "127.0.0.1:" + std::to_string(port),
                                   "--http", "127.0.0.1:0", "--cookie-file", cookie_, "--api-token-file", token_,
                                   "--config", config_,
                                   "--data-dir", dir_->file(name + ".data"), "--trace", dir_->file(name + ".jsonl")};
  if (!seeds.empty()) {
    args.push_back("--seeds");
    args.push_back(seeds);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  Node& n = nodes_[name];
  n.process.reset();  // a restart: the old process is killed and reaped first
  n.stderr_path = dir_->file(name + ".stderr");
  auto child = ChildProcess::spawn(args, SpawnOptions{n.stderr_path, std::nullopt});
  if (!child) return child.status();
  n.process = std::move(*child);
  auto listen = n.process->wait_line("listening on 127.0.0.1:", timeout);
  auto http = listen ? n.process->wait_line("http on 127.0.0.1:", timeout) : std::nullopt;
  if (!listen || !http)
    return Status::unavailable("node " + name + " did not report its ports within " + std::to_string(timeout.count()) +
                               "ms; its stderr: " + read_text_file(n.stderr_path));
  n.port = static_cast<std::uint16_t>(std::stoi(*listen));
  n.http = static_cast<std::uint16_t>(std::stoi(*http));
  return Status::ok();
}

Result<std::string> LocalCluster::start_portmap(Millis timeout) {
  const std::string err = dir_->file("portmap.stderr");
  auto child = ChildProcess::spawn({binary_, "portmap", "--listen", "127.0.0.1:0"}, SpawnOptions{err, std::nullopt});
  if (!child) return child.status();
  portmap_ = std::move(*child);
  auto port = portmap_->wait_line("listening on 127.0.0.1:", timeout);
  if (!port) return Status::unavailable("the port mapper did not report its port; its stderr: " + read_text_file(err));
  return "127.0.0.1:" + *port;
}

LocalCluster::Node* LocalCluster::node(const std::string& name) {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : &it->second;
}

HttpReply LocalCluster::request(const std::string& name, const std::string& method, const std::string& path,
                                const std::string& body, Millis timeout) {
  Node* n = node(name);
  if (!n) return {};
  return http_request(n->http, method, path, body, timeout, kApiToken);
}

std::string LocalCluster::addr(const std::string& name) const {
  auto it = nodes_.find(name);
  return it == nodes_.end() ? std::string() : "127.0.0.1:" + std::to_string(it->second.port);
}

std::pair<std::string, std::int64_t> member_view(std::uint16_t http, const std::string& subject, const std::string& token,
                                                 Millis timeout) {
  const HttpReply r = http_get(http, "/status", timeout, token);
  if (r.status != 200) return {"", 0};
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (!j.is_object() || !j.contains("members") || !j["members"].is_array()) return {"", 0};
  for (const auto& m : j["members"]) {
    if (!m.is_object() || m.value("name", "") != subject) continue;
    const auto inc = m.find("incarnation");
    return {m.value("state", ""), inc != m.end() && inc->is_number_integer() ? inc->get<std::int64_t>() : 0};
  }
  return {"", 0};
}

std::pair<std::string, std::int64_t> LocalCluster::view(const std::string& observer, const std::string& subject) {
  Node* n = node(observer);
  if (!n) return {"", 0};
  return member_view(n->http, subject, kApiToken, Millis(1000));
}

bool LocalCluster::formed(const std::vector<std::string>& names, Millis timeout, Millis step) {
  return wait_until(
      [&] {
        for (const auto& a : names)
          for (const auto& b : names)
            if (a != b && view(a, b).first != "active") return false;
        return true;
      },
      timeout, step);
}

}  // namespace mabeam::real
