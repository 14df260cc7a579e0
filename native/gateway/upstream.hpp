// A connection from an event loop to an upstream API, kept alive between requests: plain HTTP
// (loopback only), or TLS with mbedTLS fed from two byte queues, so the loop does every socket
// operation itself and never blocks. The certificate checks are HttpsClient's (bind_tls).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <mbedtls/ssl.h>

#include "http/https_client.hpp"

namespace latchkey::gateway {

/// mbedTLS over byte queues: `in` holds received ciphertext not yet read, `out` what to send.
struct UpstreamTls {
  UpstreamTls() { mbedtls_ssl_init(&ssl); }
  ~UpstreamTls() { mbedtls_ssl_free(&ssl); }
  UpstreamTls(const UpstreamTls&) = delete;
  UpstreamTls& operator=(const UpstreamTls&) = delete;

  mbedtls_ssl_context ssl;
  native::TlsPeer peer;
  std::string in;
  std::size_t in_pos = 0;
  bool eof = false;  ///< The socket reached its end: after `in`, mbedTLS sees the connection close.
  std::string out;
};

struct Upstream {
  explicit Upstream(boost::asio::io_context& ioc) : socket(ioc) {}
  boost::asio::ip::tcp::socket socket;
  std::string origin;  ///< "https://host:port" or "http://host:port": the pool's key
  std::unique_ptr<UpstreamTls> tls;
  boost::beast::flat_buffer buffer;  ///< Received plaintext the response parser has not taken yet.
  std::int64_t idle_since_ms = 0;    ///< When it went back to the loop's pool (host/clock.hpp).

  /// Nothing received is left unread (a connection with leftovers cannot carry another request).
  bool drained() const;
};

using Done = std::function<void(const boost::system::error_code&)>;

/// Starts TLS on a connected socket with `client`'s configuration for `host`, and runs the
/// handshake. An error (a certificate check included) says only that it failed: the caller's
/// fallback, HttpsClient, says why.
void start_tls(Upstream& up, native::HttpsClient& client, const std::string& host, Done done);

/// Sends `data`, encrypted if the connection is TLS.
void send(Upstream& up, const std::string& data, Done done);

/// Adds what arrives next to up.buffer (decrypted if TLS): done(ec, bytes added); eof at the end.
void receive(Upstream& up, std::function<void(const boost::system::error_code&, std::size_t)> done);

}  // namespace latchkey::gateway
