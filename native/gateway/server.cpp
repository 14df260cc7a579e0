#include "server.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "client_socket.hpp"
#include "host_pool.hpp"
#include "json.hpp"

namespace latchkey::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::size_t kThreadStack = 512 * 1024;  // per client connection; the default 8 MiB is address space wasted

struct Shared {
  Shared(const ServerOptions& o) : options(o), hosts(o.host) {}
  const ServerOptions& options;
  HostPool hosts;
  Metrics metrics;
  std::string listen;  ///< The bound address (set before the first connection).
  std::atomic<bool> stopping{false};
  /// Becomes readable at shutdown (stop_pipe[1] is closed): connections waiting for a next
  /// request see it and close; requests in progress finish first.
  int stop_pipe[2] = {-1, -1};

  std::mutex mu;  // guards running
  std::condition_variable all_closed;
  std::size_t running = 0;  // connection threads started and not yet finished
};

// One line per request on stderr. Only the route template and the principal: never the target's
// query, a header, a key or a token. One write(2) per line and no lock: a line is far below
// PIPE_BUF, so lines from different threads never interleave.
void access_log(const std::string& method, const std::string& route, int status, double ms,
                const std::string& principal) {
  using detail::json::Object;
  using detail::json::Value;
  Object o;
  o["ts_ms"] = Value(native::Host::now_ms());
  o["method"] = Value(method);
  o["route"] = Value(route);
  o["status"] = Value(static_cast<std::int64_t>(status));
  o["ms"] = Value(static_cast<std::int64_t>(ms + 0.5));  // whole milliseconds
  o["us"] = Value(static_cast<std::int64_t>(ms * 1000));
  o["principal"] = principal.empty() ? Value() : Value(principal);
  std::string line = detail::json::serialize(Value(o));
  line += '\n';
  (void)!::write(STDERR_FILENO, line.data(), line.size());
}

/// One client connection on its own thread, with blocking reads and writes bounded by deadlines.
class Connection {
 public:
  Connection(Shared& shared, int fd) : shared_(shared), socket_(fd, shared.stop_pipe[0]) {}

  void serve();

  ClientSocket& socket() { return socket_; }
  beast::flat_buffer& buffer() { return buffer_; }
  std::chrono::seconds timeout() const { return std::chrono::seconds(shared_.options.read_timeout_s); }

  beast::error_code write(asio::const_buffer bytes) {
    beast::error_code ec;
    socket_.expires_after(timeout());
    asio::write(socket_, bytes, ec);
    return ec;
  }

 private:
  bool read_head(http::request_parser<http::empty_body>& head, beast::error_code* ec);
  void drain();

  Shared& shared_;
  ClientSocket socket_;
  beast::flat_buffer buffer_;
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
    std::string& w = out_;
    w = "HTTP/1.1 " + std::to_string(head.status) + " " +
        std::string(http::obsolete_reason(static_cast<http::status>(head.status))) + "\r\nServer: latchkeyd\r\n";
    bool has_length = false;
    for (const auto& [name, value] : head.headers) {
      if (value.find_first_of("\r\n") != std::string::npos) continue;
      if (beast::iequals(name, "content-length")) has_length = true;
      w += name + ": " + value + "\r\n";
    }
    const bool bodiless = head_request_ || head.status == 204 || head.status == 304 || head.status < 200;
    chunked_ = !has_length && !bodiless;
    if (chunked_) w += "Transfer-Encoding: chunked\r\n";
    if (close_) w += "Connection: close\r\n";
    w += "\r\n";
    return Take::stream;
  }

  bool data(const char* bytes, std::size_t n) override {
    if (!ok_) return false;
    if (chunked_) {
      char size[20];
      int k = std::snprintf(size, sizeof size, "%zx\r\n", n);
      out_.append(size, static_cast<std::size_t>(k));
    }
    out_.append(bytes, n);
    if (chunked_) out_ += "\r\n";
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

bool quiet_end(const beast::error_code& ec) {
  return ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::error::bad_descriptor;
}

bool Connection::read_head(http::request_parser<http::empty_body>& head, beast::error_code* ec) {
  head.header_limit(static_cast<std::uint32_t>(shared_.options.header_limit));
  head.body_limit(boost::none);  // the route decides: the proxy streams any size, the rest have a limit
  socket_.expires_after(timeout());
  // Between requests (nothing of the next one buffered) shutdown may end the wait.
  socket_.set_stoppable(buffer_.size() == 0);
  if (shared_.stopping && buffer_.size() == 0) return false;
  http::read_header(socket_, buffer_, head, *ec);
  socket_.set_stoppable(false);
  return true;
}

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

void Connection::serve() {
  const ServerOptions& options = shared_.options;
  for (;;) {
    http::request_parser<http::empty_body> head;
    beast::error_code ec;
    if (!read_head(head, &ec)) break;
    auto started = std::chrono::steady_clock::now();
    std::string method = head.is_header_done() ? std::string(head.get().method_string()) : "-";
    ApiResponse response;
    bool close = false, streamed_ok = true;

    if (ec) {
      // Nothing of a request came (client closed, idle timeout, shutdown): just close. A head
      // that did not arrive in time is cut off too (its deadline passed).
      if (!head.got_some() || quiet_end(ec)) break;
      response = refused(ec, options);
      response.route = "-";
      close = true;
    } else {
      const auto& req = head.get();
      ApiRequest api;
      api.method = method;
      api.target = std::string(req.target());
      if (auto it = req.find(http::field::authorization); it != req.end()) api.authorization = std::string(it->value());
      if (auto it = req.find(http::field::host); it != req.end()) api.host = std::string(it->value());
      if (auto it = req.find(http::field::accept); it != req.end()) api.accept = std::string(it->value());
      api.listen = shared_.listen;
      for (const auto& field : req) api.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
      close = !req.keep_alive() || shared_.stopping;

      if (streams_body(api.target)) {
        http::request_parser<http::buffer_body> parser(std::move(head));
        parser.body_limit(boost::none);
        ClientBody body(*this, parser);
        ClientResponse out(*this, api.method == "HEAD", close);
        api.body_stream = &body;
        api.response_stream = &out;
        {
          auto host = shared_.hosts.acquire();
          response = handle(*host, shared_.metrics, options.api, api);
        }
        if (response.streamed) {
          streamed_ok = response.body.empty() && out.finish();
          response.status = out.status() ? out.status() : response.status;
        }
        if (!body.finished()) close = true;  // unread body bytes: the connection cannot carry another request
      } else {
        http::request_parser<http::string_body> parser(std::move(head));
        parser.body_limit(options.body_limit);
        auto declared = parser.content_length();
        if (declared && *declared > options.body_limit) {
          ec = http::error::body_limit;
        } else if (!parser.is_done()) {
          socket_.expires_after(timeout());
          http::read(socket_, buffer_, parser, ec);
        }
        if (ec) {
          if (quiet_end(ec)) break;
          response = refused(ec, options);
          response.route = "-";
          close = true;
        } else {
          api.body = std::move(parser.get().body());
          auto host = shared_.hosts.acquire();
          response = handle(*host, shared_.metrics, options.api, api);
        }
      }
    }

    if (shared_.stopping) close = true;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    shared_.metrics.observe(response.route, response.status, seconds);
    if (!response.error_code.empty()) shared_.metrics.count_error(response.route, response.error_code);
    access_log(method, response.route, response.status, seconds * 1000, response.principal);

    if (response.streamed) {
      if (!streamed_ok) break;  // cut short: closing is the only way to tell the client
    } else {
      http::response<http::string_body> res{static_cast<http::status>(response.status), 11};
      res.set(http::field::server, "latchkeyd");
      res.set(http::field::content_type, response.content_type);
      res.set(http::field::cache_control, "no-store");
      for (const auto& [name, value] : response.headers) res.set(name, value);
      res.body() = std::move(response.body);
      res.keep_alive(!close);
      res.prepare_payload();
      socket_.expires_after(timeout());
      if (method == "HEAD") {
        // The length a GET would have, without the bytes (RFC 9110 §9.3.2).
        http::response_serializer<http::string_body> head_only(res);
        http::write_header(socket_, head_only, ec);
      } else {
        http::write(socket_, res, ec);
      }
      if (ec) break;
    }
    if (close) {
      drain();
      break;
    }
  }
}

bool parse_listen(const std::string& text, tcp::endpoint* out) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long p = std::stoul(port);
  if (p > 65535) return false;
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return false;
  *out = tcp::endpoint(address, static_cast<unsigned short>(p));
  return true;
}

struct Start {
  Shared* shared;
  int fd;
};

void* connection_main(void* arg) {
  std::unique_ptr<Start> start(static_cast<Start*>(arg));
  Shared& shared = *start->shared;
  Connection(shared, start->fd).serve();
  std::lock_guard<std::mutex> lock(shared.mu);
  --shared.running;
  shared.all_closed.notify_all();  // under the lock: serve() may return, and destroy shared, once it sees 0
  return nullptr;
}

/// Starts a detached thread for the accepted socket; false if no thread could be made.
bool start_connection(Shared& shared, int fd) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kThreadStack);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  auto* start = new Start{&shared, fd};
  std::lock_guard<std::mutex> lock(shared.mu);
  if (shared.running >= static_cast<std::size_t>(shared.options.max_connections)) {
    delete start;
    return false;
  }
  int r = pthread_create(&thread, &attr, connection_main, start);
  pthread_attr_destroy(&attr);
  if (r != 0) {
    delete start;
    return false;
  }
  ++shared.running;
  return true;
}

// Past --max-connections (or out of threads) a client gets a short 503 instead of a hang.
void refuse_busy(int fd) {
  static const char kBusy[] =
      "HTTP/1.1 503 Service Unavailable\r\nServer: latchkeyd\r\nContent-Type: application/json\r\n"
      "Retry-After: 1\r\nConnection: close\r\nContent-Length: 97\r\n\r\n"
      "{\"error\":{\"code\":\"unavailable\",\"message\":\"latchkeyd is at its connection limit; try again\"}}";
  (void)!::send(fd, kBusy, sizeof kBusy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
}

}  // namespace

int serve(const ServerOptions& options) {
  std::signal(SIGPIPE, SIG_IGN);
  tcp::endpoint endpoint;
  if (!parse_listen(options.listen, &endpoint)) {
    std::cerr << "latchkeyd: --listen takes ADDRESS:PORT (e.g. 127.0.0.1:8787)\n";
    return 1;
  }
  if (options.engines < 1 || options.engines > 256) {
    std::cerr << "latchkeyd: --engines must be 1 to 256\n";
    return 1;
  }
  if (options.max_connections < 1) {
    std::cerr << "latchkeyd: --max-connections must be at least 1\n";
    return 1;
  }
  Shared shared(options);
  if (::pipe(shared.stop_pipe) != 0) {
    std::cerr << "latchkeyd: cannot create the shutdown pipe\n";
    return 1;
  }
  if (auto opened = shared.hosts.open(options.engines); !opened) {
    std::cerr << "latchkeyd: " << opened.error().message << "\n";
    return 1;
  }

  asio::io_context ioc{1};
  tcp::acceptor acceptor(ioc);
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::cerr << "latchkeyd: cannot listen on " << options.listen << ": " << ec.message() << "\n";
    return 1;
  }
  // Signals are caught before anyone is told where we listen.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    acceptor.close(ec);
    shared.stopping = true;
    ::close(shared.stop_pipe[1]);  // every connection waiting for a request sees the pipe's end
    shared.stop_pipe[1] = -1;
  });
  tcp::endpoint bound = acceptor.local_endpoint(ec);
  std::string address = bound.address().to_string();
  if (bound.address().is_v6()) address = "[" + address + "]";
  shared.listen = address + ":" + std::to_string(bound.port());
  std::printf("{\"listening\":\"%s\"}\n", shared.listen.c_str());
  std::fflush(stdout);

  std::function<void()> accept = [&] {
    acceptor.async_accept([&](beast::error_code e, tcp::socket socket) {
      if (!e) {
        int fd = socket.release(e);
        if (!e && fd >= 0 && !start_connection(shared, fd)) refuse_busy(fd);
      }
      if (acceptor.is_open()) accept();
    });
  };
  accept();
  ioc.run();
  // Requests in flight finish; connections between requests saw the stop pipe and closed.
  std::unique_lock<std::mutex> lock(shared.mu);
  shared.all_closed.wait(lock, [&] { return shared.running == 0; });
  ::close(shared.stop_pipe[0]);
  std::cerr << "{\"event\":\"stopped\"}\n";
  return 0;
}

}  // namespace latchkey::gateway
