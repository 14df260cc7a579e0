// What latchkeyd's event loops and worker threads share while it serves.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>

#include "access_log.hpp"
#include "alarms.hpp"
#include "host_pool.hpp"
#include "key_throttle.hpp"
#include "metrics.hpp"
#include "server.hpp"
#include "signer_cache.hpp"
#include "worker_threads.hpp"

namespace latchkey::gateway {

struct ServerState {
  explicit ServerState(const ServerOptions& o) : options(o), hosts(o.host), workers(o.engines), log(metrics) {}
  const ServerOptions& options;
  HostPool hosts;                        ///< Lent to worker threads, one request at a time.
  std::unique_ptr<SignerCache> signers;  ///< What the event loops sign proxied requests with.
  WorkerThreads workers;  ///< Where requests the loops hand over run; as many kept idle as there are engines.
  Alarms alarms;          ///< Where operations that wait are parked (pending_op.hpp), no worker held.
  Metrics metrics;
  KeyThrottle throttle;  ///< Unknown API keys per client address (the workers count, the loops check).
  AccessLog log;
  std::string listen;  ///< The bound address (set before the first connection).
  std::atomic<bool> stopping{false};

  std::mutex mu;  // guards open
  std::condition_variable all_closed;
  std::size_t open = 0;  ///< Client connections accepted and not yet closed.
};

}  // namespace latchkey::gateway
