// latchkeyd's alarm thread (native/gateway/alarms.cpp), where operations that wait are parked:
// alarms fire in the order of their deadlines (ties in the order they were set), never before
// their deadline, at once when it has passed, and the ones not yet due go with the Alarms.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "alarms.hpp"
#include "host/host.hpp"

namespace latchkey::gateway {
namespace {

using native::Host;

// What fired, in order, and when; waits (bounded) for a number of firings.
class Fired {
 public:
  std::function<void()> note(std::string name) {
    return [this, name] {
      std::lock_guard<std::mutex> lock(mu_);
      names_.push_back(name);
      at_ms_.push_back(Host::now_ms());
      changed_.notify_all();
    };
  }
  bool wait_for(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, limit, [&] { return names_.size() >= n; });
  }
  std::vector<std::string> names() {
    std::lock_guard<std::mutex> lock(mu_);
    return names_;
  }
  std::vector<std::int64_t> times() {
    std::lock_guard<std::mutex> lock(mu_);
    return at_ms_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> names_;
  std::vector<std::int64_t> at_ms_;
};

TEST(Alarms, FireInDeadlineOrderAndTiesInTheOrderSet) {
  Fired fired;
  Alarms alarms;
  const std::int64_t now = Host::now_ms();
  alarms.at(now + 120, fired.note("late"));
  alarms.at(now + 40, fired.note("first of two"));
  alarms.at(now + 40, fired.note("second of two"));
  ASSERT_TRUE(fired.wait_for(3));
  EXPECT_EQ(fired.names(), (std::vector<std::string>{"first of two", "second of two", "late"}));
  EXPECT_EQ(alarms.waiting(), 0u);
}

TEST(Alarms, NeverBeforeTheDeadline) {
  Fired fired;
  Alarms alarms;
  const std::int64_t now = Host::now_ms();
  const std::vector<std::int64_t> deadlines = {now + 2, now + 15, now + 30, now + 80};
  for (std::size_t i = 0; i < deadlines.size(); ++i) alarms.at(deadlines[i], fired.note(std::to_string(i)));
  ASSERT_TRUE(fired.wait_for(deadlines.size()));
  ASSERT_EQ(fired.names(), (std::vector<std::string>{"0", "1", "2", "3"}));
  for (std::size_t i = 0; i < deadlines.size(); ++i) EXPECT_GE(fired.times().at(i), deadlines[i]) << i;
}

TEST(Alarms, APastDeadlineFiresAtOnceAheadOfLaterOnes) {
  Fired fired;
  Alarms alarms;
  const std::int64_t now = Host::now_ms();
  alarms.at(now + 60'000, fired.note("a minute away"));
  alarms.at(now - 5, fired.note("already due"));
  ASSERT_TRUE(fired.wait_for(1, std::chrono::seconds(2)));
  EXPECT_EQ(fired.names(), std::vector<std::string>{"already due"});
  EXPECT_EQ(alarms.waiting(), 1u);
}

// An alarm not yet due is dropped with the Alarms: what it holds (a parked operation) is released
// and it never fires.
TEST(Alarms, ThoseNotYetDueGoWithTheAlarms) {
  auto parked = std::make_shared<int>(7);
  bool ran = false;
  {
    Alarms alarms;
    alarms.at(Host::now_ms() + 60'000, [parked, &ran] { ran = true; });
    EXPECT_EQ(parked.use_count(), 2);
    EXPECT_EQ(alarms.waiting(), 1u);
  }
  EXPECT_EQ(parked.use_count(), 1);
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace latchkey::gateway
