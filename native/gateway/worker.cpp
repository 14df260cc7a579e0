#include "worker.hpp"

#include <boost/asio/write.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "client_socket.hpp"
#include "key_throttle.hpp"
#include "proxy.hpp"
#include "proxy_wire.hpp"
#include "request_head.hpp"
#include "responses.hpp"

namespace latchkey::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

/// One request's connection on a worker thread.
class Connection {
 public:
  Connection(ServerState& state, HandOff& work) : state_(state), work_(work), socket_(work.fd) {}

  bool serve();
  ClientSocket& socket() { return socket_; }
  beast::flat_buffer& buffer() { return work_.buffer; }
  std::chrono::seconds timeout() const { return std::chrono::seconds(state_.options.read_timeout_s); }

  beast::error_code write(asio::const_buffer bytes) {
    beast::error_code ec;
    socket_.expires_after(timeout());
    asio::write(socket_, bytes, ec);
    return ec;
  }

 private:
  void drain();
  ApiResponse handle_with_host(const ApiRequest& api);

  ServerState& state_;
  HandOff& work_;
  ClientSocket socket_;
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

// Handles the request with a Host from the pool. A proxied request also leaves its connection's
// signer in the cache, so the event loop can send the next ones itself.
ApiResponse Connection::handle_with_host(const ApiRequest& api) {
  auto host = state_.hosts.acquire();
  ApiResponse response = handle(*host, state_.metrics, state_.throttle, state_.options.api, api);
  if (state_.signers && streams_body(api.target) && !response.principal.empty()) {
    if (auto plan = plan_proxy(api, response.principal)) {
      const auto epoch = state_.signers->epoch();
      if (auto signer = (*host).run((*host).engine().request_signer(plan->ref))) {
        state_.signers->put(plan->ref, std::move(*signer), epoch);
      }
    }
  }
  return response;
}

bool Connection::serve() {
  const ServerOptions& options = state_.options;
  auto& head = *work_.head;
  std::string method = head.is_header_done() ? std::string(head.get().method_string()) : "-";
  ApiResponse response;
  bool close = false, streamed_ok = true;
  beast::error_code ec = work_.ec;

  const auto framing = ec ? std::nullopt : transfer_encoding_refusal(head.get());
  if (ec) {
    response = refused(ec, options);
    response.route = "-";
    close = true;
  } else if (framing) {
    // Where this request's body ends is unknown, so nothing after its head can be read as the
    // next request: answer and close.
    response = error_response(framing->status, "invalid_request", framing->message);
    response.route = "-";
    close = true;
  } else {
    const auto& req = head.get();
    ApiRequest api = api_request(req);
    api.listen = state_.listen;
    api.client = work_.client;
    api.refused_access_token = std::move(work_.refused_access_token);
    close = !req.keep_alive() || state_.stopping;

    if (streams_body(api.target)) {
      ClientResponse out(*this, api.method == "HEAD", close);
      api.response_stream = &out;
      bool body_read = true;
      if (work_.body) {
        api.body = std::move(*work_.body);
        response = handle_with_host(api);
      } else {
        http::request_parser<http::buffer_body> parser(std::move(head));
        parser.body_limit(boost::none);
        ClientBody body(*this, parser);
        api.body_stream = &body;
        response = handle_with_host(api);
        body_read = body.finished();
      }
      if (response.streamed) {
        streamed_ok = response.body.empty() && out.finish();
        response.status = out.status() ? out.status() : response.status;
      }
      if (!body_read) close = true;  // unread body bytes: the connection cannot carry another request
    } else {
      http::request_parser<http::string_body> parser(std::move(head));
      parser.body_limit(options.body_limit);
      auto declared = parser.content_length();
      if (declared && *declared > options.body_limit) {
        ec = http::error::body_limit;
      } else if (!parser.is_done()) {
        socket_.expires_after(timeout());
        http::read(socket_, work_.buffer, parser, ec);
      }
      if (ec) {
        if (quiet_end(ec)) return false;
        response = refused(ec, options);
        response.route = "-";
        close = true;
      } else {
        api.body = std::move(parser.get().body());
        response = handle_with_host(api);
        // What this request changed must not be answered from the event loop's memory.
        if (state_.signers && !changes_nothing(method)) state_.signers->forget_all();
      }
    }
  }

  if (state_.stopping) close = true;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - work_.started).count();
  state_.metrics.observe(response.route, response.status, seconds);
  if (!response.error_code.empty()) state_.metrics.count_error(response.route, response.error_code);
  state_.log.submit(access_log_line(method, response.route, response.status, seconds * 1000, response.principal));

  if (response.streamed) {
    if (!streamed_ok) return false;  // cut short: closing is the only way to tell the client
  } else {
    const std::string bytes = serialize_response(response, method == "HEAD", close);
    if (write(asio::buffer(bytes))) return false;
  }
  if (close) {
    drain();
    return false;
  }
  return true;
}

}  // namespace

bool quiet_end(const beast::error_code& ec) {
  return ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::bad_descriptor;
}

bool serve_request(ServerState& state, HandOff& work) {
  Connection c(state, work);
  if (!c.serve()) return false;
  work.fd = c.socket().release();
  return true;
}

}  // namespace latchkey::gateway
