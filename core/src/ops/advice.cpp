#include "latchkey/advice.hpp"

#include <string_view>
#include <vector>

namespace latchkey {
namespace {

/// A CLI command as the messages write it: `latchkey VERB [SUB] [POSITIONAL] [--flag [value]]...`.
struct Command {
  std::string verb;        ///< "connect", "providers delete", "apps upsert", ...
  std::string positional;  ///< the provider key or URL after the verb, if any
  std::vector<std::pair<std::string, std::string>> flags;  ///< in order; value empty for a bare flag

  const std::string* flag(std::string_view name) const {
    for (const auto& [n, v] : flags) {
      if (n == name) return &v;
    }
    return nullptr;
  }
};

bool is_bare_flag(std::string_view f) {
  return f == "--device" || f == "--force" || f == "--client-secret-stdin" || f == "--mcp";
}

Command parse(std::string_view text) {
  std::vector<std::string> words;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find(' ', at);
    if (end == std::string_view::npos) end = text.size();
    if (end > at) words.emplace_back(text.substr(at, end - at));
    at = end + 1;
  }
  Command c;
  std::size_t i = 1;  // words[0] is "latchkey"
  if (i < words.size()) c.verb = words[i++];
  if ((c.verb == "providers" || c.verb == "apps") && i < words.size() && words[i].rfind("--", 0) != 0) {
    c.verb += " " + words[i++];
  }
  if (i < words.size() && words[i].rfind("--", 0) != 0) c.positional = words[i++];
  while (i < words.size()) {
    std::string name = words[i++];
    std::string value;
    if (!is_bare_flag(name) && i < words.size() && words[i].rfind("--", 0) != 0) value = words[i++];
    c.flags.emplace_back(std::move(name), std::move(value));
  }
  return c;
}

/// A value the message names (a provider key, a URL), or the messages' own placeholders
/// (PROVIDER, URL) as the surface writes a thing the caller fills in.
bool placeholder(const std::string& v) {
  return !v.empty() && v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == std::string::npos;
}

std::string js_value(const std::string& v, std::string_view name) {
  if (v.empty() || placeholder(v)) return std::string(name);
  return "'" + v + "'";
}

std::string http_segment(const std::string& v, std::string_view name) {
  if (v.empty() || placeholder(v)) return "{" + std::string(name) + "}";
  return v;
}

/// The app fields a `latchkey apps upsert` names by its flags: {JS member, HTTP member}.
std::vector<std::pair<std::string, std::string>> app_fields(const Command& c) {
  static const std::pair<std::string_view, std::pair<std::string_view, std::string_view>> kFields[] = {
      {"--client-id", {"clientId", "client_id"}},
      {"--client-secret-stdin", {"clientSecret", "client_secret"}},
      {"--client-secret-file", {"clientSecret", "client_secret"}},
      {"--redirect-uri", {"redirectUri", "redirect_uri"}},
      {"--auth-method", {"tokenEndpointAuthMethod", "token_endpoint_auth_method"}},
      {"--key-id", {"keyId", "key_id"}},
  };
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [flag, value] : c.flags) {
    for (const auto& [name, members] : kFields) {
      if (flag != name) continue;
      std::string js(members.first);
      // A value the message gives (an auth method) goes along; a secret or an ID is the caller's.
      if (flag == "--auth-method" && !value.empty() && !placeholder(value)) js += ": '" + value + "'";
      out.emplace_back(std::move(js), std::string(members.second));
    }
  }
  return out;
}

std::string js(const Command& c) {
  const std::string* account = c.flag("--account");
  if (c.verb == "connect") {
    if (c.flag("--device")) return "broker.device(" + js_value(c.positional, "provider") + ")";
    return "broker.authorize(" + js_value(c.positional, "provider") +
           (account ? ", { account: " + js_value(*account, "account") + " }" : "") + ")";
  }
  if (c.verb == "disconnect") return "broker.disconnect(connection)";
  if (c.verb == "token") return "broker.getToken(connection)";
  if (c.verb == "providers list") return "broker.providers.list()";
  if (c.verb == "providers register") return "broker.providers.register(definition)";
  if (c.verb == "providers update") return "broker.providers.update(definition)";
  if (c.verb == "providers delete") {
    return "broker.providers.remove(" + js_value(c.positional, "key") + (c.flag("--force") ? ", { force: true }" : "") +
           ")";
  }
  if (c.verb == "providers discover") {
    const std::string* key = c.flag("--provider-key");
    std::string options = key ? "key: " + js_value(*key, "key") : "";
    if (c.flag("--mcp")) options += std::string(options.empty() ? "" : ", ") + "mcp: true";
    return "broker.providers.discover(" + js_value(c.positional, "url") +
           (options.empty() ? "" : ", { " + options + " }") + ")";
  }
  if (c.verb == "apps upsert") {
    const std::string* provider = c.flag("--provider");
    std::string members = "provider" + (provider && !placeholder(*provider) ? ": '" + *provider + "'" : std::string());
    for (const auto& field : app_fields(c)) members += ", " + field.first;
    return "broker.apps.upsert({ " + members + " })";
  }
  return {};
}

std::string http(const Command& c) {
  if (c.verb == "connect") {
    const std::string base = "POST /v1/providers/" + http_segment(c.positional, "provider");
    if (c.flag("--device")) return base + "/device";
    const std::string* account = c.flag("--account");
    return base + "/authorize" + (account ? " with account=" + *account : "");
  }
  if (c.verb == "disconnect") return "DELETE /v1/connections/{id}";
  if (c.verb == "token") return "GET /v1/connections/{id}/token";
  if (c.verb == "providers list") return "GET /v1/providers";
  if (c.verb == "providers register") return "POST /v1/providers";
  if (c.verb == "providers update") return "PUT /v1/providers/{key}";
  if (c.verb == "providers delete") {
    return "DELETE /v1/providers/" + http_segment(c.positional, "key") + (c.flag("--force") ? "?force=true" : "");
  }
  if (c.verb == "providers discover") {
    const std::string* key = c.flag("--provider-key");
    return "POST /v1/providers/discover with url=" + c.positional + (key ? ", key=" + *key : "") +
           (c.flag("--mcp") ? ", mcp=true" : "");
  }
  if (c.verb == "apps upsert") {
    const std::string* provider = c.flag("--provider");
    std::string out = "PUT /v1/providers/" + http_segment(provider ? *provider : "", "provider") + "/app";
    std::string members;
    for (const auto& field : app_fields(c)) {
      if (members.find(field.second) == std::string::npos) members += (members.empty() ? "" : ", ") + field.second;
    }
    return members.empty() ? out : out + " with " + members;
  }
  return {};
}

}  // namespace

std::string advice_for(const std::string& message, Surface surface) {
  if (surface == Surface::cli) return message;
  std::string out;
  std::size_t at = 0;
  for (;;) {
    const std::size_t open = message.find("`latchkey ", at);
    const std::size_t close = open == std::string::npos ? open : message.find('`', open + 1);
    if (close == std::string::npos) break;
    const std::string_view command = std::string_view(message).substr(open + 1, close - open - 1);
    const Command c = parse(command);
    const std::string said = surface == Surface::js ? js(c) : http(c);
    out.append(message, at, open - at);
    out += said.empty() ? message.substr(open, close + 1 - open) : "`" + said + "`";
    at = close + 1;
  }
  out.append(message, at, std::string::npos);
  return out;
}

}  // namespace latchkey
