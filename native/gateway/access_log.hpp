// latchkeyd's access log: one JSON line per request on stderr, with the route template and the
// principal, never the target's query, a header, a key or a token. Lines are handed to a thread
// of their own that writes them, so neither an event loop nor a worker ever waits for the disk
// or for a full pipe to whoever reads stderr.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "metrics.hpp"

namespace latchkey::gateway {

/// One line (with its newline) for the log.
/// `client`: the client's address (the peer's, or the one a trusted proxy forwarded), "" unknown.
std::string access_log_line(const std::string& method, const std::string& route, int status, double ms,
                            const std::string& principal, const std::string& client);

class AccessLog {
 public:
  /// Dropped lines are counted in `metrics`.
  explicit AccessLog(Metrics& metrics);
  /// Writes what is left, then ends the writer thread.
  ~AccessLog();

  /// Queues whole lines. Past kMaxQueued bytes waiting (stderr not being read), lines are
  /// dropped and counted rather than held without bound.
  void submit(const std::string& lines);

  static constexpr std::size_t kMaxQueued = 8 << 20;

 private:
  void run();

  Metrics& metrics_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::string queued_;
  bool closing_ = false;
  std::thread writer_;
};

}  // namespace latchkey::gateway
