#include "api_body.hpp"

#include <algorithm>

namespace latchkey::gateway {

using Array = JsonArray;
using Object = JsonObject;

Result<Object> parse_object(const std::string& body) {
  auto doc = parse_json(body, "request body");
  if (!doc) return make_error(ErrorCode::invalid_request, "the request body is not valid JSON: " + doc.error().message);
  if (!doc->is<Object>()) return make_error(ErrorCode::invalid_request, "the request body must be a JSON object");
  return doc->get<Object>();
}

Result<Object> parse_fields(const std::string& body, std::initializer_list<const char*> allowed, bool optional) {
  if (optional && body.empty()) return Object();
  auto o = parse_object(body);
  if (!o) return o.error();
  for (const auto& [k, v] : *o) {
    if (std::find_if(allowed.begin(), allowed.end(), [&](const char* a) { return k == a; }) == allowed.end()) {
      return make_error(ErrorCode::invalid_request, "unknown field '" + k + "'");
    }
  }
  return o;
}

Result<std::vector<std::string>> string_array(const Object& o, const std::string& name) {
  std::vector<std::string> out;
  if (!o.count(name)) return out;
  const Array* a = json_array(o, name);
  if (!a) return make_error(ErrorCode::invalid_request, name + " must be an array of strings");
  for (const auto& v : *a) {
    if (!v.is<std::string>()) return make_error(ErrorCode::invalid_request, name + " must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<AccountScopes> account_scopes(const Object& o) {
  AccountScopes out;
  if (o.count("account")) {
    const std::string* account = json_string(o, "account");
    if (!account || account->empty()) return make_error(ErrorCode::invalid_request, "account must be a non-empty string");
    out.account = *account;
  }
  auto scopes = string_array(o, "scopes");
  if (!scopes) return scopes.error();
  out.scopes = std::move(*scopes);
  return out;
}

}  // namespace latchkey::gateway
