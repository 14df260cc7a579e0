// The requests latchkeyd's event loop does not answer itself, each on a thread of its own with
// blocking reads and writes bounded by deadlines (ClientSocket): every API route, and proxied
// requests the loop cannot send (no cached key or signer, a body to stream, an upstream it could
// not connect to or complete the TLS handshake with, an https upstream when the loop has no TLS
// configuration, a retry after a 401). The loop hands the connection over with the request's
// head, and takes it back afterwards unless it must close. An operation that must wait (a peer's
// refresh lease, a retry's backoff) does not keep its thread: the request is parked on the
// server's Alarms until the deadline and then carried on by whichever worker thread is free.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "server_state.hpp"

namespace latchkey::gateway {

struct HandOff {
  int fd = -1;
  boost::beast::flat_buffer buffer;  ///< Bytes read past the head: body, or the next request.
  std::unique_ptr<boost::beast::http::request_parser<boost::beast::http::empty_body>> head;
  boost::beast::error_code ec;       ///< Set: the head could not be read, and is refused.
  std::optional<std::string> body;   ///< The body, when the loop has read it already.
  std::string refused_access_token;  ///< The upstream answered 401 to this (the cached signer's) token.
  std::string peer;                  ///< The peer's address (resolve_origin decides whether to believe its headers).
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

/// Answers the request, then calls `done` — on this thread, or later on another worker thread
/// when an operation had to wait (pending_op.hpp: the thread is let go meanwhile). done(true): the
/// connection may carry another request; `work->fd` is still open and `work->buffer` holds what
/// followed the request. done(false): it was closed.
void serve_request(ServerState& state, std::shared_ptr<HandOff> work, std::function<void(bool keep)> done);

/// The end of a connection rather than a bad request: the client closed or reset it, it timed
/// out, or the server is stopping.
bool quiet_end(const boost::beast::error_code& ec);

}  // namespace latchkey::gateway
