// The Hosts (an engine and a store connection each) that latchkeyd's client connections borrow
// while they handle a request: how many requests run at once, independent of how many clients
// are connected.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "host/host.hpp"

namespace latchkey::gateway {

class HostPool {
 public:
  explicit HostPool(native::HostOptions options) : options_(std::move(options)) {}

  /// Opens `count` Hosts, one after another (the first may create the master key file).
  Status open(int count);

  /// A Host, returned to the pool when the lease ends; waits while all are lent out.
  class Lease {
   public:
    Lease(HostPool& pool, std::unique_ptr<native::Host> host) : pool_(pool), host_(std::move(host)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.give_back(std::move(host_)); }
    native::Host& operator*() { return *host_; }

   private:
    HostPool& pool_;
    std::unique_ptr<native::Host> host_;
  };
  Lease acquire();

 private:
  void give_back(std::unique_ptr<native::Host> host);

  native::HostOptions options_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<native::Host>> free_;
};

}  // namespace latchkey::gateway
