#include "url.hpp"

#include <cctype>

#include "text.hpp"

namespace latchkey::detail {
namespace {

bool is_unreserved(unsigned char c) {
  // ASCII only: std::isalnum consults the locale and costs a call per character.
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error bad_url(std::string_view text, const std::string& why) {
  // The URL may come from a server's metadata: quoted clean, as any untrusted text in a message
  // (no control characters, no bytes that are not UTF-8, not cut inside a character).
  return make_error(ErrorCode::invalid_request, "'" + clean(text, 200) + "' is not a valid URL: " + why);
}

}  // namespace

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

HostPort split_host_port(std::string_view authority) {
  HostPort out;
  out.host = authority;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) {
      out.problem = "an unterminated IPv6 address";
      return out;
    }
    out.host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (after.empty()) return out;
    if (after.front() != ':') {
      out.problem = "text after its IPv6 address";
      return out;
    }
    out.port = after.substr(1);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  }
  return out;
}

int parse_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return 0;
  int p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return 0;
    p = p * 10 + (c - '0');
  }
  return p <= 65535 ? p : 0;
}

std::string parse_url_into(std::string_view text, Url* out) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c >= 0x7f) return "it contains spaces or non-ASCII characters (percent-encode them)";
  }
  auto colon = text.find("://");
  if (colon == std::string_view::npos) return "it must start with https://";
  Url& u = *out;
  u.scheme = lower(text.substr(0, colon));
  if (u.scheme != "https" && u.scheme != "http") return "only http and https URLs are allowed";
  std::string_view rest = text.substr(colon + 3);
  auto end_auth = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end_auth);
  rest = end_auth == std::string_view::npos ? std::string_view() : rest.substr(end_auth);
  if (authority.find('@') != std::string_view::npos) return "credentials in URLs are not allowed";
  HostPort hp = split_host_port(authority);
  if (hp.problem) return std::string("it has ") + hp.problem;
  std::string_view host = hp.host;
  if (host.empty() || host.front() != '[') {
    for (char ch : host) {
      if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '.' || ch == '_' || ch == '{' ||
            ch == '}')) {
        return "the host has characters a host name cannot have";
      }
    }
  }
  if (host.empty()) return "it has no host";
  u.host = lower(host);
  u.port = 0;
  if (!hp.port.empty()) {
    u.port = parse_port(hp.port);
    if (u.port == 0) return "the port is not a number from 1 to 65535";
  }
  u.fragment.clear();
  auto hash = rest.find('#');
  if (hash != std::string_view::npos) {
    u.fragment = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  u.query.clear();
  auto q = rest.find('?');
  if (q != std::string_view::npos) {
    u.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  u.path = std::string(rest);
  return {};
}

Result<Url> parse_url(std::string_view text) {
  Url u;
  std::string why = parse_url_into(text, &u);
  if (!why.empty()) return bad_url(text, why);
  return u;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "[::1]") return true;
  // 127.0.0.0/8 as a dotted quad. Each part must be an octet (0-255): "127.0.0.999" is no
  // address at all, and a resolver would look it up as a name.
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0, digits = 0, octet = 0;
  for (char c : host) {
    if (c == '.') {
      if (digits == 0) return false;
      ++dots;
      digits = 0;
      octet = 0;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      if (++digits > 3) return false;
      octet = octet * 10 + (c - '0');
      if (octet > 255) return false;
    } else {
      return false;
    }
  }
  return dots == 3 && digits > 0;
}

Status check_endpoint(std::string_view url, const char* what) {
  auto u = parse_url(url);
  if (!u) {
    Error e = u.error();
    e.message = std::string(what) + ": " + e.message;
    return e;
  }
  if (u->scheme == "http" && !is_loopback_host(u->host)) {
    return make_error(ErrorCode::invalid_request,
                      std::string(what) + " must use https (plain http is allowed only for localhost/127.0.0.1/[::1])");
  }
  if (!u->fragment.empty()) {
    return make_error(ErrorCode::invalid_request, std::string(what) + " must not have a #fragment");
  }
  return Ok{};
}

namespace {
std::string encode(std::string_view s, bool space_as_plus) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 2 + 8);
  std::size_t run = 0;  // start of the current run of unreserved characters, appended at once
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (is_unreserved(c)) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c == ' ' && space_as_plus) {
      out.push_back('+');
    } else {
      const char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
      out.append(esc, 3);
    }
  }
  out.append(s.data() + run, s.size() - run);
  return out;
}
}  // namespace

std::string percent_encode(std::string_view s) { return encode(s, false); }
std::string form_encode(std::string_view s) { return encode(s, true); }

Result<std::string> form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= s.size()) return make_error(ErrorCode::invalid_request, "truncated %-escape in form data");
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return make_error(ErrorCode::invalid_request, "invalid %-escape in form data");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string encode_form(const Params& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out.push_back('&');
    out += form_encode(k);
    out.push_back('=');
    out += form_encode(v);
  }
  return out;
}

Result<Params> decode_form(std::string_view body) {
  Params out;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto name = form_decode(pair.substr(0, eq));
    if (!name) return name.error();
    auto value = form_decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value) return value.error();
    out.emplace_back(std::move(*name), std::move(*value));
  }
  return out;
}

std::string append_query(const std::string& url, const Params& params) {
  if (params.empty()) return url;
  std::string out = url;
  auto hash = out.find('#');
  std::string fragment;
  if (hash != std::string::npos) {
    fragment = out.substr(hash);
    out.resize(hash);
  }
  out.push_back(out.find('?') == std::string::npos ? '?' : '&');
  if (out.back() == '&' && out[out.size() - 2] == '?') out.pop_back();
  out += encode_form(params);
  return out + fragment;
}

const std::string* find_param(const Params& params, std::string_view name) {
  for (const auto& p : params) {
    if (p.first == name) return &p.second;
  }
  return nullptr;
}

}  // namespace latchkey::detail
