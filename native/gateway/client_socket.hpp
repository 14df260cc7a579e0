// A client's connection to latchkeyd as a Boost.Beast sync stream: a non-blocking socket whose
// every wait is one poll() bounded by the current deadline. Cheaper than an Asio reactor per
// connection thread (no epoll set, no timerfd re-armed per operation), and a wait for a client's
// next request also ends when the server starts shutting down.
#pragma once

#include <sys/uio.h>

#include <chrono>
#include <cstddef>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

namespace latchkey::gateway {

class ClientSocket {
 public:
  using Clock = std::chrono::steady_clock;

  /// Takes `fd` (closed on destruction). `stop_fd` becomes readable when the server stops.
  ClientSocket(int fd, int stop_fd);
  ~ClientSocket();
  ClientSocket(const ClientSocket&) = delete;
  ClientSocket& operator=(const ClientSocket&) = delete;

  /// Reads and writes fail with beast::error::timeout once this passes.
  void expires_after(std::chrono::seconds s) { deadline_ = Clock::now() + s; }
  /// While set, the server's stop signal ends a wait with operation_aborted (a connection
  /// between requests); a request being read or answered is not cut short.
  void set_stoppable(bool stoppable) { stoppable_ = stoppable; }
  /// Half-closes: the client sees the end of our answers.
  void shutdown_send();

  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers, boost::system::error_code& ec) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b(*it);
      if (b.size() > 0) return receive(b.data(), b.size(), ec);
    }
    ec = {};
    return 0;
  }
  template <class MutableBuffers>
  std::size_t read_some(const MutableBuffers& buffers) {
    boost::system::error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers, boost::system::error_code& ec) {
    iovec parts[kMaxParts];
    int count = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && count < kMaxParts; ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() == 0) continue;
      parts[count].iov_base = const_cast<void*>(b.data());
      parts[count].iov_len = b.size();
      ++count;
    }
    if (count == 0) {
      ec = {};
      return 0;
    }
    return send(parts, count, ec);
  }
  template <class ConstBuffers>
  std::size_t write_some(const ConstBuffers& buffers) {
    boost::system::error_code ec;
    std::size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  static constexpr int kMaxParts = 16;
  std::size_t receive(void* data, std::size_t size, boost::system::error_code& ec);
  std::size_t send(iovec* parts, int count, boost::system::error_code& ec);
  /// Waits for `events` until the deadline: false with ec set on timeout, stop or poll failure.
  bool wait(short events, boost::system::error_code& ec);

  int fd_;
  int stop_fd_;
  bool stoppable_ = false;
  Clock::time_point deadline_ = Clock::now();
};

}  // namespace latchkey::gateway
