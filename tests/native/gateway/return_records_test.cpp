// The gateway's sign-in return records (native/gateway/return_records.cpp) on the real native
// host and SQLite store: each start sweeps a bounded few expired records through the expiry
// index, stops at live ones, and a callback still takes its own (issue 12).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "host/host.hpp"
#include "return_records.hpp"

namespace latchkey::gateway {
namespace {

struct ReturnRecords : ::testing::Test {
  void SetUp() override {
    char tmpl[] = "/tmp/latchkey-return-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    native::HostOptions options;
    options.store_path = dir + "/store.db";
    auto h = native::Host::open(options);
    ASSERT_TRUE(h.ok()) << h.error().message;
    host = std::move(*h);
  }
  void TearDown() override {
    host.reset();
    std::filesystem::remove_all(dir);
  }

  std::size_t count(const std::string& prefix) {
    auto l = host->list(prefix);
    EXPECT_TRUE(l.ok());
    return l.ok() ? l->size() : 0;
  }

  ReturnRecord record(std::int64_t expires_at_ms) { return ReturnRecord{"/vault", "acme", "", expires_at_ms}; }

  std::string dir;
  std::unique_ptr<native::Host> host;
};

TEST_F(ReturnRecords, EachStartSweepsAtMostEightExpiredAndNoLiveOne) {
  // The host's clock is the real one: these expire in 1.5 s, after all 20 are saved.
  const std::int64_t soon = native::Host::now_ms() + 1500;
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(save_return(*host, "old" + std::to_string(i), record(soon)).ok());
  ASSERT_LT(native::Host::now_ms(), soon) << "the machine is too slow for this test's timing";
  EXPECT_EQ(count("gwreturn/"), 20u);
  EXPECT_EQ(count("expiry/gwreturn/"), 20u);
  std::this_thread::sleep_for(std::chrono::milliseconds(soon - native::Host::now_ms() + 50));

  const std::int64_t later = native::Host::now_ms() + 600 * 1000;
  ASSERT_TRUE(save_return(*host, "live0", record(later)).ok());
  EXPECT_EQ(count("gwreturn/"), 13u);  // 12 expired + 1 live
  EXPECT_EQ(count("expiry/gwreturn/"), 13u);
  ASSERT_TRUE(save_return(*host, "live1", record(later)).ok());
  EXPECT_EQ(count("gwreturn/"), 6u);  // 4 expired + 2 live
  ASSERT_TRUE(save_return(*host, "live2", record(later)).ok());
  EXPECT_EQ(count("gwreturn/"), 3u);  // the live ones
  EXPECT_EQ(count("expiry/gwreturn/"), 3u);

  // A callback takes its record once; its index entry waits for a sweep after its expiry.
  auto taken = take_return(*host, "live1");
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  ASSERT_TRUE(taken->has_value());
  EXPECT_EQ((*taken)->return_to, "/vault");
  EXPECT_EQ((*taken)->expires_at_ms, later);
  auto again = take_return(*host, "live1");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(count("gwreturn/"), 2u);
  EXPECT_EQ(count("expiry/gwreturn/"), 3u);
}

}  // namespace
}  // namespace latchkey::gateway
