// A client's connection to latchkeyd as a Boost.Beast sync stream, for a worker thread answering
// one request: non-blocking I/O whose every wait is one poll() bounded by the current deadline
// (cheaper than an Asio reactor for one thread and one socket).
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

  /// Takes `fd` (closed on destruction unless released).
  explicit ClientSocket(int fd) : fd_(fd) {}
  ~ClientSocket();
  ClientSocket(const ClientSocket&) = delete;
  ClientSocket& operator=(const ClientSocket&) = delete;

  /// Reads and writes fail with beast::error::timeout once this passes.
  void expires_after(std::chrono::seconds s) { deadline_ = Clock::now() + s; }
  /// Gives the descriptor back (to the event loop) instead of closing it.
  int release();
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
  /// Waits for `events` until the deadline: false with ec set on timeout or poll failure.
  bool wait(short events, boost::system::error_code& ec);

  int fd_;
  Clock::time_point deadline_ = Clock::now();
};

}  // namespace latchkey::gateway
