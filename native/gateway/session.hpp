// A client connection on an event loop. It reads each request's head; a proxied request whose
// key and signer are cached and whose body is small (kReplayableBody) is answered right here:
// the token injected as the core's RequestSigner says, sent over an upstream connection the loop
// keeps alive (upstream.hpp: https, or plain http on loopback). Everything else — and anything
// that goes wrong before the upstream answers — goes to a worker thread with the connection
// (worker.hpp), which gives it back when done.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "event_loop.hpp"
#include "keys.hpp"

namespace latchkey::gateway {

class Session : public std::enable_shared_from_this<Session> {
 public:
  /// `peer`: the client's address when `socket` is not the client's own (the TLS listener's
  /// socket pair); empty: the socket's remote address.
  Session(EventLoop& loop, boost::asio::ip::tcp::socket socket, std::string peer = "");
  ~Session();

  /// On the loop's thread: starts reading requests.
  void start();
  /// Closes the connection if it is waiting for a request (shutdown).
  void close_if_idle();
  /// Ends a wait that has passed its deadline (called by the loop's sweep).
  void check_deadline(std::int64_t now_ms);

  std::list<Session*>::iterator where;  ///< In the loop's list.

 private:
  struct Exchange;  // a request the loop proxies itself
  enum class Wait { none, head, client, upstream };

  void read_head();
  void on_head(const boost::system::error_code& ec);
  bool try_proxy();
  void read_body(std::size_t length);
  void send_upstream(bool fresh);
  void connect_upstream();
  void connect_to(std::vector<boost::asio::ip::tcp::endpoint> endpoints);
  void answer_connect_timeout();
  void write_upstream();
  void read_upstream();
  void on_upstream_data(boost::system::error_code ec);
  void take_upstream_head();
  void retry_after_401();
  /// A 502 with `message` if nothing of the answer has gone out, else the connection is cut.
  void answer_or_cut(const std::string& message);
  void answer_gateway_error(const std::string& message);
  void write_client(bool last);
  void finish_proxy(int status, bool cut);
  /// Gives the connection to a worker thread (worker.hpp) with the request and, if read, its
  /// body. `refused_access_token`: the upstream answered 401 to the cached signer's token.
  void hand_off(boost::system::error_code ec, std::string refused_access_token = {});
  void resume(int fd, boost::beast::flat_buffer buffer);
  void close();
  void wait_until(Wait what, std::int64_t deadline_ms);

  EventLoop& loop_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  std::unique_ptr<boost::beast::http::request_parser<boost::beast::http::empty_body>> head_;
  std::unique_ptr<Exchange> ex_;
  std::string key_header_;  ///< The Authorization value key_ was found for, until key_until_ms_.
  KeyInfo key_;
  std::int64_t key_until_ms_ = 0;
  std::uint64_t key_epoch_ = 0;  ///< keys_epoch() when key_ was found: a change since makes it stale.
  Wait waiting_ = Wait::none;
  std::int64_t deadline_ms_ = 0;
  bool closed_ = false;
  bool registered_ = false;
  std::uint64_t exchanges_ = 0;  ///< Exchanges started (their ids).
  boost::asio::ip::tcp protocol_ = boost::asio::ip::tcp::v4();
  std::string peer_;    ///< The peer's address.
  std::chrono::steady_clock::time_point started_;
};

}  // namespace latchkey::gateway
