#include "server.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "api.hpp"
#include "json.hpp"

namespace latchkey::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Accepted {
  int fd = -1;
  tcp protocol = tcp::v4();
};

struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Accepted> queue;
  bool stopping = false;
  Metrics metrics;
  std::mutex log_mu;
  std::string listen;  ///< The bound address (set before the workers start).

  bool is_stopping() {
    std::lock_guard<std::mutex> lock(mu);
    return stopping;
  }
};

// One line per request on stderr. Only the route template and the principal: never the target's
// query, a header, a key or a token.
void access_log(Shared& shared, const std::string& method, const std::string& route, int status, double ms,
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
  std::lock_guard<std::mutex> lock(shared.log_mu);
  std::cerr << line << '\n' << std::flush;
}

class Worker {
 public:
  Worker(Shared& shared, std::unique_ptr<native::Host> host, const ServerOptions& options)
      : shared_(shared), host_(std::move(host)), options_(options) {}

  void run() {
    while (true) {
      Accepted next;
      {
        std::unique_lock<std::mutex> lock(shared_.mu);
        shared_.cv.wait(lock, [&] { return shared_.stopping || !shared_.queue.empty(); });
        if (shared_.stopping) return;  // serve() closes what is still queued
        next = shared_.queue.front();
        shared_.queue.pop_front();
      }
      serve_connection(next);
    }
  }

  /// From any thread, after Shared::stopping is set: closes the connection if it is idle between
  /// requests, so shutdown does not wait out a keep-alive timeout. A request being read or
  /// handled is finished first.
  void request_stop() {
    asio::post(ioc_, [this] {
      if (stream_ && parser_got_nothing_) stream_->socket().close();
    });
  }

 private:
  // Runs one async operation on this thread's io_context until it completes (the timeouts of
  // beast::tcp_stream only apply to async operations).
  template <class Start>
  beast::error_code await(Start start) {
    bool done = false;
    beast::error_code result;
    start([&](beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    ioc_.restart();
    while (!done) ioc_.run_one();
    return result;
  }

  void serve_connection(const Accepted& accepted) {
    beast::error_code ec;
    tcp::socket socket(ioc_);
    socket.assign(accepted.protocol, accepted.fd, ec);
    if (ec) {
      ::close(accepted.fd);
      return;
    }
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    while (!shared_.is_stopping()) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(options_.header_limit));
      parser.body_limit(options_.body_limit);
      stream.expires_after(std::chrono::seconds(options_.read_timeout_s));
      stream_ = &stream;
      parser_got_nothing_ = buffer.size() == 0;
      ec = await([&](auto handler) {
        http::async_read_some(stream, buffer, parser, [this, handler](beast::error_code e, std::size_t n) mutable {
          parser_got_nothing_ = false;
          handler(e, n);
        });
      });
      if (!ec && !parser.is_done()) {
        ec = await([&](auto handler) { http::async_read(stream, buffer, parser, handler); });
      }
      stream_ = nullptr;
      auto started = std::chrono::steady_clock::now();
      ApiResponse response;
      std::string method = "-";
      bool close = false;
      if (ec) {
        // Nothing of a request came (client closed, idle timeout, shutdown): just close. A
        // request that did not arrive in time is cut off too (tcp_stream closes the socket when
        // its deadline passes, so there is no 408 to send).
        if (!parser.got_some()) break;
        close = true;
        if (ec == http::error::body_limit) {
          response = error_response(413, "invalid_request", "the request body is larger than " +
                                                                std::to_string(options_.body_limit) + " bytes");
        } else if (ec == http::error::header_limit) {
          response = error_response(431, "invalid_request", "the request head is too large");
        } else if (ec == beast::error::timeout || ec == http::error::end_of_stream || ec == asio::error::eof ||
                   ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
          break;
        } else {
          response = error_response(400, "invalid_request", "the request is not valid HTTP/1.1");
        }
        if (parser.is_header_done()) method = std::string(parser.get().method_string());
        response.route = "-";
      } else {
        auto& req = parser.get();
        ApiRequest api;
        method = std::string(req.method_string());
        api.method = method;
        api.target = std::string(req.target());
        if (auto it = req.find(http::field::authorization); it != req.end()) api.authorization = std::string(it->value());
        if (auto it = req.find(http::field::host); it != req.end()) api.host = std::string(it->value());
        if (auto it = req.find(http::field::accept); it != req.end()) api.accept = std::string(it->value());
        api.listen = shared_.listen;
        for (const auto& field : req) api.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        api.body = std::move(req.body());
        response = handle(*host_, shared_.metrics, options_.api, api);
        close = !req.keep_alive();
      }
      if (shared_.is_stopping()) close = true;

      http::response<http::string_body> res{static_cast<http::status>(response.status), 11};
      res.set(http::field::server, "latchkeyd");
      if (response.passthrough) {
        for (const auto& [name, value] : response.headers) res.insert(name, value);
      } else {
        res.set(http::field::content_type, response.content_type);
        res.set(http::field::cache_control, "no-store");
        for (const auto& [name, value] : response.headers) res.set(name, value);
      }
      res.body() = std::move(response.body);
      res.keep_alive(!close);
      res.prepare_payload();
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      shared_.metrics.observe(response.route, response.status, seconds);
      access_log(shared_, method, response.route, response.status, seconds * 1000, response.principal);

      stream.expires_after(std::chrono::seconds(options_.read_timeout_s));
      ec = await([&](auto handler) { http::async_write(stream, res, handler); });
      if (ec) break;
      if (close) {
        // Half-close, then read and drop what the client is still sending (an oversized body)
        // for a moment, so closing with unread data does not reset the connection before the
        // client has read our answer.
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream.expires_after(std::chrono::seconds(2));
        std::size_t drained = 0;
        std::vector<char> sink(64 * 1024);
        while (drained < (16u << 20)) {
          std::size_t n = 0;
          ec = await([&](auto handler) {
            stream.async_read_some(asio::buffer(sink), [&n, handler](beast::error_code e, std::size_t got) mutable {
              n = got;
              handler(e, got);
            });
          });
          if (ec) break;
          drained += n;
        }
        break;
      }
    }
    stream_ = nullptr;
    stream.socket().close(ec);
  }

  Shared& shared_;
  std::unique_ptr<native::Host> host_;
  const ServerOptions& options_;
  asio::io_context ioc_{1};
  beast::tcp_stream* stream_ = nullptr;  // only touched on this worker's thread
  bool parser_got_nothing_ = false;
};

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

}  // namespace

int serve(const ServerOptions& options) {
  std::signal(SIGPIPE, SIG_IGN);
  tcp::endpoint endpoint;
  if (!parse_listen(options.listen, &endpoint)) {
    std::cerr << "latchkeyd: --listen takes ADDRESS:PORT (e.g. 127.0.0.1:8787)\n";
    return 1;
  }
  if (options.engines < 1 || options.engines > 256) {
    std::cerr << "latchkeyd: --threads must be 1 to 256\n";
    return 1;
  }
  Shared shared;
  // Hosts are opened one after another: the first one may create the master key file.
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < options.engines; ++i) {
    auto host = native::Host::open(options.host);
    if (!host) {
      std::cerr << "latchkeyd: " << host.error().message << "\n";
      return 1;
    }
    workers.push_back(std::make_unique<Worker>(shared, std::move(*host), options));
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
    {
      std::lock_guard<std::mutex> lock(shared.mu);
      shared.stopping = true;
    }
    shared.cv.notify_all();
    for (auto& w : workers) w->request_stop();
  });
  tcp::endpoint bound = acceptor.local_endpoint(ec);
  std::string address = bound.address().to_string();
  if (bound.address().is_v6()) address = "[" + address + "]";
  shared.listen = address + ":" + std::to_string(bound.port());
  std::printf("{\"listening\":\"%s\"}\n", shared.listen.c_str());
  std::fflush(stdout);

  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });

  std::function<void()> accept = [&] {
    acceptor.async_accept([&](beast::error_code e, tcp::socket socket) {
      if (!e) {
        tcp protocol = socket.local_endpoint(e).protocol();
        int fd = e ? -1 : socket.release(e);
        if (!e && fd >= 0) {
          std::lock_guard<std::mutex> lock(shared.mu);
          shared.queue.push_back({fd, protocol});
        }
        shared.cv.notify_one();
      }
      if (acceptor.is_open()) accept();
    });
  };
  accept();
  ioc.run();
  for (auto& t : threads) t.join();
  for (const auto& a : shared.queue) ::close(a.fd);
  std::cerr << "{\"event\":\"stopped\"}\n";
  return 0;
}

}  // namespace latchkey::gateway
