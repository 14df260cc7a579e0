// latchkeyd's routes as one table: method, path pattern, who may call it, its metrics label, its
// handler and its documentation. Routing, the 404 and 405 answers (with Allow) and the
// `latchkeyd routes` listing all come from the table (route_table.cpp); this file holds the
// table's shape and the matcher, which needs no server, store or engine.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api.hpp"

namespace latchkey::gateway {

/// Who may call a route. Every route under /v1, /api/v1 and /oauth-providers needs a key (route_table.cpp's
/// test holds the table to it).
enum class Role {
  none,   ///< No key: the browser's and the operator's routes.
  key,    ///< Any API key (user or admin); the key names the principal.
  admin,  ///< An admin key: 403 forbidden for a user key.
};

struct Call;  // api_handlers.hpp: what a handler gets
using Handler = ApiResponse (*)(const Call&);

struct Route {
  const char* method;  ///< "GET", "HEAD", "POST", "PUT", "DELETE", or "*" for any method.
  /// "/v1/providers/{key}/app": literal segments match exactly (after percent-decoding), "{name}"
  /// captures one segment, and a last "*" matches the rest, zero or more segments. A pattern that
  /// is "*" alone (the web root) never matches a path whose first segment begins another route's
  /// pattern ("/v1/...", "/oauth/...": the API's prefixes are never files).
  const char* pattern;
  Role role;
  const char* label;  ///< The route as metrics and the access log name it ("/v1/connections/{id}").
  /// Role::admin: what a user key is refused, as "<admin_for> needs an admin key".
  const char* admin_for;
  /// 421 unless the Host header names this gateway (host_check.hpp): routes without a key that a
  /// page in a browser could otherwise read through DNS rebinding.
  bool host_checked;
  /// Whether the route exists under `config` (null: always); a route that does not is not matched.
  bool (*enabled)(const ApiConfig& config);
  Handler handler;
  const char* doc;  ///< What the route takes and answers, for `latchkeyd routes`.
};

/// latchkeyd's API: every route it answers, in match order (route_table.cpp).
const std::vector<Route>& api_routes();

/// What the table says of one request.
struct RouteMatch {
  /// The route to run, or null: then `allow` is empty for 404, else 405.
  const Route* route = nullptr;
  /// The first route whose pattern matched the path, whatever the method (a 405's label); null for 404.
  const Route* path_route = nullptr;
  /// 405: the methods the path takes, in table order without repeats ("GET, PUT, DELETE").
  std::string allow;
  /// Whether the path needs a key before anything else is said of it: the route's (or, for a
  /// 405, the path's) role is not none, or, for a 404, the path's first segment begins a route
  /// that needs one ("/v1/...": a caller without a key learns nothing of the routes there).
  bool keyed = false;
  /// The route's {name} captures, decoded; the "*" rest is not captured (the proxy reads the target).
  std::vector<std::pair<std::string, std::string>> captures;

  /// The capture named `name` ("" if the route has none by that name).
  const std::string& capture(std::string_view name) const;
};

/// Matches the decoded path `segments` (split_target) and `method` against `table` under
/// `config`: the first enabled route whose pattern and method both match wins.
RouteMatch match_route(const std::vector<Route>& table, const ApiConfig& config, const std::string& method,
                       const std::vector<std::string>& segments);

/// The table as text, one route a paragraph: "METHOD pattern  role", then its doc indented.
std::string describe_routes(const std::vector<Route>& table);

}  // namespace latchkey::gateway
