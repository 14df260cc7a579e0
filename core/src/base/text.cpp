#include "text.hpp"

#include <cstdio>

#include <cmath>

namespace latchkey::detail {

std::size_t hidden_code_point(std::string_view s, std::size_t i) {
  auto at = [&s](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0; };
  const unsigned c = at(i), b1 = at(i + 1), b2 = at(i + 2);
  if (c == 0xC2 && b1 >= 0x80 && b1 < 0xA0) return 2;                         // U+0080..U+009F
  if (c == 0xE2 && ((b1 == 0x80 && b2 >= 0xA8 && b2 <= 0xAE) ||               // U+2028..U+202E
                    (b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9))) return 3;      // U+2066..U+2069
  return 0;
}

std::string clean(std::string_view s, std::size_t max) {
  std::string out;
  std::size_t i = 0;
  bool truncated = false;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    if (n == 0 || i + n > s.size() || !json::is_utf8(s.substr(i, n))) {
      ++i;  // not UTF-8: drop the byte
      continue;
    }
    if (out.size() + n > max) {
      truncated = true;
      break;
    }
    if (n == 1) {
      if (c == '\t' || c == '\n' || c == '\r') {
        out.push_back(' ');
      } else if (c >= 0x20 && c != 0x7F) {
        out.push_back(static_cast<char>(c));
      }
    } else if (hidden_code_point(s, i) == 0) {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  if (truncated) out += "...";
  return out;
}

bool has_control(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0xA0) return true;
    // A lone continuation byte is not UTF-8; terminals in 8-bit mode read 0x80..0x9F as C1.
    if (c >= 0x80 && c <= 0x9F && (i == 0 || static_cast<unsigned char>(s[i - 1]) < 0x80)) return true;
  }
  return false;
}

bool is_vschar(std::string_view s) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

bool whole_number(const json::Value& v, std::int64_t max, std::int64_t* out) {
  if (v.is<std::int64_t>()) {  // before is<double>(), which is also true for int64 values
    std::int64_t n = v.get<std::int64_t>();
    if (n < 0 || n > max) return false;
    *out = n;
    return true;
  }
  if (v.is<double>()) {  // a true double: picojson keeps only fractions, exponents and out-of-int64 literals so
    double d = v.get<double>();
    if (!std::isfinite(d) || d < 0 || d > static_cast<double>(max) || std::trunc(d) != d) return false;
    *out = static_cast<std::int64_t>(d);
    return true;
  }
  if (v.is<std::string>()) {
    const std::string& s = v.get<std::string>();
    if (s.empty() || s.size() > 18) return false;
    std::int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + (c - '0');
    }
    if (n > max) return false;
    *out = n;
    return true;
  }
  return false;
}

Error http_error(ErrorCode code, int status, std::string message) {
  Error e = make_error(code, std::move(message));
  e.http_status = status;
  return e;
}

std::string http_text(int status) { return "HTTP " + std::to_string(status); }

std::string utc_text(std::int64_t ms, bool iso8601) {
  std::int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  std::int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  const std::int64_t secs = s - days * 86400;
  // civil_from_days (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const std::int64_t millis = ms - s * 1000;
  char buf[96];  // room for any int64 fields, though a date needs 24
  std::snprintf(buf, sizeof buf, iso8601 ? "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ"
                                         : "%04lld-%02lld-%02lld %02lld:%02lld:%02lldZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60), static_cast<long long>(millis));
  return buf;
}

}  // namespace latchkey::detail
