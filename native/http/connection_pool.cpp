#include "http/connection_pool.hpp"

#include <utility>

namespace latchkey::native::client {

ConnectionPool::~ConnectionPool() {
  for (auto& c : idle_) close_politely(*c);
}

std::unique_ptr<Connection> ConnectionPool::take(const Target& t) {
  for (std::size_t i = 0; i < idle_.size(); ++i) {
    Connection& c = *idle_[i];
    if (c.tls != t.tls || c.port != t.port || c.host != t.url.host) continue;
    std::unique_ptr<Connection> found = std::move(idle_[i]);
    idle_.erase(idle_.begin() + static_cast<std::ptrdiff_t>(i));
    if (!still_idle(*found)) return nullptr;
    return found;
  }
  return nullptr;
}

void ConnectionPool::keep(std::unique_ptr<Connection> c) {
  for (auto& slot : idle_) {
    if (slot->tls == c->tls && slot->port == c->port && slot->host == c->host) {
      close_politely(*slot);
      slot = std::move(c);  // one idle connection per origin
      return;
    }
  }
  if (idle_.size() >= kMaxIdleConnections) {
    close_politely(*idle_.front());
    idle_.erase(idle_.begin());
  }
  idle_.push_back(std::move(c));
}

}  // namespace latchkey::native::client
