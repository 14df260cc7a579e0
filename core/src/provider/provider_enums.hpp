// The spellings of the provider schema's enumerations: one table per enum, read by the reader,
// written by the writer and to_string, and exported with the schema (provider_schema.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "latchkey/provider.hpp"

namespace latchkey::detail {

template <class T>
struct EnumName {
  const char* name;
  T value;
};

inline constexpr EnumName<AuthMode> kAuthModes[] = {
    {"oauth2", AuthMode::oauth2}, {"client_credentials", AuthMode::client_credentials}, {"oauth1", AuthMode::oauth1}};
inline constexpr EnumName<PkceSupport> kPkce[] = {
    {"required", PkceSupport::required}, {"supported", PkceSupport::supported}, {"unsupported", PkceSupport::unsupported}};
inline constexpr EnumName<ClientAuthMethod> kClientAuth[] = {
    {"client_secret_basic", ClientAuthMethod::client_secret_basic},
    {"client_secret_post", ClientAuthMethod::client_secret_post},
    {"none", ClientAuthMethod::none},
    {"private_key_jwt", ClientAuthMethod::private_key_jwt},
    {"signed_client_secret", ClientAuthMethod::signed_client_secret}};
inline constexpr EnumName<BodyFormat> kBodyFormats[] = {{"form", BodyFormat::form}, {"json", BodyFormat::json}};
inline constexpr EnumName<SignatureMethod> kSignatureMethods[] = {{"HMAC-SHA1", SignatureMethod::hmac_sha1},
                                                                  {"HMAC-SHA256", SignatureMethod::hmac_sha256},
                                                                  {"RSA-SHA1", SignatureMethod::rsa_sha1},
                                                                  {"PLAINTEXT", SignatureMethod::plaintext}};
inline constexpr EnumName<RevocationStyle> kRevocationStyles[] = {
    {"form", RevocationStyle::form}, {"bearer", RevocationStyle::bearer}, {"json", RevocationStyle::json}};
/// refresh.token / long_lived_exchange.token: whether the access token is what the grant sends.
inline constexpr EnumName<bool> kGrantTokens[] = {{"refresh_token", false}, {"access_token", true}};
/// token_response.expires_in_unit: whether expires_in counts milliseconds.
inline constexpr EnumName<bool> kExpiresUnits[] = {{"seconds", false}, {"milliseconds", true}};

template <class T, std::size_t N>
const char* enum_name(const EnumName<T> (&table)[N], T value) {
  for (const auto& e : table) {
    if (e.value == value) return e.name;
  }
  return "unknown";
}

/// The names in table order.
template <class T, std::size_t N>
std::vector<std::string> enum_names(const EnumName<T> (&table)[N]) {
  std::vector<std::string> out;
  for (const auto& e : table) out.emplace_back(e.name);
  return out;
}

/// "\"a\", \"b\" or \"c\"", for messages.
template <class T, std::size_t N>
std::string enum_choices(const EnumName<T> (&table)[N]) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i) out += i + 1 == N ? " or " : ", ";
    out += std::string("\"") + table[i].name + "\"";
  }
  return out;
}

}  // namespace latchkey::detail
