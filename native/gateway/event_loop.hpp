// One of latchkeyd's event loops: a thread running an Asio io_context that owns client
// connections (Session, session.hpp) between requests and while it proxies a request itself,
// the upstream connections it keeps alive for that (upstream.hpp) with a TLS configuration of its
// own, and a buffer of access-log lines.
#pragma once

#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server_state.hpp"
#include "upstream.hpp"

namespace latchkey::gateway {

class Session;

class EventLoop {
 public:
  explicit EventLoop(ServerState& state);
  ~EventLoop();

  boost::asio::io_context& context() { return ioc_; }
  ServerState& state() { return state_; }

  /// Runs the loop on the calling thread until stop().
  void run();
  /// Closes the connections waiting for a request (from any thread); the others close after
  /// their request, as the state says it is stopping.
  void close_idle();
  /// Flushes the log and ends run() (from any thread).
  void stop();

  // On the loop's thread only:
  void add(Session* s);
  void remove(Session* s);
  /// Queues an access-log line; they go to the log's writer in batches, within 50 ms.
  void log(const std::string& line);
  /// An idle connection to `origin` that can carry a request, or null. Connections the server
  /// closed or sent something on while idle, and ones idle too long, are closed instead.
  std::unique_ptr<Upstream> take_upstream(const std::string& origin);
  /// Keeps `u` (its answer read to the end) for the next request to its origin.
  void keep_upstream(std::unique_ptr<Upstream> u);
  /// The trust store and TLS settings for https upstreams; null if they could not be loaded
  /// (then those requests go to the workers, whose HttpsClient says why).
  native::HttpsClient* tls() { return tls_.get(); }

 private:
  void sweep();
  void flush_log();

  ServerState& state_;
  boost::asio::io_context ioc_{1};
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer log_timer_;
  bool log_timer_armed_ = false;
  std::string log_;
  std::list<Session*> sessions_;
  std::unique_ptr<native::HttpsClient> tls_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Upstream>>> idle_upstreams_;
};

}  // namespace latchkey::gateway
