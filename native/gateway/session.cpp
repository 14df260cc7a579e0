#include "session.hpp"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>

#include "host/clock.hpp"
#include "http/https_client.hpp"
#include "http/response_reader.hpp"
#include "key_throttle.hpp"
#include "keys.hpp"
#include "proxy.hpp"
#include "proxy_wire.hpp"
#include "request_head.hpp"
#include "responses.hpp"
#include "worker.hpp"

namespace latchkey::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

}  // namespace

/// A proxied request the loop sends itself.
struct Session::Exchange {
  std::uint64_t id = 0;  ///< Tells a late handler of an earlier exchange from this one's.
  ConnectionRef asked;  ///< The connection as the caller named it (the signer cache's key).
  std::string provider, principal, method, client_address;
  bool head_request = false;
  bool close = false;  ///< The caller's connection closes after this answer.
  std::shared_ptr<const RequestSigner> signer;
  HttpRequest request;  ///< Unsigned, with its body once read: what a worker gets if the loop gives up.

  std::string wire;  ///< The signed request as sent.
  bool tls = false;
  std::string host;   ///< Lower-case, IPv6 literals unbracketed: to resolve or parse, and for TLS.
  std::string shown;  ///< The host as messages name it (IPv6 literals bracketed), as HttpsClient's do.
  std::string origin;
  int port = 0;
  bool close_requested = false;
  std::int64_t timeout_ms = 0, deadline_ms = 0;

  std::unique_ptr<tcp::resolver> resolver;
  bool resolving = false;
  std::unique_ptr<Upstream> up;
  bool reused = false, any_byte = false, timed_out = false, upstream_closed = false;
  native::ResponseReader reader;  ///< The upstream's answer (HttpsClient's reader, limits and messages).
  bool head_sent = false, chunked = false;
  int status = 0;
  std::string out;  ///< Bytes for the caller not yet written.

  void start_reading() { reader.start({shown, head_request, std::nullopt}); }  // streamed: no size cap
};

Session::Session(EventLoop& loop, tcp::socket socket, std::string peer)
    : loop_(loop), socket_(std::move(socket)), peer_(std::move(peer)) {
  error_code ec;
  // Answers may leave in several writes: without this, Nagle's algorithm holds each later write
  // until the client's delayed ACK, 40 ms a response.
  socket_.set_option(tcp::no_delay(true), ec);
  protocol_ = socket_.local_endpoint(ec).protocol();
  if (peer_.empty()) {
    const auto remote = socket_.remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string();
  }
}

Session::~Session() {
  if (registered_) loop_.remove(this);
  ServerState& state = loop_.state();
  std::lock_guard<std::mutex> lock(state.mu);
  --state.open;
  state.all_closed.notify_all();  // under the lock: serve() may return, and destroy the state, once it sees 0
}

void Session::start() {
  loop_.add(this);
  registered_ = true;
  read_head();
}

void Session::wait_until(Wait what, std::int64_t deadline_ms) {
  waiting_ = what;
  deadline_ms_ = deadline_ms;
}

void Session::close_if_idle() {
  if (waiting_ == Wait::head && buffer_.size() == 0 && !(head_ && head_->got_some())) close();
}

void Session::check_deadline(std::int64_t now_ms) {
  if (waiting_ == Wait::none || now_ms < deadline_ms_) return;
  if (waiting_ == Wait::upstream && ex_) {
    ex_->timed_out = true;
    waiting_ = Wait::none;
    if (ex_->resolving) {
      // Cancelling cannot stop a lookup already running (getaddrinfo has no timeout of its
      // own): the caller is answered now, and the lookup's handler finds nothing to do.
      ex_->resolving = false;
      ex_->resolver->cancel();
      return answer_connect_timeout();
    }
    if (ex_->up) {
      error_code ec;
      ex_->up->socket.close(ec);  // its handler answers the caller
      return;
    }
  }
  close();
}

void Session::close() {
  if (closed_) return;
  closed_ = true;
  waiting_ = Wait::none;
  error_code ec;
  socket_.close(ec);
  if (ex_ && ex_->resolver) ex_->resolver->cancel();
  if (ex_ && ex_->up) ex_->up->socket.close(ec);
}

// --- Requests ---------------------------------------------------------------------------------

void Session::read_head() {
  const ServerState& state = loop_.state();
  if (state.stopping && buffer_.size() == 0) return close();
  head_ = std::make_unique<http::request_parser<http::empty_body>>();
  head_->header_limit(static_cast<std::uint32_t>(state.options.header_limit));
  head_->body_limit(boost::none);  // the route decides: the proxy streams any size, the rest have a limit
  wait_until(Wait::head, native::steady_ms() + state.options.read_timeout_s * 1000);
  http::async_read_header(socket_, buffer_, *head_, [self = shared_from_this()](error_code ec, std::size_t) {
    self->on_head(ec);
  });
}

void Session::on_head(const error_code& ec) {
  waiting_ = Wait::none;
  if (closed_) return;
  started_ = std::chrono::steady_clock::now();
  if (ec) {
    // Nothing of a request came (client closed, idle timeout, shutdown): just close. A head
    // that did not arrive in time is cut off too.
    if (!head_->got_some() || quiet_end(ec)) return close();
    return hand_off(ec);
  }
  if (!try_proxy()) hand_off({});
}

// The loop answers a proxied request itself when everything it needs is in memory; anything
// else (and every error message) is the worker's.
bool Session::try_proxy() {
  ServerState& state = loop_.state();
  const auto& req = head_->get();
  if (!state.signers || state.stopping || !streams_body(std::string(req.target()))) return false;
  // Any Transfer-Encoding, chunked too (transfer_encoding_refusal's to judge), or Expect is the worker's.
  if (req.find(http::field::transfer_encoding) != req.end() || req.find(http::field::expect) != req.end()) return false;
  const std::uint64_t length = head_->content_length().value_or(0);
  if (length > kReplayableBody) return false;
  auto auth = req.find(http::field::authorization);
  if (auth == req.end()) return false;
  const std::string_view authorization(auth->value().data(), auth->value().size());
  const auto api_key = bearer_key(authorization);
  if (!api_key) return false;
  ApiRequest api = api_request(req);
  resolve_origin(state.options.api, peer_, &api);
  // A throttled address is refused even a key it used before (key_throttle.hpp): by a worker.
  if (state.throttle.blocked_for_ms(api.client, native::steady_ms()) > 0) return false;
  const std::int64_t now = native::Host::now_ms();
  // A keep-alive client sends the same key every time: hashing it once per connection (and
  // again when the key cache's entry lapses) is enough.
  state.signers->epoch();  // asks the store whether anything changed (keys too: keys_changed)
  if (authorization != key_header_ || now >= key_until_ms_ || key_epoch_ != keys_epoch()) {
    key_header_.clear();
    const std::uint64_t epoch = keys_epoch();  // before the lookup: a change during it leaves the copy stale
    auto known = recently_seen_key(std::string(*api_key), now, &key_until_ms_);
    if (!known) return false;
    key_header_ = std::string(authorization);
    key_epoch_ = epoch;
    key_ = std::move(*known);
  }
  const KeyInfo* key = &key_;

  auto plan = plan_proxy(api, key->principal);
  if (!plan) return false;
  auto signer = state.signers->find(plan->ref, now);
  if (!signer) return false;

  ex_ = std::make_unique<Exchange>();
  ex_->id = ++exchanges_;
  ex_->asked = plan->ref;
  ex_->provider = plan->ref.provider;
  ex_->principal = key->principal;
  ex_->method = api.method;
  ex_->client_address = api.client_address;
  ex_->head_request = api.method == "HEAD";
  ex_->close = !req.keep_alive();
  ex_->signer = std::move(signer);
  ex_->request = std::move(plan->request);
  read_body(static_cast<std::size_t>(length));
  return true;
}

void Session::read_body(std::size_t length) {
  if (buffer_.size() >= length) {
    ex_->request.body.assign(static_cast<const char*>(buffer_.data().data()), length);
    buffer_.consume(length);
    return send_upstream(false);
  }
  wait_until(Wait::client, native::steady_ms() + loop_.state().options.read_timeout_s * 1000);
  socket_.async_read_some(buffer_.prepare(length - buffer_.size()),
                          [self = shared_from_this(), length](error_code ec, std::size_t n) {
                            self->waiting_ = Wait::none;
                            if (self->closed_) return;
                            if (ec) return self->close();
                            self->buffer_.commit(n);
                            self->read_body(length);
                          });
}

// --- Upstream ---------------------------------------------------------------------------------

void Session::send_upstream(bool fresh) {
  Exchange& ex = *ex_;
  if (ex.wire.empty()) {
    auto signed_request = sign_with(*ex.signer, std::move(ex.request));
    if (!signed_request) return hand_off({});
    ex.request = std::move(*signed_request);  // its body is the same, for a worker if it comes to that
    auto wire = native::wire_request(ex.request);
    if (!wire || (wire->tls && !loop_.tls())) return hand_off({});
    ex.wire = std::move(wire->bytes);
    ex.tls = wire->tls;
    ex.host = std::move(wire->host);
    ex.shown = ex.host.find(':') == std::string::npos ? ex.host : "[" + ex.host + "]";
    ex.port = wire->port;
    ex.origin = (ex.tls ? "https://" : "http://") + ex.shown + ":" + std::to_string(ex.port);
    ex.close_requested = wire->close_requested;
    ex.timeout_ms = ex.request.timeout_ms > 0 ? ex.request.timeout_ms : native::kDefaultTimeoutMs;
    ex.deadline_ms = native::steady_ms() + ex.timeout_ms;
  }
  ex.up = fresh ? nullptr : loop_.take_upstream(ex.origin);
  ex.reused = ex.up != nullptr;
  ex.any_byte = false;
  if (ex.up) return write_upstream();
  connect_upstream();
}

// Every failure to connect (or to complete the TLS handshake, certificate checks included) goes
// to a worker, whose HttpsClient tries again and says exactly what is wrong.
void Session::connect_upstream() {
  Exchange& ex = *ex_;
  ex.up = std::make_unique<Upstream>(loop_.context());
  ex.up->origin = ex.origin;
  wait_until(Wait::upstream, ex.deadline_ms);
  error_code ec;
  auto address = asio::ip::make_address(ex.host, ec);
  if (!ec) return connect_to({tcp::endpoint(address, static_cast<unsigned short>(ex.port))});
  // The resolver is the exchange's, so the deadline (check_deadline) and close() can cancel it.
  ex.resolver = std::make_unique<tcp::resolver>(loop_.context());
  ex.resolving = true;
  ex.resolver->async_resolve(
      ex.host, std::to_string(ex.port),
      [self = shared_from_this(), id = ex.id](error_code e, tcp::resolver::results_type found) {
        // A lookup the deadline gave up on ends here: the caller has had its answer.
        if (self->closed_ || !self->ex_ || self->ex_->id != id || !self->ex_->resolving) return;
        self->waiting_ = Wait::none;
        self->ex_->resolving = false;
        if (e) return self->hand_off({});
        std::vector<tcp::endpoint> endpoints;
        for (const auto& entry : found) endpoints.push_back(entry.endpoint());
        self->wait_until(Wait::upstream, self->ex_->deadline_ms);
        self->connect_to(std::move(endpoints));
      });
}

void Session::connect_to(std::vector<tcp::endpoint> endpoints) {
  Exchange& ex = *ex_;
  if (!ex.tls) {
    // Plain HTTP goes to loopback only (sign_with and HttpsClient insist too), also for a name.
    endpoints.erase(std::remove_if(endpoints.begin(), endpoints.end(),
                                   [](const tcp::endpoint& e) { return !e.address().is_loopback(); }),
                    endpoints.end());
  }
  if (endpoints.empty()) return hand_off({});
  asio::async_connect(ex.up->socket, endpoints, [self = shared_from_this()](error_code e, const tcp::endpoint&) {
    self->waiting_ = Wait::none;
    if (self->closed_) return;
    Exchange& x = *self->ex_;
    if (x.timed_out) return self->answer_connect_timeout();
    if (e) return self->hand_off({});
    error_code ignored;
    x.up->socket.set_option(tcp::no_delay(true), ignored);
    if (!x.tls) return self->write_upstream();
    self->wait_until(Wait::upstream, x.deadline_ms);
    start_tls(*x.up, *self->loop_.tls(), x.host, [self](const error_code& ec) {
      self->waiting_ = Wait::none;
      if (self->closed_) return;
      if (self->ex_->timed_out) return self->answer_connect_timeout();
      if (ec) return self->hand_off({});
      self->write_upstream();
    });
  });
}

void Session::answer_connect_timeout() {
  answer_gateway_error("could not connect to " + ex_->shown + ":" + std::to_string(ex_->port) + " within " +
                       native::duration_text(ex_->timeout_ms) +
                       "; check that the server is reachable from this network, or raise the timeout");
}

void Session::write_upstream() {
  wait_until(Wait::upstream, ex_->deadline_ms);
  send(*ex_->up, ex_->wire, [self = shared_from_this()](const error_code& ec) {
    self->waiting_ = Wait::none;
    if (self->closed_) return;
    Exchange& x = *self->ex_;
    if (ec) {
      if (x.timed_out) {
        return self->answer_gateway_error(x.shown + " did not accept the request within " +
                                          native::duration_text(x.timeout_ms) +
                                          "; try again later, or raise the timeout");
      }
      // An idle connection the upstream had closed: once more on a new one, as HttpsClient does.
      if (x.reused) return self->send_upstream(true);
      return self->hand_off({});
    }
    x.start_reading();
    self->read_upstream();
  });
}

void Session::read_upstream() {
  wait_until(Wait::upstream, ex_->deadline_ms);
  receive(*ex_->up, [self = shared_from_this()](const error_code& ec, std::size_t n) {
    self->waiting_ = Wait::none;
    if (self->closed_) return;
    if (n > 0) self->ex_->any_byte = true;
    self->on_upstream_data(ec);
  });
}

void Session::on_upstream_data(error_code ec) {
  Exchange& ex = *ex_;
  const bool eof = ec == asio::error::eof;
  if (ec && !eof) {
    if (ex.timed_out) {
      return answer_or_cut(ex.shown + " did not answer within " + native::duration_text(ex.timeout_ms) +
                           "; try again later, or raise the timeout");
    }
    if (!ex.any_byte && ex.reused) return send_upstream(true);
    return answer_or_cut(ex.shown + " closed the connection without answering; try again later");
  }
  auto& buffer = ex.up->buffer;
  bool done = false;
  for (;;) {
    std::size_t used = 0;
    const auto event = ex.reader.feed(static_cast<const char*>(buffer.data().data()), buffer.size(), &used);
    buffer.consume(used);
    if (event == native::ResponseReader::Event::head) {
      if (ex.reader.status() == 401) return retry_after_401();
      take_upstream_head();
      continue;
    }
    if (event == native::ResponseReader::Event::body) {
      const std::string_view bytes = ex.reader.body();
      append_body(ex.out, bytes.data(), bytes.size(), ex.chunked);
      continue;
    }
    if (event == native::ResponseReader::Event::error) return answer_or_cut(ex.reader.error());
    done = event == native::ResponseReader::Event::done;
    break;
  }
  if (eof) {
    ex.upstream_closed = true;
    if (!done && ex.reader.feed_eof() == native::ResponseReader::Event::error) {
      if (!ex.any_byte && ex.reused) return send_upstream(true);
      return answer_or_cut(ex.reader.error());
    }
    done = true;
  }
  if (done) return write_client(true);
  if (!ex.out.empty()) return write_client(false);  // what came so far, before waiting for more
  read_upstream();
}

void Session::take_upstream_head() {
  Exchange& ex = *ex_;
  HttpResponse upstream;
  ex.reader.copy_head(upstream);
  ex.status = upstream.status;
  ex.out = serialize_response_head(caller_response_head(std::move(upstream)), ex.head_request,
                                   ex.close || loop_.state().stopping, &ex.chunked);
  ex.head_sent = true;
}

// The cached token was refused: the worker's send_authorized replaces it (unless a peer already
// did: single-flight) and sends the request once more.
void Session::retry_after_401() {
  ex_->up.reset();  // its 401's body is unread: the connection is not reused
  loop_.state().signers->forget(ex_->asked);
  hand_off({}, ex_->signer->access_token);
}

void Session::answer_or_cut(const std::string& message) {
  if (!ex_->head_sent) return answer_gateway_error(message);
  // Part of the answer is out: closing is the only way to tell the caller.
  finish_proxy(502, true);
}

void Session::answer_gateway_error(const std::string& message) {
  Exchange& ex = *ex_;
  ex.up.reset();
  ex.status = 502;
  ex.out = serialize_response(error_response(502, "transport", message), ex.head_request,
                              ex.close || loop_.state().stopping);
  ex.chunked = false;
  ex.head_sent = true;
  write_client(true);
}

void Session::write_client(bool last) {
  Exchange& ex = *ex_;
  if (last && ex.chunked) ex.out += "0\r\n\r\n";
  wait_until(Wait::client, native::steady_ms() + loop_.state().options.read_timeout_s * 1000);
  asio::async_write(socket_, asio::buffer(ex.out), [self = shared_from_this(), last](error_code ec, std::size_t) {
    self->waiting_ = Wait::none;
    if (self->closed_) return;
    Exchange& x = *self->ex_;
    if (ec) return self->finish_proxy(x.status, true);
    x.out.clear();
    if (!last) return self->read_upstream();
    // Not one the deadline closed (its handler may have finished the answer in the same turn).
    if (x.up && !x.timed_out && x.up->socket.is_open() && x.reader.keep_alive() &&
        !x.upstream_closed && !x.close_requested && x.up->drained()) {
      self->loop_.keep_upstream(std::move(x.up));
    }
    self->finish_proxy(x.status, false);
  });
}

void Session::finish_proxy(int status, bool cut) {
  ServerState& state = loop_.state();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  state.metrics.observe_loop_proxy(kProxyRoute, ex_->provider, status, seconds);
  loop_.log(access_log_line(ex_->method, kProxyRoute, status, seconds * 1000, ex_->principal, ex_->client_address));
  const bool close_after = cut || ex_->close || state.stopping;
  ex_.reset();
  if (close_after) return close();
  read_head();
}

// --- Worker threads ---------------------------------------------------------------------------

void Session::hand_off(error_code ec, std::string refused_access_token) {
  auto work = std::make_unique<HandOff>();
  work->ec = ec;
  work->head = std::move(head_);
  work->started = started_;
  work->refused_access_token = std::move(refused_access_token);
  work->peer = peer_;
  if (ex_) {  // the body has been read (or there is none)
    work->body = std::move(ex_->request.body);
    ex_.reset();
  }
  error_code e;
  work->fd = socket_.release(e);
  if (e) return close();
  work->buffer = std::move(buffer_);
  buffer_.clear();
  waiting_ = Wait::none;

  ServerState& state = loop_.state();
  auto shared_work = std::shared_ptr<HandOff>(std::move(work));
  auto job = [&state, self = shared_from_this(), shared_work]() mutable {
    // Done on this thread, or on another after an operation of the request waited (parked).
    // The reference moves on to the loop's thread: were this worker's copy the last one, the
    // session would be destroyed here, leaving the loop's session list while the loop walks it
    // (its sweep then met a session with no owner left: std::bad_weak_ptr, an abort).
    serve_request(state, shared_work, [self = std::move(self), shared_work](bool keep) mutable {
      EventLoop& loop = self->loop_;
      asio::post(loop.context(), [s = std::move(self), keep, w = std::move(shared_work)]() mutable {
        if (keep) s->resume(w->fd, std::move(w->buffer));
        else s->close();
      });
    });
  };
  if (!state.workers.run(std::move(job))) {
    ::close(shared_work->fd);
    close();
  }
}

void Session::resume(int fd, beast::flat_buffer buffer) {
  error_code ec;
  socket_.assign(protocol_, fd, ec);
  if (ec) {
    ::close(fd);
    return close();
  }
  buffer_ = std::move(buffer);
  read_head();
}

}  // namespace latchkey::gateway
