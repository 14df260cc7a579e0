#include "client_socket.hpp"

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

ClientSocket::~ClientSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int ClientSocket::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void ClientSocket::shutdown_send() { ::shutdown(fd_, SHUT_WR); }

bool ClientSocket::wait(short events, boost::system::error_code& ec) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    if (left <= 0) {
      ec = boost::beast::error::timeout;
      return false;
    }
    pollfd p = {fd_, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left + 1, INT_MAX)));
    if (r < 0) {
      if (errno == EINTR) continue;
      ec = boost::system::error_code(errno, boost::system::system_category());
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
