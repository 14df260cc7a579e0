#include "worker.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "client_socket.hpp"
#include "latchkey/advice.hpp"
#include "latchkey/json.hpp"
#include "key_throttle.hpp"
#include "pending_op.hpp"
#include "proxy.hpp"
#include "proxy_wire.hpp"
#include "request_head.hpp"
#include "responses.hpp"

namespace latchkey::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

class ClientBody;
class ClientResponse;

/// One request's connection on a worker thread. Kept alive by the jobs and alarms that hold it
/// while an operation of its request waits (pending_op.hpp), with no thread of its own then.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerState& state, std::shared_ptr<HandOff> work, std::function<void(bool)> done);
  ~Connection();

  void serve();
  ClientSocket& socket() { return socket_; }
  beast::flat_buffer& buffer() { return work_->buffer; }
  std::chrono::seconds timeout() const { return std::chrono::seconds(state_.options.read_timeout_s); }

  beast::error_code write(asio::const_buffer bytes) {
    beast::error_code ec;
    socket_.expires_after(timeout());
    asio::write(socket_, bytes, ec);
    return ec;
  }

 private:
  void drain();
  ApiResponse handle_with_host();
  ApiResponse cache_signer(native::Host& host, ApiResponse response);
  /// Answers with `response`, or parks its operation until its deadline.
  void step(ApiResponse response);
  void park(std::shared_ptr<PendingOp> pending);
  void resume(std::shared_ptr<PendingOp> pending);
  void complete(ApiResponse response);
  void end(bool keep);

  ServerState& state_;
  std::shared_ptr<HandOff> work_;
  ClientSocket socket_;
  std::function<void(bool)> done_;
  // The request being answered, kept across a park.
  std::string method_;
  ApiRequest api_;
  bool close_ = false;
  bool streaming_ = false;
  std::unique_ptr<http::request_parser<http::buffer_body>> body_parser_;
  std::unique_ptr<ClientBody> body_;
  std::unique_ptr<ClientResponse> out_;
};

/// The proxy's request body, read from the client as the upstream takes it.
class ClientBody : public native::BodySource {
 public:
  ClientBody(Connection& c, http::request_parser<http::buffer_body>& parser) : c_(c), parser_(parser) {}
  std::optional<std::uint64_t> length() const override {
    if (parser_.chunked()) return std::nullopt;
    auto n = parser_.content_length();
    return n ? *n : 0;
  }
  long read(char* out, std::size_t cap) override {
    while (!parser_.is_done()) {
      parser_.get().body().data = out;
      parser_.get().body().size = cap;
      c_.socket().expires_after(c_.timeout());
      beast::error_code ec;
      http::read_some(c_.socket(), c_.buffer(), parser_, ec);
      std::size_t got = cap - parser_.get().body().size;
      if (ec && ec != http::error::need_buffer) return -1;
      if (got > 0) return static_cast<long>(got);
    }
    return 0;
  }
  bool finished() const { return parser_.is_done(); }

 private:
  Connection& c_;
  http::request_parser<http::buffer_body>& parser_;
};

/// The proxy's response, written to the client as it arrives: Content-Length framing when the
/// upstream gave one, chunked otherwise. Bytes are gathered until the upstream client is about to
/// wait (flush) or a batch is large, so a small answer leaves in one TCP segment, not three.
class ClientResponse : public native::ResponseSink {
 public:
  ClientResponse(Connection& c, bool head_request, bool close) : c_(c), head_request_(head_request), close_(close) {}

  Take head(const HttpResponse& head) override {
    status_ = head.status;
    out_ = serialize_response_head(head, head_request_, close_, &chunked_);
    return Take::stream;
  }
  bool data(const char* bytes, std::size_t n) override {
    if (!ok_) return false;
    append_body(out_, bytes, n, chunked_);
    return out_.size() < kBatch || flush();
  }
  bool flush() override {
    if (ok_ && !out_.empty()) {
      ok_ = !c_.write(asio::buffer(out_));
      out_.clear();
    }
    return ok_;
  }
  /// After a complete upstream body: ends a chunked one and sends the rest. False if the client is gone.
  bool finish() {
    if (chunked_) out_ += "0\r\n\r\n";
    return flush();
  }
  int status() const { return status_; }

 private:
  static constexpr std::size_t kBatch = 64 * 1024;
  Connection& c_;
  bool head_request_, close_;
  bool chunked_ = false, ok_ = true;
  int status_ = 0;
  std::string out_;
};

ApiResponse refused(const beast::error_code& ec, const ServerOptions& options) {
  if (ec == http::error::body_limit) {
    return error_response(413, "invalid_request",
                          "the request body is larger than " + std::to_string(options.body_limit) + " bytes");
  }
  if (ec == http::error::header_limit) return error_response(431, "invalid_request", "the request head is too large");
  return error_response(400, "invalid_request", "the request is not valid HTTP/1.1");
}

bool changes_nothing(const std::string& method) { return method == "GET" || method == "HEAD"; }

// After answering a request whose body was not read (or a refused one): half-close, then read and
// drop what the client still sends for a moment, so closing with unread data does not reset the
// connection before the client has read the answer.
void Connection::drain() {
  socket_.shutdown_send();
  socket_.expires_after(std::chrono::seconds(2));
  std::size_t drained = 0;
  char sink[16 * 1024];
  while (drained < (16u << 20)) {
    beast::error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(sink), ec);
    if (ec) break;
    drained += n;
  }
}

Connection::Connection(ServerState& state, std::shared_ptr<HandOff> work, std::function<void(bool)> done)
    : state_(state), work_(std::move(work)), socket_(work_->fd), done_(std::move(done)) {}

Connection::~Connection() = default;

// Handles the request with a Host from the pool. A proxied request also leaves its connection's
// signer in the cache, so the event loop can send the next ones itself.
ApiResponse Connection::handle_with_host() {
  auto host = state_.hosts.acquire();
  ApiResponse response = handle(*host, state_.metrics, state_.throttle, state_.options.api, api_);
  if (!state_.signers || !streams_body(api_.target)) return response;
  return then(*host, std::move(response),
              [self = shared_from_this()](native::Host& h, ApiResponse r) { return self->cache_signer(h, std::move(r)); });
}

ApiResponse Connection::cache_signer(native::Host& host, ApiResponse response) {
  if (response.principal.empty()) return response;
  auto plan = plan_proxy(api_, response.principal);
  if (!plan) return response;
  const auto epoch = state_.signers->epoch();
  SignerCache* signers = state_.signers.get();
  // The signer may wait too (a peer's refresh lease): it parks as the request did.
  return run_or_park<RequestSigner>(
      host, host.engine().request_signer(plan->ref),
      [signers, ref = plan->ref, epoch, response](native::Host&, const Result<RequestSigner>& signer) {
        if (signer) signers->put(ref, *signer, epoch);
        return response;
      });
}

void Connection::step(ApiResponse response) {
  if (response.pending) return park(std::move(response.pending));
  complete(std::move(response));
}

// The Host and this thread go back now; at the deadline a worker thread takes the operation up
// again with whichever Host is free.
void Connection::park(std::shared_ptr<PendingOp> pending) {
  const std::int64_t until = pending->until_ms;
  state_.alarms.at(until, [self = shared_from_this(), pending = std::move(pending)]() mutable {
    auto job = [self, pending]() mutable { self->resume(std::move(pending)); };
    if (!self->state_.workers.post(std::move(job))) self->end(false);
  });
}

void Connection::resume(std::shared_ptr<PendingOp> pending) {
  ApiResponse response;
  {
    auto host = state_.hosts.acquire();
    response = resume_pending(*host, std::move(pending));
  }
  step(std::move(response));
}

void Connection::serve() {
  const ServerOptions& options = state_.options;
  auto& head = *work_->head;
  method_ = head.is_header_done() ? std::string(head.get().method_string()) : "-";
  beast::error_code ec = work_->ec;

  const auto framing = ec ? std::nullopt : transfer_encoding_refusal(head.get());
  if (ec) {
    ApiResponse response = refused(ec, options);
    response.route = "-";
    close_ = true;
    return complete(std::move(response));
  }
  if (framing) {
    // Where this request's body ends is unknown, so nothing after its head can be read as the
    // next request: answer and close.
    ApiResponse response = error_response(framing->status, "invalid_request", framing->message);
    response.route = "-";
    close_ = true;
    return complete(std::move(response));
  }
  const auto& req = head.get();
  api_ = api_request(req);
  api_.listen = state_.listen;
  if (state_.signers) state_.signers->epoch();  // a store change by anyone (a revoked key) is seen first
  resolve_origin(state_.options.api, work_->peer, &api_);
  api_.refused_access_token = std::move(work_->refused_access_token);
  close_ = !req.keep_alive() || state_.stopping;

  if (streams_body(api_.target)) {
    streaming_ = true;
    out_ = std::make_unique<ClientResponse>(*this, api_.method == "HEAD", close_);
    api_.response_stream = out_.get();
    if (work_->body) {
      api_.body = std::move(*work_->body);
    } else {
      body_parser_ = std::make_unique<http::request_parser<http::buffer_body>>(std::move(head));
      body_parser_->body_limit(boost::none);
      body_ = std::make_unique<ClientBody>(*this, *body_parser_);
      api_.body_stream = body_.get();
    }
    return step(handle_with_host());
  }
  http::request_parser<http::string_body> parser(std::move(head));
  parser.body_limit(options.body_limit);
  auto declared = parser.content_length();
  if (declared && *declared > options.body_limit) {
    ec = http::error::body_limit;
  } else if (!parser.is_done()) {
    socket_.expires_after(timeout());
    http::read(socket_, work_->buffer, parser, ec);
  }
  if (ec) {
    if (quiet_end(ec)) return end(false);
    ApiResponse response = refused(ec, options);
    response.route = "-";
    close_ = true;
    return complete(std::move(response));
  }
  api_.body = std::move(parser.get().body());
  step(handle_with_host());
}

namespace {

/// The core's advice names CLI commands; this API's callers read its routes instead. Rewritten in
/// the parsed answer, not its text: JSON text may escape what the advice quotes (a URL's '/').
void advise_in_routes(ApiResponse* response) {
  if (response->body.find("`latchkey ") == std::string::npos) return;
  auto doc = parse_json(response->body, "the answer");
  if (!doc || !doc->is<JsonObject>()) return;
  JsonValue& error = doc->get<JsonObject>()["error"];
  if (!error.is<JsonObject>()) return;
  JsonValue& message = error.get<JsonObject>()["message"];
  if (!message.is<std::string>()) return;
  message = JsonValue(advice_for(message.get<std::string>(), Surface::http));
  response->body = serialize_json(*doc);
}

}  // namespace

void Connection::complete(ApiResponse response) {
  bool streamed_ok = true;
  if (streaming_) {
    if (response.streamed) {
      streamed_ok = response.body.empty() && out_->finish();
      response.status = out_->status() ? out_->status() : response.status;
    }
    if (body_ && !body_->finished()) close_ = true;  // unread body bytes: the connection cannot carry another request
  } else if (state_.signers && !changes_nothing(method_)) {
    // What this request changed must not be answered from the event loop's memory.
    state_.signers->forget_all();
  }

  if (state_.stopping) close_ = true;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - work_->started).count();
  state_.metrics.observe(response.route, response.status, seconds);
  if (!response.error_code.empty()) state_.metrics.count_error(response.route, response.error_code);
  state_.log.submit(access_log_line(method_, response.route, response.status, seconds * 1000, response.principal,
                                    api_.client_address.empty() ? work_->peer : api_.client_address));

  if (response.streamed) {
    if (!streamed_ok) return end(false);  // cut short: closing is the only way to tell the client
  } else {
    if (response.status >= 400 && !api_.cli_advice) advise_in_routes(&response);
    const std::string bytes = serialize_response(response, method_ == "HEAD", close_);
    if (write(asio::buffer(bytes))) return end(false);
  }
  if (close_) {
    drain();
    return end(false);
  }
  end(true);
}

void Connection::end(bool keep) {
  if (keep) work_->fd = socket_.release();
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) done(keep);
}

}  // namespace

bool quiet_end(const beast::error_code& ec) {
  return ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::bad_descriptor;
}

void serve_request(ServerState& state, std::shared_ptr<HandOff> work, std::function<void(bool keep)> done) {
  std::make_shared<Connection>(state, std::move(work), std::move(done))->serve();
}

}  // namespace latchkey::gateway
