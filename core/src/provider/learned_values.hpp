// Template values learned when a connection is made (template_params.*.from): from the token
// endpoint's answer (Salesforce's instance_url), the callback's query (QuickBooks' realmId,
// Zoho's accounts-server) or a metadata request made with the new token (Mailchimp's dc). They
// are stored on the connection with its other template values and resolve the API base URL and
// the injection hosts at request time, so a token goes only to the host the provider named —
// after that host passed the parameter's pattern.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "json.hpp"
#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

enum class LearnSource { token_response, callback, metadata };

/// One alternative of a `from` expression: "token_response.instance_url" is {token_response,
/// "instance_url"} (a dotted path); "callback.realmId" names a query parameter.
struct LearnStep {
  LearnSource source = LearnSource::token_response;
  std::string path;
};

/// Parses "A || B || ...". invalid_request naming `field` when an alternative has no known source
/// or an empty path.
Result<std::vector<LearnStep>> parse_from(std::string_view from, const std::string& field);

/// True if every alternative of `tp.from` is the callback's query: such a value is known before
/// the code is exchanged, so the token endpoint may use it (Zoho's accounts server).
bool learned_from_callback_only(const TemplateParam& tp);

/// What a connect has seen so far; a null source is not yet known.
struct LearnInputs {
  const Params* callback = nullptr;
  const json::Object* token_response = nullptr;
  const json::Object* metadata = nullptr;
};

/// The values of the learned template params whose sources `in` holds: with only `callback`
/// set, those learned_from_callback_only; otherwise all of them. Each value is checked as a
/// template value in a URL (its pattern, no URL structure). Errors (ErrorCode::malformed_response,
/// the message naming the parameter and its source; the connect must then store nothing): a value
/// that fails its check, a URL taken as a host that is not a bare https origin, a callback
/// parameter given twice, or no alternative present and no default.
Result<std::map<std::string, std::string>> learn_values(const Provider& p, const LearnInputs& in);

}  // namespace latchkey::detail
