// parse_token_response (token_set.hpp) on any answer a token endpoint could send.
// Input: status, Content-Type, rules.root, rules.keep (comma-separated), "ms" for
// expires_in_milliseconds, the requested scope — one per line — then the body.
#include <cstdlib>
#include <string>

#include "fuzz_target.hpp"
#include "latchkey/token_set.hpp"

namespace latchkey::fuzz {

namespace {
/// Rules come from a validated provider definition, never from the endpoint: keep them to the
/// names a definition may hold (characters and length), so a message quoting them is not blamed
/// on the parser.
std::string name_chars(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, kMaxTokenResponseName)) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.') out += c;
  }
  return out;
}
}  // namespace

void token_response(const std::uint8_t* data, std::size_t size) {
  auto in = split_lines<6>(data, size);
  TokenHttpResponse response;
  response.status = std::atoi(std::string(in.field[0].substr(0, 4)).c_str());
  response.content_type = std::string(in.field[1]);
  response.body = std::string(in.rest);
  TokenResponseRules rules;
  rules.root = name_chars(in.field[2]);
  std::string_view keep = in.field[3];
  while (!keep.empty()) {
    auto comma = keep.find(',');
    std::string name = name_chars(keep.substr(0, comma));
    if (!name.empty()) rules.keep.push_back(name);
    keep = comma == std::string_view::npos ? std::string_view() : keep.substr(comma + 1);
  }
  rules.expires_in_milliseconds = in.field[4] == "ms";
  const std::int64_t now_ms = 1700000000000;
  auto parsed = parse_token_response(response, rules, now_ms, std::string(in.field[5]));
  if (!parsed) {
    check_error(parsed.error());
    return;
  }
  const TokenSet& t = *parsed;
  check(!t.access_token.empty(), "a token set without an access token");
  check(!t.token_type.empty(), "a token set without a token type");
  check(t.expires_at_ms == 0 || t.expires_at_ms >= now_ms, "a token that expired before it was issued");
  check(response.status >= 200 && response.status < 300, "success from a status that is not 2xx");
}

}  // namespace latchkey::fuzz

LATCHKEY_FUZZ_ENTRY(token_response)
