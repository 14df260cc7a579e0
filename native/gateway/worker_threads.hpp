// Threads for the requests the event loops hand over (worker.hpp): a job goes to an idle thread,
// or to a new one when none is idle, so a slow request never waits behind another. After a
// burst (a refresh storm hands over a request per client) the threads past `keep_idle` end as
// soon as they are done; the others end after 30 s without work.
#pragma once

#include <functional>
#include <memory>

namespace latchkey::gateway {

class WorkerThreads {
 public:
  explicit WorkerThreads(int keep_idle);
  /// Idle threads end on their own; jobs still running keep what they need alive.
  ~WorkerThreads();

  /// Runs `job` on a worker thread. False if no thread could be started for it.
  bool run(std::function<void()> job);
  /// Runs a short `job` that needs one of `keep_idle` engines (an operation resumed after a
  /// wait: pending_op.hpp) on an idle thread, else on a new one while fewer than `keep_idle`
  /// such jobs are under way, else as soon as a thread is free: so parked operations whose
  /// deadlines fall together (a crowd waiting on one refresh) add at most `keep_idle` threads.
  /// False if no thread could be started for it.
  bool post(std::function<void()> job);

 private:
  struct Shared;  ///< What the threads hold on to (worker_threads.cpp).
  struct Start;   ///< A new thread's first job.
  static void* thread_main(void* start);
  bool spawn(std::function<void()> job);

  std::shared_ptr<Shared> shared_;
};

}  // namespace latchkey::gateway
