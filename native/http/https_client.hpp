// HTTP/1.1 over TLS (mbedTLS 2.28) for the core's http effect: certificate and hostname
// verification always on, keep-alive per origin, Boost.Beast's parser for the wire format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "http/response_reader.hpp"  // the response limits: kResponseHeaderLimit, kMaxInterimResponses
#include "latchkey/effects.hpp"
#include "latchkey/result.hpp"

struct mbedtls_ssl_context;

namespace latchkey::native {

/// A request's timeout when it sets none (timeout_ms <= 0), and the default connect budget.
inline constexpr std::int64_t kDefaultTimeoutMs = 30000;

/// A duration as the client's messages show it: "300 ms", "2 s", "1.5 s".
std::string duration_text(std::int64_t ms);

struct HttpsClientOptions {
  /// PEM bundle of trusted CAs. Empty: LATCHKEY_CA_FILE, else /etc/ssl/certs/ca-certificates.crt.
  /// There is deliberately no option to turn certificate or hostname verification off.
  std::string ca_file;
  /// Bounds the TCP connect plus the TLS handshake of each new connection (<= 0: 30 s). The
  /// request's own timeout_ms bounds them too, whichever ends sooner.
  std::int64_t connect_timeout_ms = kDefaultTimeoutMs;
};

/// A request body produced while it is sent (the gateway's proxy streams its caller's body).
class BodySource {
 public:
  virtual ~BodySource() = default;
  /// Up to `cap` bytes into `out`: how many, 0 at the end of the body, or -1 if the body cannot
  /// be read (the request then fails with a transport_error).
  virtual long read(char* out, std::size_t cap) = 0;
  /// The body's length when known: sent as Content-Length, else the body goes chunked.
  virtual std::optional<std::uint64_t> length() const = 0;
};

/// Where a streamed response goes as it arrives.
class ResponseSink {
 public:
  enum class Take { stream, discard };
  virtual ~ResponseSink() = default;
  /// The final response's status and headers (body empty). `discard` reads and drops the body
  /// (the caller will retry, e.g. after a 401) and nothing more reaches the sink.
  virtual Take head(const HttpResponse& head) = 0;
  /// Body bytes, de-chunked. False stops the transfer (the receiver went away).
  virtual bool data(const char* bytes, std::size_t n) = 0;
  /// The client is about to wait for more of the response: a sink that batches its writes sends
  /// what it holds now. False stops the transfer.
  virtual bool flush() { return true; }
};

/// A request as HttpsClient sends it, for a host that sends it on a connection of its own.
struct WireRequest {
  std::string bytes;             ///< Head and body, exactly as perform() would write them.
  bool tls = true;               ///< https
  std::string host;              ///< The URL's host lower-cased, IPv6 literals without brackets:
                                 ///< a name to resolve, or an address.
  int port = 443;
  bool close_requested = false;  ///< The request asks the server to close after answering.
};

/// The bytes perform() would send for `request` (checked as perform() checks it: the URL, the
/// method and every header; invalid_request with the same sentence otherwise).
Result<WireRequest> wire_request(const HttpRequest& request);

/// A TLS peer's name as the certificate checks need it, and what the certificate was for.
struct TlsPeer {
  std::string host;         ///< Lower-case; IPv6 literals as given (with or without brackets).
  bool host_is_ip = false;  ///< Then an iPAddress SAN must match (never a DNS name or the CN).
  unsigned char ip[16] = {};
  std::size_t ip_len = 0;
  std::string cert_names;   ///< Filled in by the handshake (for a mismatch message).
};

/// The TlsPeer for `host` as it appears in a URL or in WireRequest::host: any case, an IPv6
/// literal with or without its brackets.
TlsPeer tls_peer(const std::string& host);

/// Thread-compatible, not thread-safe: use one client per thread. No global state.
class HttpsClient {
 public:
  /// Seeds a CTR-DRBG from the OS entropy source and loads the trust store.
  /// Errors: invalid_request naming the file (and where its name came from: the option,
  /// LATCHKEY_CA_FILE or the system bundle) if it cannot be read or holds no certificate;
  /// internal if the OS gives no entropy or mbedTLS cannot be configured.
  static Result<std::unique_ptr<HttpsClient>> create(HttpsClientOptions options);
  /// Closes idle connections (sending TLS close_notify when it can without waiting).
  ~HttpsClient();

  /// Performs one request as the core's http effect asks and answers with the response —
  /// status, headers in the order and spelling received, body — or with `transport_error`: one
  /// sentence saying what failed and what to do (unresolvable host, refused, untrusted
  /// certificate, name mismatch, expired certificate, timeout, response over the size cap,
  /// invalid HTTP). Error messages name the host and port, never the path, query, headers or
  /// body (they may carry credentials).
  ///
  /// - https: TLS 1.2, SNI, the certificate chain checked against the trust store and its
  ///   dNSName (or, for an IP literal, iPAddress) SANs against the URL's host.
  /// - http:// is allowed only to localhost, 127.0.0.0/8 and [::1] (and only to loopback
  ///   addresses those resolve to); anything else fails before connecting.
  /// - timeout_ms (<= 0: 30 s) bounds the whole call: connecting, sending, every redirect hop and
  ///   reading the full response.
  /// - max_response_bytes caps the body (after de-chunking); response headers are capped at 32 KiB;
  ///   up to 8 interim (1xx) answers are skipped, a ninth is an error (response_reader.hpp).
  /// - Redirects are returned as they are unless follow_redirects, and then only to the same
  ///   scheme, host and port, at most 5 (a sixth is a transport_error); 303, and 301/302 after a
  ///   POST, continue as GET without the body, as browsers do.
  /// - The client writes Host, Content-Length and the message framing itself (a caller's Host,
  ///   Content-Length or Transfer-Encoding header is dropped) and adds User-Agent: latchkey/<version>
  ///   unless the request has one. Header names must be HTTP tokens and values must not contain
  ///   control characters (CR/LF injection), or the request fails without being sent.
  /// - Keep-alive: one idle connection per (scheme, host, port) is kept and reused (an idle
  ///   connection the server already closed is noticed and dropped before use). If a reused
  ///   connection still turns out to be closed before any byte of the answer arrives, the request
  ///   is sent once more on a fresh connection, whatever its method, as browsers and curl do: the
  ///   cause is almost always the server closing an idle connection just as the request went out.
  ///   (A server that processed the request and then died without a byte of answer would see it
  ///   twice.)
  ///
  /// On a reused connection the only allocations are the response's own (headers and body) and
  /// the URL's parts.
  EffectResult perform(const HttpRequest& request);

  /// perform() with streamed bodies: `body` (may be null: request.body is sent) is pulled while
  /// sending, and the response goes to `sink` as it arrives, with no size cap. Redirects are
  /// never followed. The result carries the status and headers (no body) or a transport_error;
  /// an error after sink.head() returned `stream` means the body was cut short. A request whose
  /// body has started streaming is never resent.
  EffectResult stream(const HttpRequest& request, BodySource* body, ResponseSink& sink);

  /// For a host that moves a TLS connection's bytes itself (latchkeyd's event loops): binds
  /// `ssl` (initialised by the caller) to this client's trust store, TLS 1.2 settings, SNI and
  /// certificate checks for `peer`, which must outlive the handshake. The caller sets the BIO.
  Status bind_tls(mbedtls_ssl_context* ssl, TlsPeer* peer);

 private:
  HttpsClient();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchkey::native
