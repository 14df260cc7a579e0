#include "alarms.hpp"

#include <chrono>

#include "host/host.hpp"

namespace latchkey::gateway {

Alarms::Alarms() : thread_([this] { run(); }) {}

Alarms::~Alarms() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_one();
  thread_.join();
}

void Alarms::at(std::int64_t until_ms, std::function<void()> fire) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    heap_.push(Alarm{until_ms, next_order_++, std::move(fire)});
  }
  changed_.notify_one();
}

std::size_t Alarms::waiting() {
  std::lock_guard<std::mutex> lock(mu_);
  return heap_.size();
}

void Alarms::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (heap_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const std::int64_t left = heap_.top().until_ms - native::Host::now_ms();
    if (left > 0) {
      // Woken early by a new, earlier alarm or by stopping: look again.
      changed_.wait_for(lock, std::chrono::milliseconds(left));
      continue;
    }
    std::function<void()> fire = std::move(const_cast<Alarm&>(heap_.top()).fire);
    heap_.pop();
    lock.unlock();
    fire();
    lock.lock();
  }
}

}  // namespace latchkey::gateway
