// The HTTPS client's keep-alive connections: one idle connection per (scheme, host, port), at
// most kMaxIdleConnections in all, the least recently used dropped first.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "http/connection.hpp"

namespace latchkey::native::client {

inline constexpr std::size_t kMaxIdleConnections = 8;

class ConnectionPool {
 public:
  ConnectionPool() = default;
  /// Closes the idle connections (sending TLS close_notify when it can without waiting).
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  /// The idle connection to `t`'s origin, if there is one the server has not closed meanwhile.
  std::unique_ptr<Connection> take(const Target& t);
  /// Keeps `c` for its origin's next request, in place of any connection kept for it before.
  void keep(std::unique_ptr<Connection> c);

 private:
  std::vector<std::unique_ptr<Connection>> idle_;  // least recently used first
};

}  // namespace latchkey::native::client
