#include "host_pool.hpp"

namespace latchkey::gateway {

Status HostPool::open(int count) {
  for (int i = 0; i < count; ++i) {
    auto host = native::Host::open(options_);
    if (!host) return host.error();
    free_.push_back(std::move(*host));
  }
  return Ok{};
}

HostPool::Lease HostPool::acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  returned_.wait(lock, [&] { return !free_.empty(); });
  // The most recently returned Host: its store pages and upstream connections are the warmest.
  std::unique_ptr<native::Host> host = std::move(free_.back());
  free_.pop_back();
  return Lease(*this, std::move(host));
}

void HostPool::give_back(std::unique_ptr<native::Host> host) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(host));
  }
  returned_.notify_one();
}

}  // namespace latchkey::gateway
