#include "http/connection.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "http/tls_config.hpp"

namespace latchkey::native::client {
namespace {

bool is_loopback_address(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
  }
  return false;
}

/// 1: ready, 0: the deadline passed, -1: poll failed (errno set).
int wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left + 1, INT_MAX)));
    if (r > 0) return 1;
    if (r < 0 && errno != EINTR) return -1;
  }
}


int bio_send(void* ctx, const unsigned char* data, std::size_t len) {
  auto* c = static_cast<Connection*>(ctx);
  len = std::min<std::size_t>(len, INT_MAX);
  for (;;) {
    ssize_t n = ::send(c->fd, data, len, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int w = wait_fd(c->fd, POLLOUT, c->deadline);
      if (w == 0) return MBEDTLS_ERR_SSL_TIMEOUT;
      if (w < 0) break;
      continue;
    }
    break;
  }
  c->last_errno = errno;
  return (errno == EPIPE || errno == ECONNRESET) ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

int bio_recv(void* ctx, unsigned char* data, std::size_t len) {
  auto* c = static_cast<Connection*>(ctx);
  len = std::min<std::size_t>(len, INT_MAX);
  for (;;) {
    ssize_t n = ::recv(c->fd, data, len, 0);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int w = wait_fd(c->fd, POLLIN, c->deadline);
      if (w == 0) return MBEDTLS_ERR_SSL_TIMEOUT;
      if (w < 0) break;
      continue;
    }
    break;
  }
  c->last_errno = errno;
  return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

}  // namespace

int conn_read(Connection& c, char* data, std::size_t len) {
  if (!c.tls) return bio_recv(&c, reinterpret_cast<unsigned char*>(data), len);
  for (;;) {
    int n = mbedtls_ssl_read(&c.ssl, reinterpret_cast<unsigned char*>(data), len);
    // WANT_READ: mbedTLS handled a record that carried no application data. Our BIO blocks
    // (up to the deadline), so it never asks for anything else.
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
    // mbedtls_ssl_read answers 0 for a TCP close without close_notify (servers often skip it).
    if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == MBEDTLS_ERR_SSL_CONN_EOF) return 0;
    return n;
  }
}

void close_politely(Connection& c) {
  if (!c.tls || c.fd < 0) return;
  c.deadline = Clock::now();
  mbedtls_ssl_close_notify(&c.ssl);
}

int conn_write_all(Connection& c, const char* data, std::size_t len) {
  while (len > 0) {
    int n = c.tls ? mbedtls_ssl_write(&c.ssl, reinterpret_cast<const unsigned char*>(data), len)
                  : bio_send(&c, reinterpret_cast<const unsigned char*>(data), len);
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
    if (n < 0) return n;
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return 0;
}

Connection::~Connection() {
  mbedtls_ssl_free(&ssl);
  if (fd >= 0) ::close(fd);
}

std::string errno_text(int err) {
  switch (err) {
    case ECONNREFUSED: return "connection refused";
    case ECONNRESET: return "connection reset";
    case ETIMEDOUT: return "timed out";
    case EHOSTUNREACH: return "no route to host";
    case ENETUNREACH: return "network unreachable";
    case EADDRNOTAVAIL: return "address not available";
    default: return std::strerror(err);
  }
}

bool still_idle(const Connection& c) {
  // If an idle connection is readable the server closed it (EOF) or sent something unasked;
  // either way it cannot carry a request.
  pollfd p{c.fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 0;
}

std::unique_ptr<Connection> connect(TlsConfig& tls, const Target& t, std::int64_t connect_timeout_ms,
                                    Clock::time_point request_deadline, std::int64_t timeout_ms, std::string* error) {
  auto c = std::make_unique<Connection>();
  c->tls = t.tls;
  c->port = t.port;
  c->host = t.url.host;
  std::string where = c->host + ":" + std::to_string(t.port);

  // Connect and TLS handshake share one budget: the client's connect timeout, or what is left of
  // the request's own timeout if that is sooner.
  std::int64_t budget_ms = connect_timeout_ms > 0 ? connect_timeout_ms : kDefaultTimeoutMs;
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(budget_ms);
  if (request_deadline < deadline) {
    deadline = request_deadline;
    budget_ms = timeout_ms;
  }
  c->deadline = deadline;

  const std::string name = host_name(t.url.host);
  c->peer = tls_peer(c->host);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (c->peer.host_is_ip ? AI_NUMERICHOST : 0);
  addrinfo* found = nullptr;
  std::string port_text = std::to_string(t.port);
  // getaddrinfo has no timeout of its own; the system resolver's (resolv.conf) applies.
  int g = ::getaddrinfo(name.c_str(), port_text.c_str(), &hints, &found);
  if (g != 0) {
    *error = "could not resolve " + c->host + " (" + gai_strerror(g) +
             "); check the host name and this computer's network and DNS settings";
    return nullptr;
  }
  int last_error = 0;
  bool skipped_non_loopback = false;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (!t.tls && !is_loopback_address(ai->ai_addr)) {
      // Plain http is for loopback only; a name like "localhost" must also resolve there.
      skipped_non_loopback = true;
      continue;
    }
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      int w = wait_fd(fd, POLLOUT, deadline);
      if (w == 0) {
        ::close(fd);
        last_error = ETIMEDOUT;
        break;  // the budget is spent
      }
      int so_error = 0;
      socklen_t len = sizeof so_error;
      if (w < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
      if (so_error == 0) r = 0;
      errno = so_error;
    }
    if (r != 0) {
      last_error = errno;
      ::close(fd);
      continue;
    }
    c->fd = fd;
    break;
  }
  ::freeaddrinfo(found);
  if (c->fd < 0) {
    if (skipped_non_loopback && last_error == 0) {
      *error = c->host + " does not resolve to a loopback address, and plain http:// is allowed only to " +
               "localhost, 127.0.0.0/8 and [::1]; use https://";
    } else if (last_error == ETIMEDOUT) {
      *error = "could not connect to " + where + " within " + duration_text(budget_ms) +
               "; check that the server is reachable from this network, or raise the timeout";
    } else {
      *error = "could not connect to " + where + " (" + errno_text(last_error ? last_error : ECONNREFUSED) +
               "); check that the server is running and that the host and port are right";
    }
    return nullptr;
  }
  int one = 1;
  ::setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // requests go out in one write anyway
  if (!t.tls) return c;

  int r = tls.bind(&c->ssl, &c->peer);
  if (r != 0) {
    *error = "could not start TLS with " + where + " (" + mbedtls_text(r) + ")";
    return nullptr;
  }
  mbedtls_ssl_set_bio(&c->ssl, c.get(), bio_send, bio_recv, nullptr);
  do {
    r = mbedtls_ssl_handshake(&c->ssl);
  } while (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
  if (r == 0) return c;

  *error = handshake_failure(c->ssl, c->peer, r, where, budget_ms);
  return nullptr;
}

}  // namespace latchkey::native::client
