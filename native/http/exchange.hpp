// One request and its response on a connection: the request written (its head by hand, its body
// from memory or pulled from a BodySource), the response read through ResponseReader into an
// HttpResponse or a ResponseSink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/connection.hpp"
#include "http/https_client.hpp"
#include "http/request_target.hpp"
#include "http/response_reader.hpp"

namespace latchkey::native::client {

/// The request as sent on one hop (redirects may change method and drop the body).
struct Outgoing {
  std::string_view method;
  const Params* headers;
  std::string_view body;
  bool body_dropped = false;     // a redirect turned a POST into a GET: drop body headers too
  BodySource* source = nullptr;  // a streamed body instead of `body`
  ResponseSink* sink = nullptr;  // where a streamed response goes (else: into the response)
  bool source_started = false;   // the source gave bytes away: the request can't be resent
};

enum class Failure {
  none,
  failed,        // error says why; do not retry
  closed_early,  // the connection was closed or reset before any response byte: retryable if reused
};

/// What perform() checks before connecting: the URL (into *target), the method and every
/// header. "" if fine, else a sentence that shows no header value.
std::string check_request(const HttpRequest& request, Target* target);

/// Appends the request as sent on the wire: its head and, unless streamed, its body. Host,
/// Content-Length and Transfer-Encoding are ours, never the caller's.
void write_request(std::string& w, const Target& t, const Outgoing& out, bool* close_requested);

/// Buffers an exchange needs, reused from one to the next (no allocation on a kept-alive
/// connection beyond the response's own).
struct ExchangeBuffers {
  std::string wire;                                                   // the request being sent
  std::unique_ptr<char[]> chunk{new char[kResponseBodyChunk + 32]};  // body bytes out (+ chunk framing)
  ResponseReader reader;
};

struct ExchangeLimits {
  Clock::time_point deadline;  // for the whole request
  std::int64_t timeout_ms;     // its length (a streamed transfer's deadline moves with progress)
  std::size_t max_bytes;       // the response body's cap, unless it goes to a sink
};

/// Sends the request on `c` and reads its answer into *response (or out.sink). *keep_alive says
/// if `c` can carry another request afterwards.
Failure exchange(Connection& c, const Target& t, Outgoing& out, const ExchangeLimits& limits,
                 ExchangeBuffers& buffers, HttpResponse* response, bool* keep_alive, std::string* error);

}  // namespace latchkey::native::client
