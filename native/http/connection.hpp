// One connection of the HTTPS client: a non-blocking socket whose every wait is a poll() bounded
// by the connection's current deadline, so no connect, TLS handshake, read or write outlives its
// timeout; TLS over it when the URL is https.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "http/https_client.hpp"
#include "http/request_target.hpp"
#include "http/response_reader.hpp"

namespace latchkey::native::client {

class TlsConfig;
using Clock = std::chrono::steady_clock;

/// Bytes read and not yet taken by the response reader: buf[start, end). Larger than a whole
/// response head, which the reader needs in one piece.
inline constexpr std::size_t kReadBufferSize = kResponsePendingLimit;

struct Connection {
  Connection() : buf(new char[kReadBufferSize]) { mbedtls_ssl_init(&ssl); }
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd = -1;
  bool tls = false;
  std::string host;  // lower-case, IPv6 literals in brackets
  int port = 0;
  mbedtls_ssl_context ssl;
  Clock::time_point deadline;  // for the I/O in progress
  int last_errno = 0;          // the socket error behind an MBEDTLS_ERR_NET_* code
  std::unique_ptr<char[]> buf;
  std::size_t start = 0, end = 0;
  TlsPeer peer;  // for the certificate checks
};

/// Resolves, connects and (for https) completes the TLS handshake, within the client's connect
/// budget `connect_timeout_ms` or what is left before `request_deadline` (`timeout_ms` being the
/// request's whole timeout), whichever ends sooner. Plain http only reaches loopback addresses.
/// Null with *error saying why (naming host and port) if it cannot.
std::unique_ptr<Connection> connect(TlsConfig& tls, const Target& t, std::int64_t connect_timeout_ms,
                                    Clock::time_point request_deadline, std::int64_t timeout_ms, std::string* error);

/// > 0: bytes read; 0: the peer closed the connection; < 0: an mbedTLS / MBEDTLS_ERR_NET_* code
/// (MBEDTLS_ERR_SSL_TIMEOUT once the deadline passes).
int conn_read(Connection& c, char* data, std::size_t len);
/// 0, or an mbedTLS / MBEDTLS_ERR_NET_* code.
int conn_write_all(Connection& c, const char* data, std::size_t len);
/// Best effort, never waits: tells a TLS peer we are done with an idle connection.
void close_politely(Connection& c);
/// Nothing can be read from an idle connection that is still good: the server did not close it.
bool still_idle(const Connection& c);

/// A socket error as messages say it ("connection refused", ...).
std::string errno_text(int err);

}  // namespace latchkey::native::client
