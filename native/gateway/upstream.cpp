#include "upstream.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/write.hpp>

namespace latchkey::gateway {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr std::size_t kRead = 16 * 1024;

int queue_send(void* ctx, const unsigned char* data, std::size_t len) {
  static_cast<UpstreamTls*>(ctx)->out.append(reinterpret_cast<const char*>(data), len);
  return static_cast<int>(len);
}

int queue_recv(void* ctx, unsigned char* data, std::size_t len) {
  auto* t = static_cast<UpstreamTls*>(ctx);
  const std::size_t left = t->in.size() - t->in_pos;
  if (left == 0) return t->eof ? 0 : MBEDTLS_ERR_SSL_WANT_READ;
  const std::size_t n = std::min(left, len);
  std::memcpy(data, t->in.data() + t->in_pos, n);
  t->in_pos += n;
  if (t->in_pos == t->in.size()) {
    t->in.clear();
    t->in_pos = 0;
  }
  return static_cast<int>(n);
}

error_code tls_failed() { return asio::error::make_error_code(asio::error::connection_aborted); }

/// Sends what mbedTLS queued, then `then`.
void flush(Upstream& up, Done then) {
  if (up.tls->out.empty()) return then({});
  asio::async_write(up.socket, asio::buffer(up.tls->out), [&up, then = std::move(then)](error_code ec, std::size_t) {
    up.tls->out.clear();
    then(ec);
  });
}

/// Reads more ciphertext into up.tls->in (eof is recorded there, not reported).
void read_more(Upstream& up, Done then) {
  UpstreamTls& t = *up.tls;
  t.in.resize(t.in.size() + kRead);
  up.socket.async_read_some(asio::buffer(t.in.data() + t.in.size() - kRead, kRead),
                            [&up, then = std::move(then)](error_code ec, std::size_t n) {
                              UpstreamTls& t = *up.tls;
                              t.in.resize(t.in.size() - kRead + n);
                              if (ec == asio::error::eof) {
                                t.eof = true;
                                ec = {};
                              }
                              then(ec);
                            });
}

void handshake(Upstream& up, Done done) {
  const int r = mbedtls_ssl_handshake(&up.tls->ssl);
  if (r != 0 && r != MBEDTLS_ERR_SSL_WANT_READ) {
    return flush(up, [done = std::move(done)](const error_code&) { done(tls_failed()); });  // its alert, if any
  }
  flush(up, [&up, r, done = std::move(done)](const error_code& ec) {
    if (ec || r == 0) return done(ec);
    if (up.tls->eof) return done(tls_failed());
    read_more(up, [&up, done](const error_code& e) {
      if (e) return done(e);
      handshake(up, done);
    });
  });
}

}  // namespace

bool Upstream::drained() const {
  if (buffer.size() != 0) return false;
  return !tls || (tls->in.size() == tls->in_pos && mbedtls_ssl_get_bytes_avail(&tls->ssl) == 0);
}

void start_tls(Upstream& up, native::HttpsClient& client, const std::string& host, Done done) {
  up.tls = std::make_unique<UpstreamTls>();
  up.tls->peer = native::tls_peer(host);
  if (!client.bind_tls(&up.tls->ssl, &up.tls->peer)) return done(tls_failed());
  mbedtls_ssl_set_bio(&up.tls->ssl, up.tls.get(), queue_send, queue_recv, nullptr);
  handshake(up, std::move(done));
}

void send(Upstream& up, const std::string& data, Done done) {
  if (!up.tls) {
    asio::async_write(up.socket, asio::buffer(data),
                      [done = std::move(done)](error_code ec, std::size_t) { done(ec); });
    return;
  }
  std::size_t at = 0;
  while (at < data.size()) {
    const int n = mbedtls_ssl_write(&up.tls->ssl, reinterpret_cast<const unsigned char*>(data.data() + at),
                                    data.size() - at);
    if (n < 0) return done(tls_failed());
    at += static_cast<std::size_t>(n);
  }
  flush(up, std::move(done));
}

void receive(Upstream& up, std::function<void(const error_code&, std::size_t)> done) {
  if (!up.tls) {
    up.socket.async_read_some(up.buffer.prepare(kRead), [&up, done = std::move(done)](error_code ec, std::size_t n) {
      up.buffer.commit(n);
      done(ec, n);
    });
    return;
  }
  std::size_t got = 0;
  for (;;) {
    auto space = up.buffer.prepare(kRead);
    const int n = mbedtls_ssl_read(&up.tls->ssl, static_cast<unsigned char*>(space.data()), space.size());
    if (n > 0) {
      up.buffer.commit(static_cast<std::size_t>(n));
      got += static_cast<std::size_t>(n);
      continue;
    }
    if (got > 0) return done({}, got);
    // A TCP close without close_notify is how many servers end; both are the end here.
    if (n == 0 || n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == MBEDTLS_ERR_SSL_CONN_EOF) {
      return done(asio::error::make_error_code(asio::error::misc_errors::eof), 0);
    }
    if (n != MBEDTLS_ERR_SSL_WANT_READ) return done(tls_failed(), 0);
    break;
  }
  read_more(up, [&up, done = std::move(done)](const error_code& ec) mutable {
    if (ec) return done(ec, 0);
    receive(up, std::move(done));
  });
}

}  // namespace latchkey::gateway
