#include "loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <cstring>

#include "host/clock.hpp"
#include "latchkey/url.hpp"

namespace latchkey::native {
namespace http = boost::beast::http;

namespace {

void send_page(int fd, const CallbackPage& page) {
  const char* reason = page.status == 200 ? "OK" : page.status == 404 ? "Not Found" : "Bad Request";
  std::string response = "HTTP/1.1 " + std::to_string(page.status) + " " + reason +
                         "\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n"
                         "Referrer-Policy: no-referrer\r\nContent-Security-Policy: default-src 'none'; style-src "
                         "'unsafe-inline'\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(page.html.size()) + "\r\n\r\n" + page.html;
  std::size_t sent = 0;
  while (sent < response.size()) {
    ssize_t n = ::send(fd, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

// Reads one request head (bodies are not expected) within the deadline; false on junk or timeout.
bool read_request(int fd, std::int64_t deadline, std::string* method, std::string* target) {
  http::request_parser<http::empty_body> parser;
  parser.header_limit(16 * 1024);
  parser.eager(false);
  boost::beast::flat_buffer buffer;
  boost::beast::error_code ec;
  while (!parser.is_header_done()) {
    std::int64_t left = deadline - steady_ms();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, 5000))) <= 0) return false;
    auto space = buffer.prepare(4096);
    ssize_t n = ::recv(fd, space.data(), space.size(), 0);
    if (n <= 0) return false;
    buffer.commit(static_cast<std::size_t>(n));
    std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec && ec != http::error::need_more) return false;
  }
  *method = std::string(parser.get().method_string());
  *target = std::string(parser.get().target());
  return true;
}

}  // namespace

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string callback_html(bool ok, const std::string& title, const std::string& detail) {
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape_html(title) +
         "</title><style>body{font:16px system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em}"
         "h1{font-size:1.4em;color:" +
         std::string(ok ? "#1a7f37" : "#b42318") + "}</style></head><body><h1>" + escape_html(title) + "</h1><p>" +
         escape_html(detail) + "</p></body></html>";
}

Result<std::unique_ptr<LoopbackListener>> LoopbackListener::listen(int port) {
  if (port < 0 || port > 65535) return make_error(ErrorCode::invalid_request, "--port must be 0 to 65535");
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::internal, std::string("could not open a socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never reachable from another machine
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(ErrorCode::invalid_request, "could not listen on 127.0.0.1:" + std::to_string(port) + " (" +
                                                      std::strerror(err) + "); choose another --port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::unique_ptr<LoopbackListener> l(new LoopbackListener);
  l->fd_ = fd;
  l->port_ = ntohs(addr.sin_port);
  return l;
}

LoopbackListener::~LoopbackListener() {
  if (fd_ >= 0) ::close(fd_);
}

std::string LoopbackListener::redirect_uri() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/oauth/callback";
}

Status LoopbackListener::wait(const std::string& state, std::int64_t timeout_ms,
                              const std::function<CallbackPage(const std::string& query)>& complete) {
  const std::int64_t deadline = steady_ms() + timeout_ms;
  while (true) {
    std::int64_t left = deadline - steady_ms();
    if (left <= 0) {
      return make_error(ErrorCode::invalid_request, "timed out after " + std::to_string(timeout_ms / 1000) +
                                                        " s waiting for the browser to come back; run connect again "
                                                        "(or raise --timeout)");
    }
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, 1000))) <= 0) continue;
    int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::string method, target;
    // A stray client gets at most 5 s of our attention.
    if (!read_request(client, std::min(deadline, steady_ms() + 5000), &method, &target)) {
      ::close(client);
      continue;
    }
    std::string path = target.substr(0, target.find('?'));
    std::string query = target.size() > path.size() ? target.substr(path.size() + 1) : "";
    if (method != "GET" || path != "/oauth/callback") {
      send_page(client, {404, callback_html(false, "Not found", "This address only receives latchkey sign-ins.")});
      ::close(client);
      continue;
    }
    auto params = decode_form(query);
    const std::string* got = params ? find_param(*params, "state") : nullptr;
    // OAuth 1.0a sends the browser back with the temporary token, which stands in for the state.
    if (!got && params) got = find_param(*params, "oauth_token");
    if (!got || *got != state) {
      send_page(client, {400, callback_html(false, "Not this sign-in",
                                            "This response does not belong to the sign-in latchkey is waiting for. "
                                            "Finish the sign-in from the link latchkey printed.")});
      ::close(client);
      continue;
    }
    CallbackPage page = complete(query);
    send_page(client, page);
    ::close(client);
    return Ok{};
  }
}

}  // namespace latchkey::native
