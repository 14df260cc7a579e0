// The API's JSON request bodies: an object, only the fields a route names, string arrays, and
// the {account?, scopes?} of the grants. Every refusal is invalid_request naming the field.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "latchkey/json.hpp"
#include "latchkey/result.hpp"

namespace latchkey::gateway {

/// The body as a JSON object ("the request body is not valid JSON: ..." / "must be a JSON object").
Result<JsonObject> parse_object(const std::string& body);

/// The body as an object whose fields are all in `allowed` ("unknown field 'x'" otherwise). An
/// empty body is an empty object when `optional`.
Result<JsonObject> parse_fields(const std::string& body, std::initializer_list<const char*> allowed,
                                          bool optional = false);

/// The field `name` as strings (none when absent); "<name> must be an array of strings" otherwise.
Result<std::vector<std::string>> string_array(const JsonObject& o, const std::string& name);

/// The {account?, scopes?} body of connect and device: the account, when named, is non-empty.
struct AccountScopes {
  std::optional<std::string> account;
  std::vector<std::string> scopes;
};
Result<AccountScopes> account_scopes(const JsonObject& o);

}  // namespace latchkey::gateway
