// The HTTP API's bearer-token rules (real/api_auth.h) fed requests at chosen times, and the
// token file's rules (real/net_util.h): what DESIGN.md's "Real node endpoints" promises.
#include <catch2/catch.hpp>

#include "real/api_auth.h"
#include "real/cluster_launcher.h"
#include "real/net_util.h"

using namespace mabeam;
using real::ApiAuth;

namespace {
const std::string kToken = "s3cret-token-0123456789";
const std::string kBearer = "Bearer " + kToken;
}  // namespace

TEST_CASE("api auth: /health, /ready and /metrics are open; every other path needs the token", "[auth]") {
  ApiAuth auth(kToken);
  for (const char* open : {"/health", "/ready", "/metrics"}) CHECK(auth.check(open, "", "10.0.0.1", 0).status == 200);
  for (const char* closed : {"/status", "/variables/x", "/variables", "/nope", "/"}) {
    INFO(closed);
    CHECK(auth.check(closed, "", "10.0.0.1", 0).status == 401);
    CHECK(auth.check(closed, kBearer, "10.0.0.1", 0).status == 200);
  }
}

TEST_CASE("api auth: without a configured token the protected endpoints answer 403", "[auth]") {
  ApiAuth auth(std::nullopt);
  CHECK_FALSE(auth.configured());
  const auto d = auth.check("/status", kBearer, "10.0.0.1", 0);
  CHECK(d.status == 403);
  CHECK_THAT(d.why, Catch::Contains("no API token configured"));
  CHECK(auth.check("/health", "", "10.0.0.1", 0).status == 200);
  CHECK(auth.counters().unconfigured == 1);
}

TEST_CASE("api auth: a missing, malformed or wrong token is 401, counted by kind", "[auth]") {
  ApiAuth auth(kToken);
  CHECK(auth.check("/status", "", "a", 0).status == 401);
  CHECK(auth.check("/status", "Basic dXNlcjpwYXNz", "b", 0).status == 401);
  CHECK(auth.check("/status", "Bearer ", "c", 0).status == 401);
  CHECK(auth.check("/status", "bearer " + kToken, "d", 0).status == 401);  // the scheme is case-sensitive here
  CHECK(auth.check("/status", "Bearer " + kToken + "x", "e", 0).status == 401);
  CHECK(auth.check("/status", "Bearer " + kToken.substr(1), "f", 0).status == 401);
  const auto wrong = auth.check("/status", "Bearer nope", "g", 0);
  CHECK(wrong.status == 401);
  CHECK(wrong.why.find(kToken) == std::string::npos);  // never echoed
  CHECK(auth.counters().missing == 4);
  CHECK(auth.counters().wrong == 3);
}

TEST_CASE("api auth: 5 failures from one address within 10s give it 429 for 10s; the right token always passes", "[auth]") {
  ApiAuth auth(kToken);
  const std::string a = "10.0.0.7";
  for (int i = 0; i < 5; ++i) CHECK(auth.check("/status", "Bearer guess" + std::to_string(i), a, sec(1) * i).status == 401);
  CHECK(auth.check("/status", "Bearer guess5", a, sec(5)).status == 429);
  CHECK(auth.check("/status", "", a, sec(13)).status == 429);  // blocked until 4s + 10s
  CHECK(auth.counters().throttled == 2);
  CHECK(auth.check("/status", kBearer, a, sec(6)).status == 200);  // the right token passes while blocked
  CHECK(auth.check("/status", "", "10.0.0.8", sec(6)).status == 401);  // another address is not blocked
  CHECK(auth.check("/status", "", a, sec(14) + 1).status == 401);    // the block is over
}

TEST_CASE("api auth: failures spread over more than 10s do not block", "[auth]") {
  ApiAuth auth(kToken);
  for (int i = 0; i < 12; ++i) CHECK(auth.check("/status", "", "10.0.0.9", sec(3) * i).status == 401);
  CHECK(auth.counters().throttled == 0);
}

TEST_CASE("api auth: the tracked addresses are bounded", "[auth]") {
  ApiAuth auth(kToken);
  for (std::size_t i = 0; i < ApiAuth::kAddressesMax + 100; ++i)
    CHECK(auth.check("/status", "", "addr" + std::to_string(i), static_cast<TimeUs>(i)).status == 401);
  CHECK(auth.check("/status", kBearer, "addr0", sec(1)).status == 200);
}

TEST_CASE("api token file: first line, trimmed, at least 16 bytes, mode 600, or a clear error", "[auth]") {
  auto dir = real::TempDir::create();
  REQUIRE(dir);
  const auto& d = **dir;
  auto err = [&](const std::string& file) {
    auto t = real::read_api_token_file(d.file(file));
    return t ? std::string("ok: ") + *t : t.status().message();
  };
  REQUIRE(real::write_text_file(d.file("good"), "  " + kToken + "  \nsecond line is ignored\n", 0600));
  CHECK(err("good") == "ok: " + kToken);
  REQUIRE(real::write_text_file(d.file("open"), kToken + "\n", 0640));
  CHECK_THAT(err("open"), Catch::Contains("chmod 600"));
  REQUIRE(real::write_text_file(d.file("short"), "short-token\n", 0600));
  CHECK_THAT(err("short"), Catch::Contains("shorter than 16 bytes"));
  CHECK(err("short").find("short-token") == std::string::npos);  // the secret is not shown
  REQUIRE(real::write_text_file(d.file("blank"), "\n" + kToken + "\n", 0600));
  CHECK_THAT(err("blank"), Catch::Contains("the first line is empty"));
  CHECK_THAT(err("missing"), Catch::Contains("No such file"));
  CHECK_THAT(err(""), Catch::Contains("API token file"));
}
