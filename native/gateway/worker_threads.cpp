#include "worker_threads.hpp"

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

namespace latchkey::gateway {
namespace {

constexpr std::size_t kThreadStack = 512 * 1024;  // the default 8 MiB is address space wasted
constexpr auto kIdleLife = std::chrono::seconds(30);

}  // namespace

struct WorkerThreads::Shared {
  std::mutex mu;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  int keep_idle = 0;
  int idle = 0;
  int posted = 0;  ///< Jobs from post() queued or running.
  bool closing = false;
};

struct WorkerThreads::Start {
  std::shared_ptr<Shared> shared;
  std::function<void()> first;
};

WorkerThreads::WorkerThreads(int keep_idle) : shared_(std::make_shared<Shared>()) { shared_->keep_idle = keep_idle; }

WorkerThreads::~WorkerThreads() {
  std::lock_guard<std::mutex> lock(shared_->mu);
  shared_->closing = true;
  shared_->wake.notify_all();
}

bool WorkerThreads::run(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    if (shared_->idle > static_cast<int>(shared_->jobs.size())) {
      shared_->jobs.push_back(std::move(job));
      shared_->wake.notify_one();
      return true;
    }
  }
  return spawn(std::move(job));
}

bool WorkerThreads::post(std::function<void()> job) {
  auto counted = [shared = shared_, job = std::move(job)] {
    job();
    std::lock_guard<std::mutex> lock(shared->mu);
    --shared->posted;
  };
  {
    std::lock_guard<std::mutex> lock(shared_->mu);
    ++shared_->posted;
    if (shared_->idle > static_cast<int>(shared_->jobs.size()) || shared_->posted > shared_->keep_idle) {
      shared_->jobs.push_back(std::move(counted));
      shared_->wake.notify_one();
      return true;
    }
  }
  if (spawn(counted)) return true;
  std::lock_guard<std::mutex> lock(shared_->mu);
  --shared_->posted;
  return false;
}

bool WorkerThreads::spawn(std::function<void()> job) {
  auto* start = new Start{shared_, std::move(job)};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kThreadStack);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  const int r = pthread_create(&thread, &attr, thread_main, start);
  pthread_attr_destroy(&attr);
  if (r == 0) return true;
  delete start;
  return false;
}

void* WorkerThreads::thread_main(void* arg) {
  std::unique_ptr<Start> start(static_cast<Start*>(arg));
  auto shared = std::move(start->shared);
  std::function<void()> job = std::move(start->first);
  start.reset();
  for (;;) {
    if (job) job();
    job = nullptr;
    std::unique_lock<std::mutex> lock(shared->mu);
    if (shared->jobs.empty() && shared->idle >= shared->keep_idle) return nullptr;
    ++shared->idle;
    const bool woken = shared->wake.wait_for(lock, kIdleLife, [&] { return !shared->jobs.empty() || shared->closing; });
    --shared->idle;
    if (!shared->jobs.empty()) {
      job = std::move(shared->jobs.front());
      shared->jobs.pop_front();
      continue;
    }
    if (shared->closing || !woken) return nullptr;
  }
}

}  // namespace latchkey::gateway
