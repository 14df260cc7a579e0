// One thread that calls functions at deadlines: where latchkeyd parks operations that wait
// (pending_op.hpp), so no worker thread sleeps inside an operation. A min-heap of deadlines; the
// thread sleeps until the earliest and calls what is due, which only hands work to the worker
// threads and returns.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace latchkey::gateway {

class Alarms {
 public:
  Alarms();
  /// Stops the thread; alarms not yet due are dropped (with what they hold).
  ~Alarms();
  Alarms(const Alarms&) = delete;
  Alarms& operator=(const Alarms&) = delete;

  /// Calls `fire` on the alarm thread once Host::now_ms reaches `until_ms` (at once if it has);
  /// alarms due together fire in the order of their deadlines. Cannot fail.
  void at(std::int64_t until_ms, std::function<void()> fire);
  /// Alarms set and not yet fired (for tests and metrics).
  std::size_t waiting();

 private:
  struct Alarm {
    std::int64_t until_ms;
    std::uint64_t order;  ///< Ties keep the order they were set in.
    std::function<void()> fire;
    bool operator>(const Alarm& o) const { return until_ms != o.until_ms ? until_ms > o.until_ms : order > o.order; }
  };
  void run();

  std::mutex mu_;
  std::condition_variable changed_;
  std::priority_queue<Alarm, std::vector<Alarm>, std::greater<Alarm>> heap_;
  std::uint64_t next_order_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace latchkey::gateway
