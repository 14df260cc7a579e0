#include "server.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "event_loop.hpp"
#include "responses.hpp"
#include "server_state.hpp"
#include "session.hpp"
#include "tls_listener.hpp"

namespace latchkey::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

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

// Past --max-connections a client gets a short 503 instead of a hang. Sent without waiting:
// a client that does not read it just sees the connection close.
void refuse_busy(int fd) {
  static const std::string kBusy = [] {
    ApiResponse r = error_response(503, "unavailable", "latchkeyd is at its connection limit; try again");
    r.headers.emplace_back("Retry-After", "1");
    return serialize_response(r, false, true);
  }();
  (void)!::send(fd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
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
  ServerState state(options);
  if (auto opened = state.hosts.open(options.engines); !opened) {
    std::cerr << "latchkeyd: " << opened.error().message << "\n";
    return 1;
  }
  std::string store_path;
  {
    auto host = state.hosts.acquire();
    store_path = (*host).store_path();
  }
  auto signers = SignerCache::open(store_path);
  if (!signers) {
    std::cerr << "latchkeyd: " << signers.error().message << "\n";
    return 1;
  }
  state.signers = std::move(*signers);

  std::unique_ptr<TlsListener> tls;
  if (!options.tls_cert.empty()) {
    auto opened = TlsListener::open(options.tls_cert, options.tls_key);
    if (!opened) {
      std::cerr << "latchkeyd: " << opened.error().message << "\n";
      return 1;
    }
    tls = std::move(*opened);
  }

  asio::io_context ioc{1};  // the acceptor and the signals; connections live on the event loops
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

  // One event loop per core: with the requests they answer themselves they are the CPU's work.
  const unsigned loop_count = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::unique_ptr<EventLoop>> loops;
  for (unsigned i = 0; i < loop_count; ++i) loops.push_back(std::make_unique<EventLoop>(state));
  std::vector<std::thread> threads;
  for (auto& loop : loops) threads.emplace_back([l = loop.get()] { l->run(); });

  // SIGHUP (systemctl reload): new certificates for the TLS listener. Caught without TLS too,
  // so a reload never kills a plain-http gateway.
  asio::signal_set hangups(ioc, SIGHUP);
  std::function<void()> on_hangup = [&] {
    hangups.async_wait([&](beast::error_code e, int) {
      if (e) return;
      if (!tls) {
        state.log.submit("{\"event\":\"reload\",\"tls\":false}\n");
      } else if (auto reloaded = tls->reload(); reloaded) {
        state.log.submit("{\"event\":\"reload\",\"tls\":true}\n");
      } else {
        std::cerr << "latchkeyd: SIGHUP: kept the certificate in use: " << reloaded.error().message << "\n";
      }
      on_hangup();
    });
  };
  on_hangup();
  // Signals are caught before anyone is told where we listen.
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) {
    acceptor.close(ec);
    hangups.cancel(ec);
    state.stopping = true;
    for (auto& loop : loops) loop->close_idle();
  });
  tcp::endpoint bound = acceptor.local_endpoint(ec);
  std::string address = bound.address().to_string();
  if (bound.address().is_v6()) address = "[" + address + "]";
  state.listen = address + ":" + std::to_string(bound.port());
  std::printf("{\"listening\":\"%s\"}\n", state.listen.c_str());
  std::fflush(stdout);

  std::size_t next = 0;
  std::function<void()> accept = [&] {
    EventLoop& loop = *loops[next++ % loops.size()];
    acceptor.async_accept(loop.context(), [&, on = &loop](beast::error_code e, tcp::socket socket) {
      if (!e) {
        bool admitted;
        {
          std::lock_guard<std::mutex> lock(state.mu);
          admitted = state.open < static_cast<std::size_t>(options.max_connections);
          if (admitted) ++state.open;
        }
        if (admitted && tls) {
          beast::error_code pe;
          const auto peer = socket.remote_endpoint(pe);
          const std::string peer_address = pe ? std::string() : peer.address().to_string();
          const int client = socket.release(pe);
          const int inner = pe || client < 0 ? -1 : tls->wrap(client, options.read_timeout_s);
          tcp::socket plain(on->context());
          if (inner >= 0) plain.assign(endpoint.protocol(), inner, pe);
          if (inner >= 0 && !pe) {
            auto session = std::make_shared<Session>(*on, std::move(plain), peer_address);
            asio::post(on->context(), [session] { session->start(); });
          } else {
            std::lock_guard<std::mutex> lock(state.mu);
            --state.open;
            state.all_closed.notify_all();
          }
        } else if (admitted) {
          auto session = std::make_shared<Session>(*on, std::move(socket));
          asio::post(on->context(), [session] { session->start(); });
        } else if (int fd = socket.release(e); !e && fd >= 0) {
          refuse_busy(fd);
        }
      }
      if (acceptor.is_open()) accept();
    });
  };
  accept();
  ioc.run();
  // Requests in flight finish; connections between requests were closed.
  {
    std::unique_lock<std::mutex> lock(state.mu);
    state.all_closed.wait(lock, [&] { return state.open == 0; });
  }
  for (auto& loop : loops) loop->stop();
  for (auto& t : threads) t.join();
  state.log.submit("{\"event\":\"stopped\"}\n");  // after every request's line (the log writes in order)
  return 0;
}

}  // namespace latchkey::gateway
