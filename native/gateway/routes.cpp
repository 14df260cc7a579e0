#include "routes.hpp"

namespace latchkey::gateway {
namespace {

using Captures = std::vector<std::pair<std::string, std::string>>;

/// The pattern's segment at `*pos` (just past a '/'), advancing `*pos` past it; false at the end.
bool next_part(std::string_view pattern, std::size_t* pos, std::string_view* part) {
  if (*pos > pattern.size()) return false;
  const auto slash = pattern.find('/', *pos);
  *part = pattern.substr(*pos, slash == std::string_view::npos ? std::string_view::npos : slash - *pos);
  *pos = slash == std::string_view::npos ? pattern.size() + 1 : slash + 1;
  return true;
}

bool is_capture(std::string_view part) { return part.size() >= 2 && part.front() == '{' && part.back() == '}'; }

/// Walks the pattern in place (no copies: this runs for every request).
bool pattern_matches(std::string_view pattern, const std::vector<std::string>& segments, Captures* captures) {
  captures->clear();
  std::size_t pos = 1, i = 0;
  std::string_view part;
  while (next_part(pattern, &pos, &part)) {
    if (part == "*") return true;
    if (i >= segments.size()) return false;
    if (is_capture(part)) {
      captures->emplace_back(std::string(part.substr(1, part.size() - 2)), segments[i]);
    } else if (part != segments[i]) {
      return false;
    }
    ++i;
  }
  return i == segments.size();
}

std::string_view first_part(std::string_view pattern) {
  std::size_t pos = 1;
  std::string_view part;
  return next_part(pattern, &pos, &part) ? part : std::string_view();
}

/// Whether `first` begins the pattern of a route other than a "*" one (such paths are the
/// API's), and of one that needs a key when `keyed_only`.
bool reserved_prefix(const std::vector<Route>& table, const std::string& first, bool keyed_only = false) {
  for (const Route& r : table) {
    if (keyed_only && r.role == Role::none) continue;
    std::string_view p = first_part(r.pattern);
    if (p != "*" && !is_capture(p) && p == first) return true;
  }
  return false;
}

bool path_matches(const std::vector<Route>& table, const Route& r, const std::vector<std::string>& segments,
                  Captures* captures) {
  if (first_part(r.pattern) == "*" && !segments.empty() && reserved_prefix(table, segments[0])) return false;
  return pattern_matches(r.pattern, segments, captures);
}

const char* role_name(Role role) {
  switch (role) {
    case Role::none: return "no key";
    case Role::key: return "any key";
    case Role::admin: return "admin key";
  }
  return "";
}

}  // namespace

const std::string& RouteMatch::capture(std::string_view name) const {
  static const std::string kNone;
  for (const auto& [n, v] : captures) {
    if (n == name) return v;
  }
  return kNone;
}

RouteMatch match_route(const std::vector<Route>& table, const ApiConfig& config, const std::string& method,
                       const std::vector<std::string>& segments) {
  RouteMatch m;
  Captures captures;
  std::vector<std::string_view> methods;
  for (const Route& r : table) {
    if (r.enabled && !r.enabled(config)) continue;
    if (!path_matches(table, r, segments, &captures)) continue;
    if (!m.path_route) m.path_route = &r;
    if (std::string_view(r.method) == "*" || method == r.method) {
      m.route = &r;
      m.keyed = r.role != Role::none;
      m.captures = std::move(captures);
      return m;
    }
    bool seen = false;
    for (auto x : methods) seen = seen || x == r.method;
    if (!seen) methods.emplace_back(r.method);
  }
  for (auto x : methods) m.allow += (m.allow.empty() ? "" : ", ") + std::string(x);
  m.keyed = m.path_route ? m.path_route->role != Role::none
                         : !segments.empty() && reserved_prefix(table, segments[0], true);
  return m;
}

std::string describe_routes(const std::vector<Route>& table) {
  std::string out;
  for (const Route& r : table) {
    std::string head = std::string(std::string_view(r.method) == "*" ? "ANY" : r.method);
    head.resize(7, ' ');
    head += r.pattern;
    head += "  (";
    head += role_name(r.role);
    if (r.host_checked) head += "; 421 unless the Host header names the gateway";
    head += ")\n";
    out += head;
    std::string_view doc = r.doc;
    while (!doc.empty()) {
      const auto nl = doc.find('\n');
      out += "    ";
      out += doc.substr(0, nl);
      out += '\n';
      doc = nl == std::string_view::npos ? std::string_view() : doc.substr(nl + 1);
    }
  }
  return out;
}

}  // namespace latchkey::gateway
