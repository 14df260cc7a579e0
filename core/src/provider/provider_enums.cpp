// The public spellings of the provider enums (provider.hpp), from provider_enums.hpp's tables.
#include "provider_enums.hpp"

namespace latchkey {

using detail::enum_name;

const char* to_string(AuthMode m) { return enum_name(detail::kAuthModes, m); }
const char* to_string(PkceSupport p) { return enum_name(detail::kPkce, p); }
const char* to_string(ClientAuthMethod m) { return enum_name(detail::kClientAuth, m); }
const char* to_string(BodyFormat f) { return enum_name(detail::kBodyFormats, f); }
const char* to_string(SignatureMethod m) { return enum_name(detail::kSignatureMethods, m); }
const char* to_string(RevocationStyle s) { return enum_name(detail::kRevocationStyles, s); }

Result<ClientAuthMethod> client_auth_method_from(const std::string& name) {
  for (const auto& e : detail::kClientAuth) {
    if (name == e.name) return e.value;
  }
  return make_error(ErrorCode::invalid_request,
                    "token_endpoint_auth_method must be " + detail::enum_choices(detail::kClientAuth));
}

}  // namespace latchkey
