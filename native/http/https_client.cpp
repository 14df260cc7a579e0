// HttpsClient's public face: a request checked, sent on a kept-alive or new connection (once more
// on a fresh one if a reused connection turns out closed), and same-origin redirects followed.
// The parts live beside it: request_target (URL → host, port, path), tls_config (mbedTLS),
// connection (sockets with deadlines), connection_pool (keep-alive), exchange (one request and
// its response, read by response_reader).
#include "http/https_client.hpp"

#include <chrono>
#include <string_view>
#include <utility>

#include "http/ascii.hpp"
#include "http/connection.hpp"
#include "http/connection_pool.hpp"
#include "http/exchange.hpp"
#include "http/request_target.hpp"
#include "http/tls_config.hpp"

namespace latchkey::native {
namespace {

constexpr int kMaxRedirects = 5;

}  // namespace

using client::Clock;
using client::Failure;
using client::Outgoing;
using client::Target;
using client::iequals;

struct HttpsClient::Impl {
  EffectResult perform(const HttpRequest& request, BodySource* source = nullptr, ResponseSink* sink = nullptr);
  EffectResult run(const HttpRequest& request, Target target, Outgoing out);

  HttpsClientOptions options;
  client::TlsConfig tls;
  client::ConnectionPool pool;  // after tls: its connections point at tls's configuration
  client::ExchangeBuffers buffers;
};

EffectResult HttpsClient::Impl::perform(const HttpRequest& request, BodySource* source, ResponseSink* sink) {
  EffectResult result;
  Target target;
  result.transport_error = client::check_request(request, &target);
  if (!result.transport_error.empty()) return result;
  Outgoing out{request.method, &request.headers, request.body};
  out.source = source;
  out.sink = sink;
  return run(request, std::move(target), out);
}

EffectResult HttpsClient::Impl::run(const HttpRequest& request, Target target, Outgoing out) {
  EffectResult result;
  const std::int64_t timeout_ms = request.timeout_ms > 0 ? request.timeout_ms : kDefaultTimeoutMs;
  const client::ExchangeLimits limits{Clock::now() + std::chrono::milliseconds(timeout_ms), timeout_ms,
                                      request.max_response_bytes};
  const bool follow = request.follow_redirects && out.sink == nullptr;

  for (int hop = 0;; ++hop) {
    if (!target.tls && !client::is_loopback_name(target.url.host)) {
      result.transport_error = "plain http:// is allowed only to localhost, 127.0.0.0/8 and [::1]; use https://" +
                               target.url.host + " instead";
      return result;
    }

    HttpResponse response;
    Failure failure = Failure::failed;
    std::string error;
    std::unique_ptr<client::Connection> c = pool.take(target);
    bool reused = c != nullptr;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!c) {
        c = client::connect(tls, target, options.connect_timeout_ms, limits.deadline, timeout_ms, &error);
        if (!c) {
          failure = Failure::failed;
          break;
        }
      }
      bool keep_alive = true;
      error.clear();
      failure = client::exchange(*c, target, out, limits, buffers, &response, &keep_alive, &error);
      if (failure == Failure::none) {
        if (keep_alive) pool.keep(std::move(c));
        break;
      }
      c.reset();
      // A kept-alive connection the server closed while it sat idle fails before any byte of
      // an answer. RFC 9112 §9.3.1 allows retrying then; like browsers and curl we do it once,
      // for any method, on a fresh connection (see the header for the caveat).
      if (!(failure == Failure::closed_early && reused && attempt == 0 && !out.source_started)) break;
      reused = false;
    }
    if (failure != Failure::none) {
      result.transport_error = std::move(error);
      return result;
    }

    const int status = response.status;
    const bool redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    const std::string* location = nullptr;
    if (redirect && follow) {
      for (const auto& [name, value] : response.headers) {
        if (iequals(name, "location")) {
          location = &value;
          break;
        }
      }
    }
    if (location == nullptr) {
      result.response = std::move(response);
      return result;
    }
    Target next;
    if (!client::parse_target(client::resolve_location(target, *location), &next).empty() ||
        !client::same_origin(target, next)) {
      // Only same-origin redirects are followed: headers such as Authorization must never
      // travel to a host the caller did not name. The 3xx goes back to the caller as it is.
      result.response = std::move(response);
      return result;
    }
    if (hop == kMaxRedirects) {
      result.transport_error = target.url.host + " redirected more than " + std::to_string(kMaxRedirects) +
                               " times (a redirect loop?); check the URL";
      return result;
    }
    // Fetch semantics (WHATWG Fetch §4.4): 303 makes any method but HEAD a GET; 301 and 302
    // turn a POST into a GET; 307 and 308 keep method and body.
    if ((status == 303 && !iequals(out.method, "HEAD")) ||
        ((status == 301 || status == 302) && iequals(out.method, "POST"))) {
      out.method = "GET";
      out.body = std::string_view();
      out.body_dropped = true;
    }
    target = std::move(next);
  }
}

HttpsClient::HttpsClient() : impl_(std::make_unique<Impl>()) {}
HttpsClient::~HttpsClient() = default;

Result<std::unique_ptr<HttpsClient>> HttpsClient::create(HttpsClientOptions options) {
  std::unique_ptr<HttpsClient> made(new HttpsClient());
  made->impl_->options = options;
  Status s = made->impl_->tls.init(options.ca_file);
  if (!s) return s.error();
  return Result<std::unique_ptr<HttpsClient>>(std::move(made));
}

EffectResult HttpsClient::perform(const HttpRequest& request) { return impl_->perform(request); }

EffectResult HttpsClient::stream(const HttpRequest& request, BodySource* body, ResponseSink& sink) {
  return impl_->perform(request, body, &sink);
}

std::string duration_text(std::int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + " ms";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  std::string s = std::to_string(ms / 100);  // tenths of a second
  s.insert(s.size() - 1, ".");
  return s + " s";
}

Result<WireRequest> wire_request(const HttpRequest& request) {
  Target target;
  std::string why = client::check_request(request, &target);
  if (!why.empty()) return make_error(ErrorCode::invalid_request, why);
  WireRequest wire;
  Outgoing out{request.method, &request.headers, request.body};
  client::write_request(wire.bytes, target, out, &wire.close_requested);
  wire.tls = target.tls;
  wire.host = client::host_name(target.url.host);
  wire.port = target.port;
  return wire;
}

Status HttpsClient::bind_tls(mbedtls_ssl_context* ssl, TlsPeer* peer) {
  if (int r = impl_->tls.bind(ssl, peer); r != 0) {
    return make_error(ErrorCode::internal,
                      "could not start TLS with " + peer->host + " (" + client::mbedtls_text(r) + ")");
  }
  return Ok{};
}

}  // namespace latchkey::native
