#include "http/exchange.hpp"

#include <cstdio>
#include <cstring>

#include "http/ascii.hpp"
#include "http/tls_config.hpp"
#include "latchkey/latchkey.h"

namespace latchkey::native::client {
namespace {

// Pulls the streamed body from out.source and sends it, chunked when its length is unknown. The
// deadline moves with progress: a long upload that keeps moving is not cut off.
Failure send_body(Connection& c, Outgoing& out, char* chunk, std::int64_t timeout_ms, std::string* error) {
  const bool chunked = !out.source->length();
  std::uint64_t sent = 0;
  for (;;) {
    char* data = chunk + 16;  // room in front for a chunk-size line
    long n = out.source->read(data, kResponseBodyChunk);
    if (n < 0) {
      *error = "the request body could not be read from the caller";
      return Failure::failed;
    }
    out.source_started = true;
    if (!chunked && n == 0 && sent != *out.source->length()) {
      *error = "the request body ended before its Content-Length";
      return Failure::failed;
    }
    const char* begin = data;
    std::size_t len = static_cast<std::size_t>(n);
    if (chunked) {
      char size[18];
      int k = std::snprintf(size, sizeof size, "%lx\r\n", static_cast<unsigned long>(n));
      begin = data - k;
      std::memcpy(const_cast<char*>(begin), size, static_cast<std::size_t>(k));
      len += static_cast<std::size_t>(k);
      std::memcpy(data + n, "\r\n", 2);
      len += 2;
    }
    c.deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    int r = conn_write_all(c, begin, len);
    if (r == MBEDTLS_ERR_SSL_TIMEOUT) {
      *error = c.host + " stopped accepting the request body for " + duration_text(timeout_ms) + "; try again later";
      return Failure::failed;
    }
    if (r != 0) {
      *error = c.host + " closed the connection while the request body was being sent; try again";
      return Failure::failed;
    }
    sent += static_cast<std::uint64_t>(n);
    if (n == 0) return Failure::none;
  }
}

}  // namespace

std::string check_request(const HttpRequest& request, Target* target) {
  std::string why = parse_target(request.url, target);
  if (!why.empty()) return why;
  if (!is_token(request.method)) return "the request method is not a valid HTTP method name";
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name)) return "a request header name is not a valid HTTP token; check the request's headers";
    if (!is_field_value(value)) {
      // The name is safe to show; the value might be a credential.
      return "the value of the request header " + name + " contains a line break or control character; remove it";
    }
  }
  return {};
}

void write_request(std::string& w, const Target& t, const Outgoing& out, bool* close_requested) {
  w += out.method;
  w += ' ';
  if (t.url.path.empty() || t.url.path.front() != '/') w += '/';
  w += t.url.path;
  if (t.has_query) {
    w += '?';
    w += t.url.query;
  }
  w += " HTTP/1.1\r\nHost: ";
  w += t.url.host;
  if (!t.default_port) {
    w += ':';
    char port[8];
    int n = std::snprintf(port, sizeof port, "%d", t.port);
    w.append(port, static_cast<std::size_t>(n));
  }
  w += "\r\n";
  bool has_user_agent = false;
  for (const auto& [name, value] : *out.headers) {
    // Framing is ours: a caller's Host, Content-Length or Transfer-Encoding could desynchronise
    // the connection (request smuggling), so they are replaced, not passed on.
    if (iequals(name, "host") || iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    if (out.body_dropped && (iequals(name, "content-type") || iequals(name, "content-encoding") ||
                             iequals(name, "content-language") || iequals(name, "content-location"))) {
      continue;
    }
    if (iequals(name, "user-agent")) has_user_agent = true;
    if (iequals(name, "connection") && icontains(value, "close")) *close_requested = true;
    w += name;
    w += ": ";
    w += value;
    w += "\r\n";
  }
  if (!has_user_agent) {
    w += "User-Agent: latchkey/";
    w += lk_version();
    w += "\r\n";
  }
  if (out.source && !out.source->length()) {
    w += "Transfer-Encoding: chunked\r\n";
  } else if (out.source || !out.body.empty() || iequals(out.method, "POST") || iequals(out.method, "PUT") ||
             iequals(out.method, "PATCH")) {
    char len[32];
    std::uint64_t size = out.source ? *out.source->length() : out.body.size();
    int n = std::snprintf(len, sizeof len, "Content-Length: %llu\r\n", static_cast<unsigned long long>(size));
    w.append(len, static_cast<std::size_t>(n));
  }
  w += "\r\n";
  if (!out.source) w += out.body;
}

Failure exchange(Connection& c, const Target& t, Outgoing& out, const ExchangeLimits& limits,
                 ExchangeBuffers& buffers, HttpResponse* response, bool* keep_alive, std::string* error) {
  const std::int64_t timeout_ms = limits.timeout_ms;
  c.deadline = limits.deadline;
  c.start = c.end = 0;

  // The request head, by hand: it is a handful of lines, and this keeps it in one reused buffer.
  std::string& w = buffers.wire;
  w.clear();
  bool close_requested = false;
  write_request(w, t, out, &close_requested);

  int r = conn_write_all(c, w.data(), w.size());
  if (r == MBEDTLS_ERR_SSL_TIMEOUT) {
    *error = c.host + " did not accept the request within " + duration_text(timeout_ms) +
             "; try again later, or raise the timeout";
    return Failure::failed;
  }
  if (r != 0) {
    *error = c.host + " closed the connection before the request was sent (" +
             (c.last_errno ? errno_text(c.last_errno) : mbedtls_text(r)) + "); try again";
    return Failure::closed_early;
  }
  if (out.source) {
    Failure f = send_body(c, out, buffers.chunk.get(), timeout_ms, error);
    if (f != Failure::none) return f;
  }

  const bool streaming = out.sink != nullptr;
  ResponseReader& reader = buffers.reader;
  reader.start({c.host, iequals(out.method, "HEAD"),
                streaming ? std::nullopt : std::optional<std::uint64_t>(limits.max_bytes)});
  response->body.clear();
  bool head_delivered = false;
  ResponseSink::Take take = ResponseSink::Take::stream;
  for (;;) {
    std::size_t used = 0;
    const ResponseReader::Event event = reader.feed(c.buf.get() + c.start, c.end - c.start, &used);
    c.start += used;
    if (event == ResponseReader::Event::done) break;
    if (event == ResponseReader::Event::error) {
      *error = reader.error();
      return Failure::failed;
    }
    if (event == ResponseReader::Event::head) {
      head_delivered = true;
      reader.copy_head(*response);
      if (streaming) take = out.sink->head(*response);
      continue;
    }
    if (event == ResponseReader::Event::body) {
      const std::string_view bytes = reader.body();
      if (!streaming) {
        response->body.append(bytes);
        continue;
      }
      if (take == ResponseSink::Take::stream && !out.sink->data(bytes.data(), bytes.size())) {
        *error = "the receiver of the response from " + c.host + " went away";
        *keep_alive = false;
        return Failure::failed;
      }
      c.deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
      continue;
    }

    // The reader wants more: make room, then read.
    if (c.start == c.end) {
      c.start = c.end = 0;
    } else if (c.end == kReadBufferSize) {
      if (c.start == 0) {
        // Not reached: the reader refuses to leave kResponsePendingLimit bytes untaken.
        *error = c.host + " sent a response that is not valid HTTP/1.1; check that the URL's scheme and port are right";
        return Failure::failed;
      }
      std::memmove(c.buf.get(), c.buf.get() + c.start, c.end - c.start);
      c.end -= c.start;
      c.start = 0;
    }
    if (streaming && head_delivered && !out.sink->flush()) {
      *error = "the receiver of the response from " + c.host + " went away";
      *keep_alive = false;
      return Failure::failed;
    }
    int n = conn_read(c, c.buf.get() + c.end, kReadBufferSize - c.end);
    if (n > 0) {
      c.end += static_cast<std::size_t>(n);
      continue;
    }
    if (n == MBEDTLS_ERR_SSL_TIMEOUT) {
      *error = c.host + " did not answer within " + duration_text(timeout_ms) +
               "; try again later, or raise the timeout if the server is slow";
      return Failure::failed;
    }
    // A reset before any byte of the answer is the end of a connection the server gave up on.
    if (n == 0 || (n == MBEDTLS_ERR_NET_CONN_RESET && !reader.started())) {
      if (reader.feed_eof() == ResponseReader::Event::done) {
        *keep_alive = false;  // the body ended with the connection
        break;
      }
      *error = reader.error();
      return reader.started() ? Failure::failed : Failure::closed_early;
    }
    *error = c.host + " broke off the connection in the middle of its answer (" +
             (c.last_errno && n != MBEDTLS_ERR_NET_CONN_RESET ? errno_text(c.last_errno) : mbedtls_text(n)) +
             "); try again";
    return Failure::failed;
  }

  const bool clean = c.start == c.end && (!c.tls || mbedtls_ssl_get_bytes_avail(&c.ssl) == 0);
  *keep_alive = *keep_alive && reader.keep_alive() && !close_requested && clean;
  return Failure::none;
}

}  // namespace latchkey::native::client
