#include "target.hpp"

namespace latchkey::gateway {

namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool decode_segment(const std::string& s, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return false;
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return !out->empty();
}

bool split_target(const std::string& target, Target* t) {
  if (target.empty() || target[0] != '/') return false;
  auto q = target.find('?');
  std::string path = target.substr(0, q);
  if (q != std::string::npos) t->query = target.substr(q + 1);
  std::size_t at = 1;
  while (at <= path.size()) {
    auto slash = path.find('/', at);
    std::string raw = path.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    if (raw.empty()) {
      if (slash == std::string::npos) break;  // a trailing slash
      return false;
    }
    std::string seg;
    if (!decode_segment(raw, &seg)) return false;
    t->segments.push_back(seg);
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return true;
}

bool query_flag(const std::string& query, const std::string& name) {
  std::size_t at = 0;
  while (at <= query.size()) {
    auto amp = query.find('&', at);
    std::string part = query.substr(at, amp == std::string::npos ? std::string::npos : amp - at);
    if (part == name + "=true" || part == name + "=1" || part == name) return true;
    if (amp == std::string::npos) break;
    at = amp + 1;
  }
  return false;
}

}  // namespace latchkey::gateway
