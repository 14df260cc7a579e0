#include "args.hpp"

#include "authorization.hpp"

namespace latchkey::detail {

using json::Array;
using json::Object;
using json::Value;

std::string Args::str(const char* key, std::string fallback) {
  auto it = o_.find(key);
  if (it == o_.end() || it->second.is<picojson::null>()) return fallback;
  if (!it->second.is<std::string>()) return wrong(key, "a string"), fallback;
  return it->second.get<std::string>();
}

std::optional<std::string> Args::opt_str(const char* key) {
  auto it = o_.find(key);
  if (it == o_.end() || it->second.is<picojson::null>()) return std::nullopt;
  if (!it->second.is<std::string>()) return wrong(key, "a string"), std::nullopt;
  return it->second.get<std::string>();
}

std::int64_t Args::integer(const char* key, std::int64_t fallback) {
  auto it = o_.find(key);
  if (it == o_.end() || it->second.is<picojson::null>()) return fallback;
  if (!it->second.is<std::int64_t>()) return wrong(key, "a whole number"), fallback;
  return it->second.get<std::int64_t>();
}

bool Args::flag(const char* key) {
  auto it = o_.find(key);
  if (it == o_.end() || it->second.is<picojson::null>()) return false;
  if (!it->second.is<bool>()) return wrong(key, "true or false"), false;
  return it->second.get<bool>();
}

std::vector<std::string> Args::strings(const char* key) {
  std::vector<std::string> out;
  auto it = o_.find(key);
  if (it == o_.end() || it->second.is<picojson::null>()) return out;
  if (it->second.is<std::string>()) return split_list(it->second.get<std::string>());
  if (!it->second.is<Array>()) return wrong(key, "an array of strings"), out;
  for (const auto& v : it->second.get<Array>()) {
    if (!v.is<std::string>()) return wrong(key, "an array of strings"), out;
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> Args::map(const char* key) {
  std::map<std::string, std::string> out;
  auto it = o_.find(key);
  if (it == o_.end() || it->second.is<picojson::null>()) return out;
  if (!it->second.is<Object>()) return wrong(key, "an object of strings"), out;
  for (const auto& [k, v] : it->second.get<Object>()) {
    if (!v.is<std::string>()) return wrong(key, "an object of strings"), out;
    out[k] = v.get<std::string>();
  }
  return out;
}

Params Args::params(const char* key) {
  Params out;
  auto it = o_.find(key);
  if (it == o_.end() || it->second.is<picojson::null>()) return out;
  if (it->second.is<Object>()) {
    for (const auto& [k, v] : it->second.get<Object>()) {
      if (!v.is<std::string>()) return wrong(key, "string values"), out;
      out.emplace_back(k, v.get<std::string>());
    }
    return out;
  }
  if (!it->second.is<Array>()) return wrong(key, "[[name, value], ...]"), out;
  for (const auto& p : it->second.get<Array>()) {
    if (!p.is<Array>() || p.get<Array>().size() != 2 || !p.get<Array>()[0].is<std::string>() ||
        !p.get<Array>()[1].is<std::string>()) {
      return wrong(key, "[[name, value], ...]"), out;
    }
    out.emplace_back(p.get<Array>()[0].get<std::string>(), p.get<Array>()[1].get<std::string>());
  }
  return out;
}

const Value* Args::raw(const char* key) const {
  auto it = o_.find(key);
  return it == o_.end() ? nullptr : &it->second;
}

ConnectionRef Args::ref() {
  ConnectionRef r;
  r.principal = str("principal", "default");
  r.provider = str("provider");
  r.account = str("account");
  return r;
}

void Args::require(const char* key) {
  if (str(key).empty() && problem_.empty()) problem_ = std::string("'") + key + "' is required";
}

void Args::wrong(const char* key, const char* what) {
  if (problem_.empty()) problem_ = std::string("'") + key + "' must be " + what;
}

}  // namespace latchkey::detail
