#include "client_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>

#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>

namespace latchkey::gateway {

namespace asio = boost::asio;

ClientSocket::ClientSocket(int fd, int stop_fd) : fd_(fd), stop_fd_(stop_fd) {
  // Answers may leave in several writes (a streamed head, then its body): without this, Nagle's
  // algorithm holds each later write until the client's delayed ACK, 40 ms a response.
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

ClientSocket::~ClientSocket() { ::close(fd_); }

void ClientSocket::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

bool ClientSocket::wait(short events, boost::system::error_code& ec) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    if (left <= 0) {
      ec = boost::beast::error::timeout;
      return false;
    }
    pollfd p[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
    int r = ::poll(p, stoppable_ ? 2 : 1, static_cast<int>(std::min<long long>(left + 1, INT_MAX)));
    if (r < 0) {
      if (errno == EINTR) continue;
      ec = boost::system::error_code(errno, boost::system::system_category());
      return false;
    }
    if (stoppable_ && (p[1].revents & (POLLIN | POLLHUP))) {  // a closed pipe reports POLLHUP
      ec = asio::error::operation_aborted;
      return false;
    }
    if (r > 0) return true;
  }
}

std::size_t ClientSocket::receive(void* data, std::size_t size, boost::system::error_code& ec) {
  for (;;) {
    ssize_t n = ::recv(fd_, data, size, MSG_DONTWAIT);
    if (n > 0) {
      ec = {};
      return static_cast<std::size_t>(n);
    }
    if (n == 0) {
      ec = asio::error::eof;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ec = errno == ECONNRESET ? asio::error::connection_reset
                               : boost::system::error_code(errno, boost::system::system_category());
      return 0;
    }
    if (!wait(POLLIN, ec)) return 0;
  }
}

std::size_t ClientSocket::send(iovec* parts, int count, boost::system::error_code& ec) {
  for (;;) {
    msghdr m{};
    m.msg_iov = parts;
    m.msg_iovlen = static_cast<std::size_t>(count);
    ssize_t n = ::sendmsg(fd_, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      ec = {};
      return static_cast<std::size_t>(n);
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      ec = (errno == EPIPE || errno == ECONNRESET) ? asio::error::connection_reset
                                                   : boost::system::error_code(errno, boost::system::system_category());
      return 0;
    }
    if (!wait(POLLOUT, ec)) return 0;
  }
}

}  // namespace latchkey::gateway
