// FileStorage: records read back in order across reopen; a torn last record (a crash
// mid-write) or a flipped byte is detected and dropped, never misread; appends after such a
// recovery stay readable; rewrite() replaces a file atomically.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "process_harness.h"
#include "real/file_storage.h"

using namespace mabeam;
using namespace mabeam::real;

namespace {
Bytes rec(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::vector<Bytes> recs(std::initializer_list<const char*> l) {
  std::vector<Bytes> out;
  for (auto s : l) out.push_back(rec(s));
  return out;
}
std::unique_ptr<FileStorage> open_at(const std::string& dir) {
  auto fs = FileStorage::open(dir);
  REQUIRE(fs.is_ok());
  return std::move(*fs);
}
}  // namespace

TEST_CASE("file storage: appended and synced records read back in order after reopen", "[real]") {
  auto dir = testing::temp_dir();
  {
    auto fs = open_at(dir->path());
    REQUIRE(fs->append("log", rec("one")).is_ok());
    REQUIRE(fs->append("log", rec("")).is_ok());
    REQUIRE(fs->append("log", rec("three")).is_ok());
    REQUIRE(fs->sync("log").is_ok());
  }
  auto fs = open_at(dir->path());
  auto got = fs->read("log");
  REQUIRE(got.is_ok());
  CHECK(*got == recs({"one", "", "three"}));
  auto missing = fs->read("nothing");
  REQUIRE(missing.is_ok());
  CHECK(missing->empty());
}

TEST_CASE("file storage: a record torn by a crash is dropped, and later appends are readable", "[real]") {
  auto dir = testing::temp_dir();
  const std::string path = dir->file("log");
  {
    auto fs = open_at(dir->path());
    for (auto s : {"alpha", "bravo", "charlie-is-longer"}) REQUIRE(fs->append("log", rec(s)).is_ok());
    REQUIRE(fs->sync("log").is_ok());
  }
  const auto full = std::filesystem::file_size(path);
  // Cut the last record at every possible point: header and payload.
  const std::size_t last = kRecordHeaderBytes + std::string("charlie-is-longer").size();
  for (std::size_t cut = 1; cut < last; ++cut) {
    auto copy = testing::temp_dir();
    std::filesystem::copy_file(path, copy->file("log"));
    std::filesystem::resize_file(copy->file("log"), full - cut);
    auto fs = open_at(copy->path());
    auto got = fs->read("log");
    REQUIRE(got.is_ok());
    CHECK(*got == recs({"alpha", "bravo"}));
    REQUIRE(fs->append("log", rec("delta")).is_ok());
    auto again = fs->read("log");
    REQUIRE(again.is_ok());
    CHECK(*again == recs({"alpha", "bravo", "delta"}));
  }
}

TEST_CASE("file storage: a flipped byte fails the checksum and the record is never misread", "[real]") {
  auto dir = testing::temp_dir();
  const std::string path = dir->file("log");
  {
    auto fs = open_at(dir->path());
    for (auto s : {"first", "second", "third"}) REQUIRE(fs->append("log", rec(s)).is_ok());
    REQUIRE(fs->sync("log").is_ok());
  }
  const std::string original = read_text_file(path);
  const std::size_t second_at = kRecordHeaderBytes + 5;
  // Flip each byte of the second record (header and payload) in turn.
  for (std::size_t i = second_at; i < second_at + kRecordHeaderBytes + 6; ++i) {
    std::string bad = original;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    REQUIRE(write_text_file(path, bad));
    auto fs = open_at(dir->path());
    auto got = fs->read("log");
    REQUIRE(got.is_ok());
    CHECK(*got == recs({"first"}));
    CHECK(fs->records_dropped() == 1);
  }
}

TEST_CASE("file storage: a garbled length cannot make the reader allocate or misread", "[real]") {
  auto dir = testing::temp_dir();
  REQUIRE(write_text_file(dir->file("log"), std::string("\xff\xff\xff\x7f\x00\x00\x00\x00tail", 12)));
  auto fs = open_at(dir->path());
  auto got = fs->read("log");
  REQUIRE(got.is_ok());
  CHECK(got->empty());
}

TEST_CASE("file storage: rewrite replaces the records atomically", "[real]") {
  auto dir = testing::temp_dir();
  auto fs = open_at(dir->path());
  REQUIRE(fs->append("state", rec("old-1")).is_ok());
  REQUIRE(fs->append("state", rec("old-2")).is_ok());
  REQUIRE(fs->rewrite("state", recs({"new"})).is_ok());
  CHECK(*fs->read("state") == recs({"new"}));
  REQUIRE(fs->append("state", rec("after")).is_ok());
  CHECK(*fs->read("state") == recs({"new", "after"}));
  CHECK_FALSE(std::filesystem::exists(dir->file("state.tmp")));
  CHECK_FALSE(fs->append("../escape", rec("x")).is_ok());
  CHECK_FALSE(fs->append("a/b", rec("x")).is_ok());
}

TEST_CASE("file storage: a data dir whose parents are missing is created, a file in the way is an error", "[real]") {
  auto dir = testing::temp_dir();
  const std::string nested = dir->path() + "/a/b/c";
  auto fs = open_at(nested);
  REQUIRE(fs->append("log", rec("x")).is_ok());
  REQUIRE(fs->sync("log").is_ok());
  CHECK(std::filesystem::is_directory(nested));
  REQUIRE(write_text_file(dir->path() + "/plain", "not a directory"));
  auto blocked = FileStorage::open(dir->path() + "/plain/sub");
  REQUIRE_FALSE(blocked.is_ok());
  CHECK(blocked.status().message().find("mkdir " + dir->path() + "/plain/sub") != std::string::npos);
}

TEST_CASE("file storage: sync_async fsyncs off the caller's thread and calls back on the io_context, in order", "[real]") {
  auto dir = testing::temp_dir();
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);  // run_one() waits for the worker's posts
  std::vector<int> order;
  std::thread::id callback_thread;
  {
    auto fs = open_at(dir->path());
    fs->attach(io);
    for (int i = 0; i < 3; ++i) {
      REQUIRE(fs->append("log", rec("r" + std::to_string(i))).is_ok());
      fs->sync_async("log", [&, i](Status s) {
        CHECK(s.is_ok());
        order.push_back(i);
        callback_thread = std::this_thread::get_id();
      });
    }
    CHECK(order.empty());  // nothing runs inside the calls
    // A rewrite while syncs may be in flight closes the descriptor they duplicated.
    REQUIRE(fs->rewrite("log", recs({"a", "b"})).is_ok());
    while (order.size() < 3) io.run_one();
  }
  CHECK(order == std::vector<int>{0, 1, 2});
  CHECK(callback_thread == std::this_thread::get_id());
  auto fs = open_at(dir->path());
  CHECK(*fs->read("log") == recs({"a", "b"}));
}

TEST_CASE("file storage: syncs queued together for two files complete in queue order, each file made durable", "[real]") {
  auto dir = testing::temp_dir();
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::vector<int> order;
  {
    auto fs = open_at(dir->path());
    fs->attach(io);
    for (int i = 0; i < 40; ++i) {  // the worker takes what is queued in one round (group commit)
      const std::string file = i % 2 ? "other" : "log";
      REQUIRE(fs->append(file, rec("r" + std::to_string(i))).is_ok());
      fs->sync_async(file, [&, i](Status s) {
        CHECK(s.is_ok());
        order.push_back(i);
      });
    }
    while (order.size() < 40) io.run_one();
  }
  std::vector<int> expected(40);
  for (int i = 0; i < 40; ++i) expected[static_cast<std::size_t>(i)] = i;
  CHECK(order == expected);
  auto fs = open_at(dir->path());
  CHECK(fs->read("log")->size() == 20);
  CHECK(fs->read("other")->size() == 20);
}
