// latchkey/json.hpp: the core's JSON reader (base/json.cpp), for hosts.
#include "latchkey/json.hpp"

#include "json.hpp"

namespace latchkey {

Result<JsonValue> parse_json(std::string_view text, const char* what) { return detail::json::parse(text, what); }
std::string serialize_json(const JsonValue& v) { return detail::json::serialize(v); }
bool is_utf8(std::string_view s) { return detail::json::is_utf8(s); }
const std::string* json_string(const JsonObject& o, const std::string& key) { return detail::json::get_string(o, key); }
const JsonObject* json_object(const JsonObject& o, const std::string& key) { return detail::json::get_object(o, key); }
const JsonArray* json_array(const JsonObject& o, const std::string& key) { return detail::json::get_array(o, key); }
bool json_bool(const JsonObject& o, const std::string& key, bool* out) { return detail::json::get_bool(o, key, out); }
bool json_int(const JsonObject& o, const std::string& key, std::int64_t* out) {
  return detail::json::get_int(o, key, out);
}

}  // namespace latchkey
