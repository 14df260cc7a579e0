#include "http/https_client.hpp"

#include "latchkey/url.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "latchkey/latchkey.h"

namespace latchkey::native {
namespace {

namespace http = boost::beast::http;
using Clock = std::chrono::steady_clock;

constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";
// Beast's parser needs the whole header in one contiguous buffer, so the read buffer must be
// larger than the header limit; the rest is room for body bytes read along with the header.
constexpr std::size_t kReadBufferSize = kResponseHeaderLimit + 16 * 1024;
constexpr int kMaxRedirects = 5;
constexpr std::size_t kMaxIdleConnections = 8;
// RFC 7301 ALPN: we speak HTTP/1.1 only. Static storage: mbedTLS keeps the pointer.
const char* const kAlpn[] = {"http/1.1", nullptr};

// ---------------------------------------------------------------------------------------------
// Small text helpers

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

bool is_tchar(unsigned char c) {  // RFC 9110 §5.6.2 token characters
  if (std::isalnum(c)) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != 0;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!is_tchar(c)) return false;
  }
  return true;
}

bool is_field_value(std::string_view s) {  // no CR, LF, NUL or other controls but tab
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

/// A URL's host as a name to resolve or an address to parse: lower-cased, without the brackets
/// of an IPv6 literal.
std::string host_name(std::string_view url_host) {
  if (url_host.size() >= 2 && url_host.front() == '[' && url_host.back() == ']') {
    url_host = url_host.substr(1, url_host.size() - 2);
  }
  std::string name;
  name.reserve(url_host.size());
  for (char c : url_host) name += lower_ascii(c);
  return name;
}

std::string mbedtls_text(int code) {
  char buf[160];
  mbedtls_strerror(code, buf, sizeof buf);
  return buf;
}

std::string errno_text(int err) {
  switch (err) {
    case ECONNREFUSED: return "connection refused";
    case ECONNRESET: return "connection reset";
    case ETIMEDOUT: return "timed out";
    case EHOSTUNREACH: return "no route to host";
    case ENETUNREACH: return "network unreachable";
    case EADDRNOTAVAIL: return "address not available";
    default: return std::strerror(err);
  }
}

// ---------------------------------------------------------------------------------------------
// URLs: views into the caller's string, so a request on a kept-alive connection allocates nothing
// here. Stricter than a browser: no userinfo, no spaces or non-ASCII, host names of letters,
// digits, '-', '.', '_' or a bracketed IPv6 literal.

struct Target {
  bool tls = true;
  std::string_view scheme;     // as written
  std::string_view authority;  // host[:port] as written (for resolving relative redirects)
  std::string_view host;       // as written; IPv6 literals keep their brackets
  int port = 443;
  bool default_port = true;
  std::string_view path;   // from the first '/', without query or fragment; may be empty
  std::string_view query;  // without '?'; may be empty
  bool has_query = false;
};

bool parse_target(std::string_view url, Target* t, std::string* why) {
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f) {
      *why = "the request URL contains spaces, control or non-ASCII characters (percent-encode them)";
      return false;
    }
  }
  auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    *why = "the request URL is not absolute (it must start with https://)";
    return false;
  }
  t->scheme = url.substr(0, sep);
  if (iequals(t->scheme, "https")) {
    t->tls = true;
    t->port = 443;
  } else if (iequals(t->scheme, "http")) {
    t->tls = false;
    t->port = 80;
  } else {
    *why = "the request URL's scheme must be https (or http for localhost)";
    return false;
  }
  std::string_view rest = url.substr(sep + 3);
  auto end = rest.find_first_of("/?#");
  t->authority = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (t->authority.find('@') != std::string_view::npos) {
    *why = "credentials in the request URL are not allowed (send them in a header)";
    return false;
  }
  std::string_view host = t->authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos) {
      *why = "the request URL has an unterminated IPv6 address";
      return false;
    }
    std::string_view after = host.substr(close + 1);
    host = host.substr(0, close + 1);
    for (char c : host.substr(1, host.size() - 2)) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
        *why = "the request URL has an invalid IPv6 address";
        return false;
      }
    }
    if (!after.empty()) {
      if (after.front() != ':') {
        *why = "the request URL has text after its IPv6 address";
        return false;
      }
      port = after.substr(1);
    }
  } else {
    auto colon = host.rfind(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    for (char c : host) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) {
        *why = "the request URL's host has characters a host name cannot have";
        return false;
      }
    }
  }
  if (host.empty() || host == "[]") {
    *why = "the request URL has no host";
    return false;
  }
  t->host = host;
  t->default_port = true;
  if (!port.empty()) {
    int p = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || p > 65535) {
        *why = "the request URL's port is not a number from 1 to 65535";
        return false;
      }
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535) {
      *why = "the request URL's port is not a number from 1 to 65535";
      return false;
    }
    t->default_port = p == t->port;
    t->port = p;
  }
  auto hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  auto q = rest.find('?');
  t->has_query = q != std::string_view::npos;
  t->query = t->has_query ? rest.substr(q + 1) : std::string_view();
  t->path = rest.substr(0, q);
  return true;
}

/// localhost, 127.0.0.0/8 as a dotted quad, or [::1] (the core's rule, so both agree).
bool is_loopback_name(std::string_view host) {
  std::string lowered(host);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return is_loopback_host(lowered);
}

bool is_loopback_address(const sockaddr* sa) {
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
  }
  return false;
}

bool same_origin(const Target& a, const Target& b) {
  return a.tls == b.tls && a.port == b.port && iequals(a.host, b.host);
}

/// Resolves a Location header against the URL it answered (RFC 3986 §5.2, without removing
/// dot segments: the server sees them as it wrote them).
std::string resolve_location(const Target& base, std::string_view location) {
  auto colon = location.find("://");
  if (colon != std::string_view::npos && location.find_first_of("/?#") > colon) return std::string(location);
  std::string out(base.scheme);
  out += "://";
  if (location.substr(0, 2) == "//") {
    out += location.substr(2);
    return out;
  }
  out += base.authority;
  if (!location.empty() && location.front() == '/') {
    out += location;
  } else if (!location.empty() && location.front() == '?') {
    out += base.path.empty() ? std::string_view("/") : base.path;
    out += location;
  } else {
    auto slash = base.path.rfind('/');
    out += slash == std::string_view::npos ? std::string_view("/") : base.path.substr(0, slash + 1);
    out += location;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Sockets with deadlines. The sockets are non-blocking; every wait is a poll() bounded by the
// connection's current deadline, so no read, write, connect or TLS handshake outlives its timeout.

/// 1: ready, 0: the deadline passed, -1: poll failed (errno set).
int wait_fd(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return 0;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left + 1, INT_MAX)));
    if (r > 0) return 1;
    if (r < 0 && errno != EINTR) return -1;
  }
}

struct Connection {
  Connection() : buf(new char[kReadBufferSize]) { mbedtls_ssl_init(&ssl); }
  ~Connection() {
    mbedtls_ssl_free(&ssl);
    if (fd >= 0) ::close(fd);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd = -1;
  bool tls = false;
  std::string host;  // lower-case, IPv6 literals in brackets
  int port = 0;
  mbedtls_ssl_context ssl;
  Clock::time_point deadline;  // for the I/O in progress
  int last_errno = 0;          // the socket error behind an MBEDTLS_ERR_NET_* code
  // Bytes read but not yet consumed by the parser: buf[start, end).
  std::unique_ptr<char[]> buf;
  std::size_t start = 0, end = 0;
  TlsPeer peer;  // for the certificate checks
};

int bio_send(void* ctx, const unsigned char* data, std::size_t len) {
  auto* c = static_cast<Connection*>(ctx);
  len = std::min<std::size_t>(len, INT_MAX);
  for (;;) {
    ssize_t n = ::send(c->fd, data, len, MSG_NOSIGNAL);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int w = wait_fd(c->fd, POLLOUT, c->deadline);
      if (w == 0) return MBEDTLS_ERR_SSL_TIMEOUT;
      if (w < 0) break;
      continue;
    }
    break;
  }
  c->last_errno = errno;
  return (errno == EPIPE || errno == ECONNRESET) ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

int bio_recv(void* ctx, unsigned char* data, std::size_t len) {
  auto* c = static_cast<Connection*>(ctx);
  len = std::min<std::size_t>(len, INT_MAX);
  for (;;) {
    ssize_t n = ::recv(c->fd, data, len, 0);
    if (n >= 0) return static_cast<int>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int w = wait_fd(c->fd, POLLIN, c->deadline);
      if (w == 0) return MBEDTLS_ERR_SSL_TIMEOUT;
      if (w < 0) break;
      continue;
    }
    break;
  }
  c->last_errno = errno;
  return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

/// > 0: bytes read; 0: the peer closed the connection; < 0: an mbedTLS / MBEDTLS_ERR_NET_* code.
int conn_read(Connection& c, char* data, std::size_t len) {
  if (!c.tls) return bio_recv(&c, reinterpret_cast<unsigned char*>(data), len);
  for (;;) {
    int n = mbedtls_ssl_read(&c.ssl, reinterpret_cast<unsigned char*>(data), len);
    // WANT_READ: mbedTLS handled a record that carried no application data. Our BIO blocks
    // (up to the deadline), so it never asks for anything else.
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
    // mbedtls_ssl_read answers 0 for a TCP close without close_notify (servers often skip it).
    if (n == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || n == MBEDTLS_ERR_SSL_CONN_EOF) return 0;
    return n;
  }
}

/// 0, or an mbedTLS / MBEDTLS_ERR_NET_* code.
/// Best effort, never waits: tells a TLS peer we are done with an idle connection.
void close_politely(Connection& c) {
  if (!c.tls || c.fd < 0) return;
  c.deadline = Clock::now();
  mbedtls_ssl_close_notify(&c.ssl);
}

int conn_write_all(Connection& c, const char* data, std::size_t len) {
  while (len > 0) {
    int n = c.tls ? mbedtls_ssl_write(&c.ssl, reinterpret_cast<const unsigned char*>(data), len)
                  : bio_send(&c, reinterpret_cast<const unsigned char*>(data), len);
    if (n == MBEDTLS_ERR_SSL_WANT_READ || n == MBEDTLS_ERR_SSL_WANT_WRITE) continue;
    if (n < 0) return n;
    data += n;
    len -= static_cast<std::size_t>(n);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Certificate verification detail

std::string leaf_names(const mbedtls_x509_crt* crt) {
  std::vector<std::string> names;
  if (crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) {
    for (const mbedtls_x509_sequence* s = &crt->subject_alt_names; s != nullptr; s = s->next) {
      unsigned char type = s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK;
      if (s->buf.p == nullptr) continue;
      if (type == MBEDTLS_X509_SAN_DNS_NAME) {
        names.emplace_back(reinterpret_cast<const char*>(s->buf.p), s->buf.len);
      } else if (type == MBEDTLS_X509_SAN_IP_ADDRESS && (s->buf.len == 4 || s->buf.len == 16)) {
        char text[INET6_ADDRSTRLEN] = {};
        inet_ntop(s->buf.len == 4 ? AF_INET : AF_INET6, s->buf.p, text, sizeof text);
        names.emplace_back(text);
      }
    }
  } else {
    for (const mbedtls_x509_name* n = &crt->subject; n != nullptr; n = n->next) {
      if (n->oid.p != nullptr && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
        names.emplace_back(reinterpret_cast<const char*>(n->val.p), n->val.len);
      }
    }
  }
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 3; ++i) {
    if (i) out += ", ";
    for (char ch : names[i]) out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';  // names are peer data
  }
  if (names.size() > 3) out += ", ...";
  return out.empty() ? "no host name" : out;
}

/// Called by mbedTLS for every certificate in the chain after its own checks; may change flags.
/// For IP literals we match iPAddress SANs ourselves (mbedTLS 2.28 only knows dNSName).
int verify_callback(void* ctx, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
  if (depth != 0) return 0;
  auto* c = static_cast<TlsPeer*>(ctx);
  c->cert_names = leaf_names(crt);
  if (c->host_is_ip) {
    // RFC 6125 §6.2.1: an IP address must be matched by an iPAddress SAN, never by a DNS name
    // or the subject CN.
    bool match = false;
    if (crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) {
      for (const mbedtls_x509_sequence* s = &crt->subject_alt_names; s != nullptr; s = s->next) {
        if ((s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK) == MBEDTLS_X509_SAN_IP_ADDRESS && s->buf.p != nullptr &&
            s->buf.len == c->ip_len && std::memcmp(s->buf.p, c->ip, c->ip_len) == 0) {
          match = true;
        }
      }
    }
    if (match) {
      *flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_CN_MISMATCH);
    } else {
      *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    }
  }
  return 0;
}

std::string verify_failure_text(const TlsPeer& c, std::uint32_t flags) {
  const std::string& host = c.host;
  const char* ca_hint = "pass --ca-file or set LATCHKEY_CA_FILE to the issuing CA's PEM";
  bool untrusted = flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED;
  bool mismatch = flags & MBEDTLS_X509_BADCERT_CN_MISMATCH;
  if (untrusted && mismatch) {
    return "the TLS certificate of " + host + " is not trusted (unknown CA) and is for " + c.cert_names + ", not " +
           host + "; check the URL, or " + ca_hint;
  }
  if (untrusted) return "the TLS certificate of " + host + " is not trusted (unknown CA); " + ca_hint;
  if (mismatch) {
    return "the TLS certificate is for " + c.cert_names + ", not " + host +
           "; check the host name in the URL (the server may be misconfigured)";
  }
  if (flags & MBEDTLS_X509_BADCERT_EXPIRED) {
    return "the TLS certificate of " + host +
           " has expired; check this computer's clock, or ask the server's operator to renew it";
  }
  if (flags & MBEDTLS_X509_BADCERT_FUTURE) {
    return "the TLS certificate of " + host + " is not valid yet; check this computer's clock";
  }
  if (flags & MBEDTLS_X509_BADCERT_REVOKED) {
    return "the TLS certificate of " + host + " has been revoked; ask the server's operator to replace it";
  }
  char info[512];
  int n = mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
  std::string detail = n > 0 ? std::string(info, static_cast<std::size_t>(n)) : std::string("unknown reason");
  auto nl = detail.find('\n');
  if (nl != std::string::npos) detail.resize(nl);
  while (!detail.empty() && (detail.back() == '.' || detail.back() == ' ')) detail.pop_back();
  return "the TLS certificate of " + host + " was rejected (" + detail + "); ask the server's operator to fix it";
}

// ---------------------------------------------------------------------------------------------

/// The request as sent on one hop (redirects may change method and drop the body).
struct Outgoing {
  std::string_view method;
  const Params* headers;
  std::string_view body;
  bool body_dropped = false;  // a redirect turned a POST into a GET: drop body headers too
  BodySource* source = nullptr;  // a streamed body instead of `body`
  ResponseSink* sink = nullptr;  // where a streamed response goes (else: into the response)
  bool source_started = false;   // the source gave bytes away: the request can't be resent
};

// Body bytes go from the parser to the sink or the response through this much at a time.
constexpr std::size_t kBodyChunk = 16 * 1024;

enum class Failure {
  none,
  failed,         // error says why; do not retry
  closed_early,   // the connection was closed or reset before any response byte: retryable if reused
};

/// Appends the request as sent on the wire: its head and, unless streamed, its body.
void write_request(std::string& w, const Target& t, const Outgoing& out, bool* close_requested) {
  w += out.method;
  w += ' ';
  if (t.path.empty() || t.path.front() != '/') w += '/';
  w += t.path;
  if (t.has_query) {
    w += '?';
    w += t.query;
  }
  w += " HTTP/1.1\r\nHost: ";
  w += t.host;
  if (!t.default_port) {
    w += ':';
    char port[8];
    int n = std::snprintf(port, sizeof port, "%d", t.port);
    w.append(port, static_cast<std::size_t>(n));
  }
  w += "\r\n";
  bool has_user_agent = false;
  for (const auto& [name, value] : *out.headers) {
    // Framing is ours: a caller's Host, Content-Length or Transfer-Encoding could desynchronise
    // the connection (request smuggling), so they are replaced, not passed on.
    if (iequals(name, "host") || iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
    if (out.body_dropped && (iequals(name, "content-type") || iequals(name, "content-encoding") ||
                             iequals(name, "content-language") || iequals(name, "content-location"))) {
      continue;
    }
    if (iequals(name, "user-agent")) has_user_agent = true;
    if (iequals(name, "connection") && icontains(value, "close")) *close_requested = true;
    w += name;
    w += ": ";
    w += value;
    w += "\r\n";
  }
  if (!has_user_agent) {
    w += "User-Agent: latchkey/";
    w += lk_version();
    w += "\r\n";
  }
  if (out.source && !out.source->length()) {
    w += "Transfer-Encoding: chunked\r\n";
  } else if (out.source || !out.body.empty() || iequals(out.method, "POST") || iequals(out.method, "PUT") ||
             iequals(out.method, "PATCH")) {
    char len[32];
    std::uint64_t size = out.source ? *out.source->length() : out.body.size();
    int n = std::snprintf(len, sizeof len, "Content-Length: %llu\r\n", static_cast<unsigned long long>(size));
    w.append(len, static_cast<std::size_t>(n));
  }
  w += "\r\n";
  if (!out.source) w += out.body;
}

/// What perform() checks before connecting: the URL, the method and every header. "" if fine.
std::string check_request(const HttpRequest& request, Target* target) {
  std::string why;
  if (!parse_target(request.url, target, &why)) return why;
  if (!is_token(request.method)) return "the request method is not a valid HTTP method name";
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name)) return "a request header name is not a valid HTTP token; check the request's headers";
    if (!is_field_value(value)) {
      // The name is safe to show; the value might be a credential.
      return "the value of the request header " + name + " contains a line break or control character; remove it";
    }
  }
  return {};
}

}  // namespace

struct HttpsClient::Impl {
  Impl() {
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    mbedtls_x509_crt_init(&ca);
    mbedtls_ssl_config_init(&conf);
  }
  ~Impl() {
    for (auto& c : idle) close_politely(*c);
    idle.clear();  // connections point at conf
    mbedtls_ssl_config_free(&conf);
    mbedtls_x509_crt_free(&ca);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
  }

  Status init(const HttpsClientOptions& opts);
  EffectResult perform(const HttpRequest& request, BodySource* source = nullptr, ResponseSink* sink = nullptr);

  /// Binds `ssl` to this client's configuration and the certificate checks for `peer`: 0 or an mbedTLS code.
  int bind(mbedtls_ssl_context* ssl, TlsPeer* peer);
  std::unique_ptr<Connection> take_idle(const Target& t);
  void keep_idle(std::unique_ptr<Connection> c);
  std::unique_ptr<Connection> connect(const Target& t, Clock::time_point request_deadline, std::int64_t timeout_ms,
                                      std::string* error);
  EffectResult run(const HttpRequest& request, Outgoing out);
  Failure send_body(Connection& c, Outgoing& out, std::int64_t timeout_ms, std::string* error);
  Failure exchange(Connection& c, const Target& t, Outgoing& out, Clock::time_point deadline,
                   std::int64_t timeout_ms, std::size_t max_bytes, HttpResponse* response, bool* keep_alive,
                   std::string* error);

  HttpsClientOptions options;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_x509_crt ca;
  mbedtls_ssl_config conf;
  std::vector<std::unique_ptr<Connection>> idle;  // least recently used first
  std::string wire;                               // the request being sent; its capacity is reused
  std::unique_ptr<char[]> chunk{new char[kBodyChunk + 32]};  // body bytes in transit (+ chunk framing)
};

Status HttpsClient::Impl::init(const HttpsClientOptions& opts) {
  options = opts;
  static const unsigned char kPersonalization[] = "latchkey https client";
  int r = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, kPersonalization, sizeof kPersonalization - 1);
  if (r != 0) {
    return make_error(ErrorCode::internal,
                      "could not seed the TLS random generator from the operating system (" + mbedtls_text(r) + ")");
  }

  std::string path = options.ca_file;
  std::string source = "the CA file ";
  if (path.empty()) {
    const char* env = std::getenv("LATCHKEY_CA_FILE");
    if (env != nullptr && *env != '\0') {
      path = env;
      source = "LATCHKEY_CA_FILE names ";
    } else {
      path = kSystemBundle;
      source = "the system CA bundle ";
    }
  }
  r = mbedtls_x509_crt_parse_file(&ca, path.c_str());
  if (r == MBEDTLS_ERR_PK_FILE_IO_ERROR) {
    std::string fix = options.ca_file.empty() && source == "the system CA bundle "
                          ? "; install the ca-certificates package, or pass --ca-file or set LATCHKEY_CA_FILE"
                          : "; check the path";
    return make_error(ErrorCode::invalid_request, "could not read " + source + path + fix);
  }
  if (r < 0 || ca.version == 0) {
    return make_error(ErrorCode::invalid_request,
                      source + path + " holds no certificate that could be read (" +
                          (r < 0 ? mbedtls_text(r) : std::string("empty")) + "); it must be a PEM bundle of CA certificates");
  }

  r = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                  MBEDTLS_SSL_PRESET_DEFAULT);
  if (r != 0) return make_error(ErrorCode::internal, "could not configure TLS (" + mbedtls_text(r) + ")");
  // Verification is not optional: there is deliberately no switch to turn it off.
  mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&conf, &ca, nullptr);
  mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
  // TLS 1.2 only: Debian's 2.28 also enables 1.0/1.1 (deprecated by RFC 8996) and has no
  // production TLS 1.3 client.
  mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_alpn_protocols(&conf, const_cast<const char**>(kAlpn));
  return Ok{};
}

int HttpsClient::Impl::bind(mbedtls_ssl_context* ssl, TlsPeer* peer) {
  int r = mbedtls_ssl_setup(ssl, &conf);
  if (r != 0) return r;
  // SNI and name verification for host names. IP literals get neither from mbedTLS (SNI must
  // not carry an address, RFC 6066 §3); verify_callback matches their iPAddress SANs instead.
  // Passing NULL explicitly also satisfies later 2.28.x releases, which refuse a handshake
  // whose hostname was never set.
  r = mbedtls_ssl_set_hostname(ssl, peer->host_is_ip ? nullptr : peer->host.c_str());
  if (r != 0) return r;
  mbedtls_ssl_set_verify(ssl, verify_callback, peer);
  return 0;
}

std::unique_ptr<Connection> HttpsClient::Impl::take_idle(const Target& t) {
  for (std::size_t i = 0; i < idle.size(); ++i) {
    Connection& c = *idle[i];
    if (c.tls != t.tls || c.port != t.port || !iequals(c.host, t.host)) continue;
    std::unique_ptr<Connection> found = std::move(idle[i]);
    idle.erase(idle.begin() + static_cast<std::ptrdiff_t>(i));
    // An idle connection must have nothing to read. If it is readable the server closed it
    // (EOF) or sent something unasked; either way it cannot carry our request.
    pollfd p{found->fd, POLLIN, 0};
    if (::poll(&p, 1, 0) != 0) return nullptr;
    return found;
  }
  return nullptr;
}

void HttpsClient::Impl::keep_idle(std::unique_ptr<Connection> c) {
  for (auto& slot : idle) {
    if (slot->tls == c->tls && slot->port == c->port && slot->host == c->host) {
      close_politely(*slot);
      slot = std::move(c);  // one idle connection per origin
      return;
    }
  }
  if (idle.size() >= kMaxIdleConnections) {
    close_politely(*idle.front());
    idle.erase(idle.begin());
  }
  idle.push_back(std::move(c));
}

std::unique_ptr<Connection> HttpsClient::Impl::connect(const Target& t, Clock::time_point request_deadline,
                                                       std::int64_t timeout_ms, std::string* error) {
  auto c = std::make_unique<Connection>();
  c->tls = t.tls;
  c->port = t.port;
  c->host.reserve(t.host.size());
  for (char ch : t.host) c->host += lower_ascii(ch);
  std::string where = c->host + ":" + std::to_string(t.port);

  // Connect and TLS handshake share one budget: the client's connect timeout, or what is left of
  // the request's own timeout if that is sooner.
  std::int64_t budget_ms = options.connect_timeout_ms > 0 ? options.connect_timeout_ms : kDefaultTimeoutMs;
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(budget_ms);
  if (request_deadline < deadline) {
    deadline = request_deadline;
    budget_ms = timeout_ms;
  }
  c->deadline = deadline;

  const std::string name = host_name(t.host);
  c->peer = tls_peer(c->host);

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (c->peer.host_is_ip ? AI_NUMERICHOST : 0);
  addrinfo* found = nullptr;
  std::string port_text = std::to_string(t.port);
  // getaddrinfo has no timeout of its own; the system resolver's (resolv.conf) applies.
  int g = ::getaddrinfo(name.c_str(), port_text.c_str(), &hints, &found);
  if (g != 0) {
    *error = "could not resolve " + c->host + " (" + gai_strerror(g) +
             "); check the host name and this computer's network and DNS settings";
    return nullptr;
  }
  int last_error = 0;
  bool skipped_non_loopback = false;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    if (!t.tls && !is_loopback_address(ai->ai_addr)) {
      // Plain http is for loopback only; a name like "localhost" must also resolve there.
      skipped_non_loopback = true;
      continue;
    }
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (r != 0 && errno == EINPROGRESS) {
      int w = wait_fd(fd, POLLOUT, deadline);
      if (w == 0) {
        ::close(fd);
        last_error = ETIMEDOUT;
        break;  // the budget is spent
      }
      int so_error = 0;
      socklen_t len = sizeof so_error;
      if (w < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) so_error = errno;
      if (so_error == 0) r = 0;
      errno = so_error;
    }
    if (r != 0) {
      last_error = errno;
      ::close(fd);
      continue;
    }
    c->fd = fd;
    break;
  }
  ::freeaddrinfo(found);
  if (c->fd < 0) {
    if (skipped_non_loopback && last_error == 0) {
      *error = c->host + " does not resolve to a loopback address, and plain http:// is allowed only to " +
               "localhost, 127.0.0.0/8 and [::1]; use https://";
    } else if (last_error == ETIMEDOUT) {
      *error = "could not connect to " + where + " within " + duration_text(budget_ms) +
               "; check that the server is reachable from this network, or raise the timeout";
    } else {
      *error = "could not connect to " + where + " (" + errno_text(last_error ? last_error : ECONNREFUSED) +
               "); check that the server is running and that the host and port are right";
    }
    return nullptr;
  }
  int one = 1;
  ::setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // requests go out in one write anyway
  if (!t.tls) return c;

  int r = bind(&c->ssl, &c->peer);
  if (r != 0) {
    *error = "could not start TLS with " + where + " (" + mbedtls_text(r) + ")";
    return nullptr;
  }
  mbedtls_ssl_set_bio(&c->ssl, c.get(), bio_send, bio_recv, nullptr);
  do {
    r = mbedtls_ssl_handshake(&c->ssl);
  } while (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
  if (r == 0) return c;

  if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    *error = verify_failure_text(c->peer, mbedtls_ssl_get_verify_result(&c->ssl));
  } else if (r == MBEDTLS_ERR_SSL_TIMEOUT) {
    *error = where + " did not complete the TLS handshake within " + duration_text(budget_ms) +
             "; check that it serves https on this port, or raise the timeout";
  } else if (r == MBEDTLS_ERR_SSL_CONN_EOF || r == MBEDTLS_ERR_NET_CONN_RESET ||
             r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
    *error = where + " closed the connection during the TLS handshake; check that it serves https on this port";
  } else if (r == MBEDTLS_ERR_SSL_INVALID_RECORD || r == MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO ||
             r == MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION) {
    *error = where + " did not answer with TLS 1.2 (" + mbedtls_text(r) +
             "); check that the URL's scheme and port are right (is it a plain http:// server?)";
  } else if (r == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
    *error = where + " refused the TLS handshake (it sent a fatal alert); the server may require TLS 1.3 or a "
                     "client certificate, which this client does not offer";
  } else {
    *error = "the TLS handshake with " + where + " failed (" + mbedtls_text(r) + ")";
  }
  return nullptr;
}

// Pulls the streamed body from out.source and sends it, chunked when its length is unknown. The
// deadline moves with progress: a long upload that keeps moving is not cut off.
Failure HttpsClient::Impl::send_body(Connection& c, Outgoing& out, std::int64_t timeout_ms, std::string* error) {
  const bool chunked = !out.source->length();
  std::uint64_t sent = 0;
  for (;;) {
    char* data = chunk.get() + 16;  // room in front for a chunk-size line
    long n = out.source->read(data, kBodyChunk);
    if (n < 0) {
      *error = "the request body could not be read from the caller";
      return Failure::failed;
    }
    out.source_started = true;
    if (!chunked && n == 0 && sent != *out.source->length()) {
      *error = "the request body ended before its Content-Length";
      return Failure::failed;
    }
    const char* begin = data;
    std::size_t len = static_cast<std::size_t>(n);
    if (chunked) {
      char size[18];
      int k = std::snprintf(size, sizeof size, "%lx\r\n", static_cast<unsigned long>(n));
      begin = data - k;
      std::memcpy(const_cast<char*>(begin), size, static_cast<std::size_t>(k));
      len += static_cast<std::size_t>(k);
      std::memcpy(data + n, "\r\n", 2);
      len += 2;
    }
    c.deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    int r = conn_write_all(c, begin, len);
    if (r == MBEDTLS_ERR_SSL_TIMEOUT) {
      *error = c.host + " stopped accepting the request body for " + duration_text(timeout_ms) + "; try again later";
      return Failure::failed;
    }
    if (r != 0) {
      *error = c.host + " closed the connection while the request body was being sent; try again";
      return Failure::failed;
    }
    sent += static_cast<std::uint64_t>(n);
    if (n == 0) return Failure::none;
  }
}

Failure HttpsClient::Impl::exchange(Connection& c, const Target& t, Outgoing& out, Clock::time_point deadline,
                                    std::int64_t timeout_ms, std::size_t max_bytes, HttpResponse* response,
                                    bool* keep_alive, std::string* error) {
  c.deadline = deadline;
  c.start = c.end = 0;

  // The request head, by hand: it is a handful of lines, and this keeps it in one reused buffer.
  std::string& w = wire;
  w.clear();
  bool close_requested = false;
  write_request(w, t, out, &close_requested);

  int r = conn_write_all(c, w.data(), w.size());
  if (r == MBEDTLS_ERR_SSL_TIMEOUT) {
    *error = c.host + " did not accept the request within " + duration_text(timeout_ms) +
             "; try again later, or raise the timeout";
    return Failure::failed;
  }
  if (r != 0) {
    *error = c.host + " closed the connection before the request was sent (" +
             (c.last_errno ? errno_text(c.last_errno) : mbedtls_text(r)) + "); try again";
    return Failure::closed_early;
  }
  if (out.source) {
    Failure f = send_body(c, out, timeout_ms, error);
    if (f != Failure::none) return f;
  }

  bool any_byte = false;
  const bool streaming = out.sink != nullptr;
  char* const scratch = chunk.get();
  for (int interim = 0;; ++interim) {
    // buffer_body: the parser hands body bytes over kBodyChunk at a time, to the response or the sink.
    http::response_parser<http::buffer_body> parser;
    if (streaming) {
      parser.body_limit(boost::none);
    } else {
      parser.body_limit(static_cast<std::uint64_t>(max_bytes));
    }
    parser.eager(true);
    if (iequals(out.method, "HEAD")) parser.skip(true);  // a HEAD response has no body, whatever it says
    response->body.clear();
    bool head_delivered = false;
    ResponseSink::Take take = ResponseSink::Take::stream;

    // Beast 1.81 checks header_limit against each put()'s window only, and parse_fields()
    // consumes whole fields as they arrive: a header trickling in over several reads would never
    // hit the limit. So the limit handed to Beast is what is left of our own running budget.
    std::size_t header_consumed = 0;
    for (;;) {
      if (c.end > c.start) {
        boost::system::error_code ec;
        const bool in_header = !parser.is_header_done();
        if (in_header) parser.header_limit(static_cast<std::uint32_t>(kResponseHeaderLimit - header_consumed));
        parser.get().body().data = scratch;
        parser.get().body().size = kBodyChunk;
        std::size_t used = parser.put(boost::asio::const_buffer(c.buf.get() + c.start, c.end - c.start), ec);
        c.start += used;
        if (in_header && !parser.is_header_done()) {
          header_consumed += used;
          if (header_consumed >= kResponseHeaderLimit) ec = http::error::header_limit;
        }
        if (parser.is_header_done() && !head_delivered) {
          const int status = parser.get().result_int();
          if (status >= 200 || status == 101 || interim >= kMaxInterimResponses) {
            head_delivered = true;
            if (streaming && status != 101) {
              HttpResponse head;
              head.status = status;
              for (const auto& field : parser.get()) {
                head.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
              }
              take = out.sink->head(head);
            }
          }
        }
        const std::size_t produced = kBodyChunk - parser.get().body().size;
        if (produced > 0) {
          if (!streaming) {
            response->body.append(scratch, produced);
          } else if (take == ResponseSink::Take::stream && !out.sink->data(scratch, produced)) {
            *error = "the receiver of the response from " + c.host + " went away";
            *keep_alive = false;
            return Failure::failed;
          }
          if (streaming) c.deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
        }
        if (ec == http::error::need_more || ec == http::error::need_buffer) {
          ec = {};
        } else if (ec == http::error::body_limit) {
          *error = "the response from " + c.host + " is larger than " + std::to_string(max_bytes) +
                   " bytes, the limit for this request; check that the URL names the right endpoint";
          return Failure::failed;
        } else if (ec == http::error::header_limit) {
          *error = "the response headers from " + c.host + " are larger than " + std::to_string(kResponseHeaderLimit) +
                   " bytes; check that the URL names the right endpoint";
          return Failure::failed;
        } else if (ec) {
          *error = c.host + " sent a response that is not valid HTTP/1.1 (" + ec.message() +
                   "); check that the URL's scheme and port are right";
          return Failure::failed;
        }
        if (parser.is_done()) break;
      }
      // The parser wants more: make room, then read.
      if (c.start == c.end) {
        c.start = c.end = 0;
      } else if (c.end == kReadBufferSize) {
        if (c.start == 0) {
          // The header cannot get here (its limit is below the buffer size): a chunk-size line
          // (with extensions) longer than the whole buffer.
          *error = c.host + " sent a chunk header longer than " + std::to_string(kReadBufferSize) +
                   " bytes; check that the URL names the right endpoint";
          return Failure::failed;
        }
        std::memmove(c.buf.get(), c.buf.get() + c.start, c.end - c.start);
        c.end -= c.start;
        c.start = 0;
      }
      if (streaming && head_delivered && !out.sink->flush()) {
        *error = "the receiver of the response from " + c.host + " went away";
        *keep_alive = false;
        return Failure::failed;
      }
      int n = conn_read(c, c.buf.get() + c.end, kReadBufferSize - c.end);
      if (n > 0) {
        any_byte = true;
        c.end += static_cast<std::size_t>(n);
        continue;
      }
      if (n == MBEDTLS_ERR_SSL_TIMEOUT) {
        *error = c.host + " did not answer within " + duration_text(timeout_ms) +
                 "; try again later, or raise the timeout if the server is slow";
        return Failure::failed;
      }
      if (!any_byte && (n == 0 || n == MBEDTLS_ERR_NET_CONN_RESET)) {
        *error = c.host + " closed the connection without answering; try again later";
        return Failure::closed_early;
      }
      if (n == 0) {
        // A body delimited by the end of the connection (no length, not chunked) ends here.
        boost::system::error_code ec;
        parser.put_eof(ec);
        if (!ec && parser.is_done()) {
          *keep_alive = false;
          break;
        }
        *error = c.host + " closed the connection in the middle of its answer; try again";
        return Failure::failed;
      }
      *error = c.host + " broke off the connection in the middle of its answer (" +
               (c.last_errno && n != MBEDTLS_ERR_NET_CONN_RESET ? errno_text(c.last_errno) : mbedtls_text(n)) +
               "); try again";
      return Failure::failed;
    }

    auto& msg = parser.get();
    int status = msg.result_int();
    // 1xx answers (103 Early Hints, a 100 Continue we did not ask for) precede the real one.
    if (status >= 100 && status < 200 && status != 101 && interim < kMaxInterimResponses) continue;
    if (status == 101) {
      *error = c.host + " switched protocols (101), which a token or API request never asks for";
      return Failure::failed;
    }
    response->status = status;
    response->headers.clear();
    response->headers.reserve(static_cast<std::size_t>(std::distance(msg.begin(), msg.end())));
    for (const auto& field : msg) {
      response->headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    bool clean = c.start == c.end && (!c.tls || mbedtls_ssl_get_bytes_avail(&c.ssl) == 0);
    *keep_alive = *keep_alive && msg.keep_alive() && !close_requested && clean;
    return Failure::none;
  }
}

EffectResult HttpsClient::Impl::perform(const HttpRequest& request, BodySource* source, ResponseSink* sink) {
  EffectResult result;
  Target target;
  result.transport_error = check_request(request, &target);
  if (!result.transport_error.empty()) return result;

  Outgoing out{request.method, &request.headers, request.body};
  out.source = source;
  out.sink = sink;
  return run(request, out);
}

EffectResult HttpsClient::Impl::run(const HttpRequest& request, Outgoing out) {
  EffectResult result;
  std::string why;
  Target target;
  parse_target(request.url, &target, &why);  // checked by perform()
  const std::int64_t timeout_ms = request.timeout_ms > 0 ? request.timeout_ms : kDefaultTimeoutMs;
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  const bool follow = request.follow_redirects && out.sink == nullptr;
  std::string redirected_url;  // storage for target's views after a redirect

  for (int hop = 0;; ++hop) {
    if (!target.tls && !is_loopback_name(target.host)) {
      result.transport_error = "plain http:// is allowed only to localhost, 127.0.0.0/8 and [::1]; use https://" +
                               std::string(target.host) + " instead";
      return result;
    }

    HttpResponse response;
    Failure failure = Failure::failed;
    std::string error;
    std::unique_ptr<Connection> c = take_idle(target);
    bool reused = c != nullptr;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!c) {
        c = connect(target, deadline, timeout_ms, &error);
        if (!c) {
          failure = Failure::failed;
          break;
        }
      }
      bool keep_alive = true;
      error.clear();
      failure = exchange(*c, target, out, deadline, timeout_ms, request.max_response_bytes, &response, &keep_alive,
                         &error);
      if (failure == Failure::none) {
        if (keep_alive) keep_idle(std::move(c));
        break;
      }
      c.reset();
      // A kept-alive connection the server closed while it sat idle fails before any byte of
      // an answer. RFC 9112 §9.3.1 allows retrying then; like browsers and curl we do it once,
      // for any method, on a fresh connection (see the header for the caveat).
      if (!(failure == Failure::closed_early && reused && attempt == 0 && !out.source_started)) break;
      reused = false;
    }
    if (failure != Failure::none) {
      result.transport_error = std::move(error);
      return result;
    }

    const int status = response.status;
    const bool redirect = status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    const std::string* location = nullptr;
    if (redirect && follow) {
      for (const auto& [name, value] : response.headers) {
        if (iequals(name, "location")) {
          location = &value;
          break;
        }
      }
    }
    if (location == nullptr) {
      result.response = std::move(response);
      return result;
    }
    std::string next_url = resolve_location(target, *location);
    Target next;
    if (!parse_target(next_url, &next, &why) || !same_origin(target, next)) {
      // Only same-origin redirects are followed: headers such as Authorization must never
      // travel to a host the caller did not name. The 3xx goes back to the caller as it is.
      result.response = std::move(response);
      return result;
    }
    if (hop == kMaxRedirects) {
      result.transport_error = std::string(target.host) + " redirected more than " + std::to_string(kMaxRedirects) +
                               " times (a redirect loop?); check the URL";
      return result;
    }
    // Fetch semantics (WHATWG Fetch §4.4): 303 makes any method but HEAD a GET; 301 and 302
    // turn a POST into a GET; 307 and 308 keep method and body.
    if ((status == 303 && !iequals(out.method, "HEAD")) ||
        ((status == 301 || status == 302) && iequals(out.method, "POST"))) {
      out.method = "GET";
      out.body = std::string_view();
      out.body_dropped = true;
    }
    redirected_url = std::move(next_url);
    parse_target(redirected_url, &target, &why);  // parsed above; re-point the views
  }
}

HttpsClient::HttpsClient() : impl_(std::make_unique<Impl>()) {}
HttpsClient::~HttpsClient() = default;

Result<std::unique_ptr<HttpsClient>> HttpsClient::create(HttpsClientOptions options) {
  std::unique_ptr<HttpsClient> client(new HttpsClient());
  Status s = client->impl_->init(options);
  if (!s) return s.error();
  return Result<std::unique_ptr<HttpsClient>>(std::move(client));
}

EffectResult HttpsClient::perform(const HttpRequest& request) { return impl_->perform(request); }

EffectResult HttpsClient::stream(const HttpRequest& request, BodySource* body, ResponseSink& sink) {
  return impl_->perform(request, body, &sink);
}

std::string duration_text(std::int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + " ms";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  std::string s = std::to_string(ms / 100);  // tenths of a second
  s.insert(s.size() - 1, ".");
  return s + " s";
}

Result<WireRequest> wire_request(const HttpRequest& request) {
  Target target;
  std::string why = check_request(request, &target);
  if (!why.empty()) return make_error(ErrorCode::invalid_request, why);
  WireRequest wire;
  Outgoing out{request.method, &request.headers, request.body};
  write_request(wire.bytes, target, out, &wire.close_requested);
  wire.tls = target.tls;
  wire.host = host_name(target.host);
  wire.port = target.port;
  return wire;
}

TlsPeer tls_peer(const std::string& host) {
  TlsPeer peer;
  for (char ch : host) peer.host += lower_ascii(ch);
  const std::string name = host_name(host);
  // A host name never contains ':' (parse_target allows letters, digits, '-', '.' and '_'), so
  // anything inet_pton takes for IPv6 is an address, bracketed or not.
  if (inet_pton(AF_INET, name.c_str(), peer.ip) == 1) {
    peer.host_is_ip = true;
    peer.ip_len = 4;
  } else if (inet_pton(AF_INET6, name.c_str(), peer.ip) == 1) {
    peer.host_is_ip = true;
    peer.ip_len = 16;
  }
  return peer;
}

Status HttpsClient::bind_tls(mbedtls_ssl_context* ssl, TlsPeer* peer) {
  if (int r = impl_->bind(ssl, peer); r != 0) {
    return make_error(ErrorCode::internal, "could not start TLS with " + peer->host + " (" + mbedtls_text(r) + ")");
  }
  return Ok{};
}

}  // namespace latchkey::native
