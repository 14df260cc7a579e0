#include "tls_listener.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

namespace latchkey::gateway {

struct TlsListener::Credentials {
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt chain;
  mbedtls_pk_context key;
  mbedtls_ssl_config conf;
  mbedtls_ssl_ticket_context tickets;
  Credentials() {
    mbedtls_ssl_ticket_init(&tickets);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_x509_crt_init(&chain);
    mbedtls_pk_init(&key);
    mbedtls_ssl_config_init(&conf);
  }
  ~Credentials() {
    mbedtls_ssl_ticket_free(&tickets);
    mbedtls_ssl_config_free(&conf);
    mbedtls_pk_free(&key);
    mbedtls_x509_crt_free(&chain);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }
  Credentials(const Credentials&) = delete;
  Credentials& operator=(const Credentials&) = delete;
};

namespace {

std::string mbedtls_text(int code) {
  char text[160];
  mbedtls_strerror(code, text, sizeof text);
  return text;
}

const char* kAlpn[] = {"http/1.1", nullptr};

// The server picks the first group of its own list the client offers, and mbedTLS 2.28's default
// list starts with secp521r1: ~20 ms a handshake here. X25519 and P-256 are what browsers offer
// first and cost a fraction of that.
const mbedtls_ecp_group_id kCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1, MBEDTLS_ECP_DP_SECP384R1,
                                        MBEDTLS_ECP_DP_NONE};

Result<std::shared_ptr<const TlsListener::Credentials>> load(const std::string& cert_file, const std::string& key_file) {
  auto c = std::make_shared<TlsListener::Credentials>();
  const auto fail = [](const std::string& what) { return make_error(ErrorCode::invalid_request, what); };
  if (int r = mbedtls_x509_crt_parse_file(&c->chain, cert_file.c_str()); r != 0) {
    return fail("--tls-cert " + cert_file + ": " + (r > 0 ? "some certificates in it did not parse" : mbedtls_text(r)) +
                "; give a PEM certificate chain, the server's certificate first");
  }
  static const char kSeed[] = "latchkeyd tls listener";
  if (int r = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy,
                                    reinterpret_cast<const unsigned char*>(kSeed), sizeof kSeed - 1);
      r != 0) {
    return make_error(ErrorCode::crypto, "could not seed the TLS random generator: " + mbedtls_text(r));
  }
  if (int r = mbedtls_pk_parse_keyfile(&c->key, key_file.c_str(), nullptr); r != 0) {
    return fail("--tls-key " + key_file + ": " + mbedtls_text(r) + "; give the PEM private key (unencrypted)");
  }
  if (mbedtls_pk_check_pair(&c->chain.pk, &c->key) != 0) {
    return fail("--tls-key " + key_file + " is not the private key of --tls-cert " + cert_file +
                "'s first certificate; give the matching pair");
  }
  if (int r = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                          MBEDTLS_SSL_PRESET_DEFAULT);
      r != 0) {
    return make_error(ErrorCode::internal, "mbedTLS refused its default server settings: " + mbedtls_text(r));
  }
  mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);  // TLS 1.2+
  mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
  mbedtls_ssl_conf_alpn_protocols(&c->conf, kAlpn);
  mbedtls_ssl_conf_curves(&c->conf, kCurves);
  // Session tickets (RFC 5077): a client coming back resumes without the key exchange. The
  // ticket key is this pair's; a reload starts a new one (old tickets just mean a full handshake).
  if (int r = mbedtls_ssl_ticket_setup(&c->tickets, mbedtls_ctr_drbg_random, &c->drbg, MBEDTLS_CIPHER_AES_256_GCM,
                                       12 * 3600);
      r != 0) {
    return make_error(ErrorCode::internal, "mbedTLS could not set up session tickets: " + mbedtls_text(r));
  }
  mbedtls_ssl_conf_session_tickets_cb(&c->conf, mbedtls_ssl_ticket_write, mbedtls_ssl_ticket_parse, &c->tickets);
  if (int r = mbedtls_ssl_conf_own_cert(&c->conf, &c->chain, &c->key); r != 0) {
    return fail("mbedTLS did not take the certificate and key: " + mbedtls_text(r));
  }
  return std::shared_ptr<const TlsListener::Credentials>(std::move(c));
}

void set_options(int fd, int seconds) {
  // The handshake's flights and an answer's records leave in several writes: without this,
  // Nagle's algorithm holds each later one until the client's delayed ACK (40 ms).
  const int on = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  timeval tv{};
  tv.tv_sec = seconds;
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool write_all(int fd, const unsigned char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool tls_write_all(mbedtls_ssl_context* ssl, const unsigned char* data, std::size_t size) {
  while (size > 0) {
    const int n = mbedtls_ssl_write(ssl, data, size);
    if (n <= 0) return false;  // WANT_WRITE here is SO_SNDTIMEO passing: the client stopped reading
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// One client: handshake, then bytes both ways until the server's side closes. The client
// closing its sending side only half-closes ours, so an answer still being written reaches it.
void pump(std::shared_ptr<const TlsListener::Credentials> creds, int client, int inner, int timeout_s) {
  set_options(client, timeout_s);
  mbedtls_ssl_context ssl;
  mbedtls_ssl_init(&ssl);
  mbedtls_net_context net;
  net.fd = client;
  bool ok = mbedtls_ssl_setup(&ssl, &creds->conf) == 0;
  if (ok) {
    mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, nullptr);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    int r;
    while ((r = mbedtls_ssl_handshake(&ssl)) != 0) {
      // A failed handshake (a plain-http client, an untrusting one) is the client's to report.
      if ((r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE) ||
          std::chrono::steady_clock::now() >= deadline) {
        ok = false;
        break;
      }
    }
  }
  bool client_open = ok, server_open = ok;
  unsigned char buf[16384];
  while (server_open) {
    pollfd fds[2] = {{inner, POLLIN, 0}, {client, static_cast<short>(client_open ? POLLIN : 0), 0}};
    const bool buffered = client_open && mbedtls_ssl_get_bytes_avail(&ssl) > 0;
    if (!buffered && ::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (client_open && (buffered || fds[1].revents != 0)) {
      const int n = mbedtls_ssl_read(&ssl, buf, sizeof buf);
      if (n > 0) {
        if (!write_all(inner, buf, static_cast<std::size_t>(n))) break;
      } else if (n != MBEDTLS_ERR_SSL_WANT_READ && n != MBEDTLS_ERR_SSL_WANT_WRITE) {
        client_open = false;  // close_notify, EOF or an error: the server sees the end of the request stream
        ::shutdown(inner, SHUT_WR);
      }
    }
    if (fds[0].revents != 0) {
      const ssize_t n = ::recv(inner, buf, sizeof buf, 0);
      if (n > 0) {
        if (!tls_write_all(&ssl, buf, static_cast<std::size_t>(n))) break;
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        server_open = false;
        mbedtls_ssl_close_notify(&ssl);
      }
    }
  }
  mbedtls_ssl_free(&ssl);
  ::close(client);
  ::close(inner);
}

}  // namespace

Result<std::unique_ptr<TlsListener>> TlsListener::open(const std::string& cert_file, const std::string& key_file) {
  std::unique_ptr<TlsListener> listener(new TlsListener(cert_file, key_file));
  auto creds = load(cert_file, key_file);
  if (!creds) return creds.error();
  listener->current_ = std::move(*creds);
  return listener;
}

TlsListener::~TlsListener() = default;

Status TlsListener::reload() {
  auto creds = load(cert_file_, key_file_);
  if (!creds) return creds.error();
  std::lock_guard<std::mutex> lock(mu_);
  current_ = std::move(*creds);
  return Ok{};
}

int TlsListener::wrap(int client, int timeout_s) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    ::close(client);
    return -1;
  }
  std::shared_ptr<const Credentials> creds;
  {
    std::lock_guard<std::mutex> lock(mu_);
    creds = current_;
  }
  // The descriptor arrives non-blocking from the acceptor: the pump's reads and writes block
  // (bounded by SO_RCVTIMEO/SO_SNDTIMEO).
  const int flags = fcntl(client, F_GETFL);
  if (flags >= 0) fcntl(client, F_SETFL, flags & ~O_NONBLOCK);
  try {
    std::thread(pump, std::move(creds), client, pair[1], timeout_s).detach();
  } catch (...) {  // no thread to be had: refuse this client rather than fail the server
    ::close(client);
    ::close(pair[0]);
    ::close(pair[1]);
    return -1;
  }
  return pair[0];
}

}  // namespace latchkey::gateway
