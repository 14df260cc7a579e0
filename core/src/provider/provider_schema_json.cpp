// provider_schema_json(): the schema table (provider_schema.hpp) as a JSON Schema (2020-12)
// document, members in the table's order. Defaults are not written down twice: they are what
// provider_to_json writes for a Provider that sets nothing.
#include <string>
#include <vector>

#include "json.hpp"
#include "latchkey/provider.hpp"
#include "provider_schema.hpp"

namespace latchkey {
namespace {

using detail::JsonType;
using detail::SchemaField;
using detail::json::Object;
using detail::json::Value;

// Ordered JSON text: picojson's objects sort their members, and the export keeps the table's order.
class Members {
 public:
  Members& add(const std::string& name, const std::string& json) {
    text_ += (text_.empty() ? "" : ",") + detail::json::serialize(detail::json::str(name)) + ":" + json;
    return *this;
  }
  Members& add_str(const std::string& name, const std::string& s) { return add(name, detail::json::serialize(detail::json::str(s))); }
  std::string object() const { return "{" + text_ + "}"; }
  bool empty() const { return text_.empty(); }

 private:
  std::string text_;
};

std::string json_text(const Value& v) { return detail::json::serialize(v); }

std::string string_array(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + json_text(detail::json::str(s));
  return "[" + out + "]";
}

/// What provider_to_json writes for a Provider that sets nothing, at `path` (nullptr when it
/// writes nothing there). For the members it writes only for OAuth 1.0a, or inside ping and
/// identity, a provider with those set (and nothing else) stands in.
const Value* written_default(const std::string& path) {
  static const Value plain = *detail::json::parse(provider_to_json(Provider{}), "defaults");
  static const Value more = [] {
    Provider p;
    p.auth_mode = AuthMode::oauth1;
    p.ping = ProbeRequest{};
    p.identity = Identity{};
    p.metadata = ProbeRequest{};
    p.refresh = GrantStyle{};
    p.long_lived_exchange = GrantStyle{};
    p.signed_client_secret = SignedClientSecret{};
    return *detail::json::parse(provider_to_json(p), "defaults");
  }();
  for (const Value* v : {&plain, &more}) {
    std::string_view rest = path;
    while (v) {
      auto dot = rest.find('.');
      if (!v->is<Object>()) {
        v = nullptr;
        break;
      }
      const Object& o = v->get<Object>();
      auto it = o.find(std::string(rest.substr(0, dot)));
      v = it == o.end() ? nullptr : &it->second;
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    if (v) return v;
  }
  return nullptr;
}

std::string describe(const SchemaField& f, const std::string& children);

/// The members under `parent`, as a JSON Schema object's properties/required/additionalProperties.
std::string object_schema(const std::string& parent, Members schema) {
  Members properties;
  std::vector<std::string> required;
  std::string prefix = parent.empty() ? "" : parent + ".";
  for (const auto& name : detail::schema_members(parent)) {
    const SchemaField* f = detail::schema_field(prefix + name);
    properties.add(name, describe(*f, prefix + name));
    if (f->required) required.push_back(name);
  }
  schema.add("properties", properties.object());
  if (!required.empty()) schema.add("required", string_array(required));
  schema.add("additionalProperties", "false");
  return schema.object();
}

std::string describe(const SchemaField& f, const std::string& path) {
  Members m;
  const char* types[] = {"string", "boolean", "integer", "array", "object", "object", "object"};
  std::string type = json_text(detail::json::str(types[static_cast<int>(f.type)]));
  m.add("type", f.nullable ? "[" + type + ",\"null\"]" : type);
  m.add_str("description", f.doc);
  if (!f.values.empty()) {
    std::string list = string_array(f.values);
    m.add("enum", f.nullable ? list.substr(0, list.size() - 1) + ",null]" : list);
  }
  if (!f.pattern.empty()) m.add_str("pattern", f.pattern);
  if (f.max_length) m.add("maxLength", std::to_string(f.max_length));
  if (f.bounded) m.add("minimum", std::to_string(f.minimum)).add("maximum", std::to_string(f.maximum));
  if (f.url) m.add_str("format", "uri");
  if (f.written_when_set) m.add("x-written-when-set", "true");
  if (!f.required) {
    if (const Value* d = path.find('*') == std::string::npos ? written_default(path) : nullptr) {
      // Objects' defaults are their members' own.
      if (!d->is<Object>() || d->get<Object>().empty()) m.add("default", json_text(*d));
    } else if (f.nullable) {
      m.add("default", "null");
    }
  }
  Members items;
  switch (f.type) {
    case JsonType::string_list:
      items.add_str("type", "string");
      if (!f.item_pattern.empty()) items.add_str("pattern", f.item_pattern);
      m.add("items", items.object());
      break;
    case JsonType::string_map:
      if (!f.item_pattern.empty()) m.add("propertyNames", Members().add_str("pattern", f.item_pattern).object());
      m.add("additionalProperties", Members().add_str("type", "string").object());
      break;
    case JsonType::object:
      return object_schema(path, m);
    case JsonType::object_map:
      if (!f.item_pattern.empty()) m.add("propertyNames", Members().add_str("pattern", f.item_pattern).object());
      m.add("additionalProperties", object_schema(path + ".*", Members().add_str("type", "object")));
      break;
    default:
      break;
  }
  return m.object();
}

}  // namespace

std::string provider_schema_json() {
  Members top;
  top.add_str("$schema", "https://json-schema.org/draft/2020-12/schema")
      .add_str("title", "latchkey provider definition")
      .add_str("description",
               "One provider, as `providers register` and POST /v1/providers take it and every read returns it. "
               "Generated from the core's table (core/src/provider/provider_schema.cpp). A member that may be "
               "null may also be \"\" (both mean unset). The core also checks rules across members (see "
               "docs/provider-schema.md) and has the last word.")
      .add_str("type", "object");
  return object_schema("", top);
}

}  // namespace latchkey
