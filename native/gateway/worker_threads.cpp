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
constexpr int kKeepIdle = 4;

}  // namespace

struct WorkerThreads::Shared {
  std::mutex mu;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  int idle = 0;
  int threads = 0;
  bool closing = false;
};

namespace {

struct Start {
  std::shared_ptr<WorkerThreads::Shared> shared;
  std::function<void()> first;
};

}  // namespace

static void* worker_thread_main(void* arg);

WorkerThreads::WorkerThreads() : shared_(std::make_shared<Shared>()) {}

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
    ++shared_->threads;
  }
  auto* start = new Start{shared_, std::move(job)};
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kThreadStack);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  const int r = pthread_create(&thread, &attr, worker_thread_main, start);
  pthread_attr_destroy(&attr);
  if (r == 0) return true;
  delete start;
  std::lock_guard<std::mutex> lock(shared_->mu);
  --shared_->threads;
  return false;
}

static void* worker_thread_main(void* arg) {
  std::unique_ptr<Start> start(static_cast<Start*>(arg));
  auto shared = std::move(start->shared);
  std::function<void()> job = std::move(start->first);
  start.reset();
  for (;;) {
    if (job) job();
    job = nullptr;
    std::unique_lock<std::mutex> lock(shared->mu);
    ++shared->idle;
    const bool woken = shared->wake.wait_for(lock, kIdleLife, [&] { return !shared->jobs.empty() || shared->closing; });
    --shared->idle;
    if (!shared->jobs.empty()) {
      job = std::move(shared->jobs.front());
      shared->jobs.pop_front();
      continue;
    }
    if (shared->closing || (!woken && shared->threads > kKeepIdle)) {
      --shared->threads;
      return nullptr;
    }
  }
}

}  // namespace latchkey::gateway
