// Custom provider definitions (provider.hpp): provider_from_json on any JSON text, and what
// a valid definition must survive — serialising and reading back, re-validation, template
// resolution and the injection host check.
// Input: the provider definition (catalog schema), as a caller would POST it.
#include <map>
#include <string>

#include "fuzz_target.hpp"
#include "latchkey/provider.hpp"

namespace latchkey::fuzz {

void provider_json(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto provider = provider_from_json(text);
  if (!provider) {
    check_error(provider.error());
    return;
  }
  check(!provider->key.empty(), "a provider without a key");
  check(validate_provider(*provider).ok(), "provider_from_json accepted what validate_provider refuses");
  std::string json = provider_to_json(*provider);
  auto again = provider_from_json(json);
  check(again.ok(), "provider_to_json wrote a definition provider_from_json refuses");
  check(provider_to_json(*again) == json, "a provider changed on its way through JSON and back");

  auto resolved = resolve_provider(*provider, {});
  if (!resolved) {
    check_error(resolved.error());
  } else {
    for (const auto& p : provider->template_params) {
      const std::string var = "{" + p.name + "}";
      for (const std::string* field : {&resolved->authorization_endpoint, &resolved->token_endpoint,
                                       &resolved->api_base_url, &resolved->revocation_endpoint}) {
        check(field->find(var) == std::string::npos, "resolve_provider left a template variable in an endpoint");
      }
    }
    (void)origin_allowed(resolved->injection, "https://api.example.com/x");
  }
  std::map<std::string, std::string> values;
  for (const auto& p : provider->template_params) values[p.name] = "x";
  auto checked = check_template_values(*provider, values);
  if (!checked) check_error(checked.error());
}

}  // namespace latchkey::fuzz

LATCHKEY_FUZZ_ENTRY(provider_json)
