// The port mapper's registry and line protocol, without sockets: register, look up, list,
// expiry of registrations that are not renewed, and refusal of bad input.
#include <catch2/catch.hpp>

#include "real/net_util.h"
#include "real/portmap.h"

using namespace mabeam;
using namespace mabeam::real;

TEST_CASE("portmap: registered names can be looked up and listed", "[real]") {
  PortmapTable t;
  CHECK(t.handle("REGISTER n1 127.0.0.1:4001 1000", 0, "10.0.0.9").text == "OK\n");
  CHECK(t.handle("REGISTER n2 0.0.0.0:4002 1000", 0, "10.0.0.9").text == "OK\n");
  CHECK(t.handle("LOOKUP n1", 10, "x").text == "FOUND n1 127.0.0.1:4001\n");
  CHECK(t.handle("LOOKUP n2", 10, "x").text == "FOUND n2 10.0.0.9:4002\n");  // 0.0.0.0: the caller's address
  CHECK(t.handle("LOOKUP n3", 10, "x").text == "NOTFOUND n3\n");
  CHECK(t.handle("LIST", 10, "x").text == "NODE n1 127.0.0.1:4001\nNODE n2 10.0.0.9:4002\nEND\n");
  CHECK(t.handle("UNREGISTER n1", 10, "x").text == "OK\n");
  CHECK(t.handle("LIST", 10, "x").text == "NODE n2 10.0.0.9:4002\nEND\n");
  auto bye = t.handle("QUIT", 10, "x");
  CHECK(bye.text == "BYE\n");
  CHECK(bye.close);
}

TEST_CASE("portmap: a registration not renewed within its ttl expires", "[real]") {
  PortmapTable t;
  t.handle("REGISTER n1 127.0.0.1:4001 500", 0, "x");
  CHECK(t.handle("LOOKUP n1", ms(400), "x").text == "FOUND n1 127.0.0.1:4001\n");
  t.handle("REGISTER n1 127.0.0.1:4001 500", ms(400), "x");  // renewal
  CHECK(t.handle("LOOKUP n1", ms(800), "x").text == "FOUND n1 127.0.0.1:4001\n");
  CHECK(t.handle("LOOKUP n1", ms(901), "x").text == "NOTFOUND n1\n");
  CHECK(t.size() == 0);
}

TEST_CASE("portmap: bad requests are answered ERR and close the connection", "[real]") {
  PortmapTable t(2);
  for (const char* bad : {"", "HELLO", "REGISTER", "REGISTER n1 nowhere 100", "REGISTER n1 1.2.3.4:0 100",
                          "REGISTER bad/name 1.2.3.4:5 100", "REGISTER n1 1.2.3.4:5 -1", "REGISTER n1 1.2.3.4:5 10x",
                          "LOOKUP", "LIST extra", "REGISTER n1 1.2.3.4:5\x01 100"}) {
    auto r = t.handle(bad, 0, "x");
    CHECK(r.text.rfind("ERR ", 0) == 0);
    CHECK(r.close);
  }
  CHECK(t.size() == 0);
  t.handle("REGISTER a 1.2.3.4:5 1000", 0, "x");
  t.handle("REGISTER b 1.2.3.4:6 1000", 0, "x");
  CHECK(t.handle("REGISTER c 1.2.3.4:7 1000", 0, "x").text == "ERR registry full\n");
  CHECK(t.handle("REGISTER a 1.2.3.4:8 1000", 0, "x").text == "OK\n");  // renewing is always possible
}

TEST_CASE("net: seeds parse as host:port or name@mapper-host:port, and bad ones are refused", "[real]") {
  auto s = parse_seeds("127.0.0.1:4001, n2@mapper.local:4369 ,[::1]:7");
  REQUIRE(s.is_ok());
  REQUIRE(s->size() == 3);
  CHECK((*s)[0].name.empty());
  CHECK((*s)[0].addr.str() == "127.0.0.1:4001");
  CHECK((*s)[1].name == "n2");
  CHECK((*s)[1].addr.str() == "mapper.local:4369");
  CHECK((*s)[2].addr.host == "::1");
  CHECK(parse_seeds("").is_ok());
  CHECK_FALSE(parse_seeds("nohost").is_ok());
  CHECK_FALSE(parse_seeds("1.2.3.4:0").is_ok());
  CHECK_FALSE(parse_seeds("1.2.3.4:70000").is_ok());
  CHECK_FALSE(parse_seeds("bad name@1.2.3.4:5").is_ok());
}
