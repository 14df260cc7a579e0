// latchkeyd's HTTP/1.1 server: one event loop per core (event_loop.hpp) owns the client
// connections; a loop answers a proxied request itself when it holds the key and the connection's
// signer in memory (session.hpp), and hands every other request, with its connection, to a worker
// thread that borrows a Host (an engine and a store connection) from a pool of --engines for it
// (worker.hpp). The store's WAL and compare-and-swap make several connections to one file safe.
#pragma once

#include <cstddef>
#include <string>

#include "api.hpp"
#include "host/host.hpp"

namespace latchkey::gateway {

struct ServerOptions {
  std::string listen = "127.0.0.1:8787";  ///< host:port ([v6]:port); port 0 picks a free one.
  native::HostOptions host;
  ApiConfig api;
  int engines = 8;                      ///< Requests handled at once (each Host: an engine + a store connection).
  int max_connections = 4096;           ///< Clients connected at once; more are refused with 503.
  int read_timeout_s = 30;              ///< For a whole request (head and body), and for idle keep-alive.
  std::size_t body_limit = 1 << 20;     ///< Larger bodies get 413.
  std::size_t header_limit = 16 << 10;  ///< Larger heads get 431.
  /// PEM files: set, the listener speaks TLS (tls_listener.hpp), reloading both on SIGHUP.
  std::string tls_cert, tls_key;
};

/// Listens, prints {"listening":"ADDR:PORT"} on stdout, serves until SIGTERM/SIGINT (then stops
/// accepting, finishes requests in flight and returns 0). Returns 1 after printing to stderr if
/// the store or the address cannot be opened.
int serve(const ServerOptions& options);

}  // namespace latchkey::gateway
