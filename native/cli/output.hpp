// How the CLI talks back: JSON on stdout for --json, one clear sentence on stderr for errors,
// and exit codes scripts can rely on.
#pragma once

#include <string>
#include <string_view>

#include "latchkey/engine.hpp"
#include "latchkey/json.hpp"
#include "latchkey/ping.hpp"

namespace latchkey::cli {

/// Exit codes (documented in `latchkey --help` and README).
enum Exit : int {
  kOk = 0,
  kUserError = 1,      ///< bad input, unknown provider/connection, local store or key problem
  kProviderError = 2,  ///< the provider or the network failed (transport, HTTP error, bad response)
  kNeedsReauth = 3,    ///< the connection must be authorized again (`latchkey connect`)
};

int exit_code_for(ErrorCode code);

/// Prints the error as one sentence on stderr (and {"error": ...} on stdout with --json); returns
/// its exit code.
int report(const Error& error, bool json);

/// Text for a terminal, as the core cleans provider text (clean_text, without a cap): no
/// C0/C1 controls (tab and line breaks become spaces), no bidi overrides, valid UTF-8 only. Every
/// provider-derived field the CLI prints (names, accounts, scopes, messages, URLs) goes through
/// it: an ESC from a hostile provider must not rewrite the user's screen.
std::string term(std::string_view text);

/// Prints `value` as one line of JSON; C1 controls and bidi/line separators in its strings are
/// written as \u escapes (the serializer escapes C0 already), so the JSON means the same and a
/// terminal shows it as text.
void print_json(const JsonValue& value);

// Results, printed the same whether the engine ran here or in the gateway (managed mode).
/// A connection's JSON form (json_form) with "scopes": the granted scope string as a list.
JsonValue connection_json(const ConnectionInfo& c);
void print_connection(const ConnectionInfo& c, bool json);  ///< connect's answer
/// `status`: one block of lines per connection (a blank line between), or a JSON array.
void print_statuses(const std::vector<ConnectionInfo>& list, bool json);
void print_connections(const std::vector<ConnectionInfo>& list, bool json);
void print_token(const AccessToken& t, bool json);
void print_disconnect(const std::string& provider, const DisconnectResult& r, bool revoke, bool json);
/// How `request` prints its answer.
struct RequestOutput {
  bool include = false;  ///< -i: the status line and headers, then the body
  bool head = false;     ///< -I: the status line and headers only (a HEAD request)
  bool silent = false;   ///< -s: no notes on stderr (hints, the status line of an empty error answer)
  bool json = false;     ///< {status, headers, body} instead
  std::string output_file;  ///< -o: the body goes there
};
/// `request`'s output for the answer `r`. Returns the exit code (401 → needs re-auth, other
/// 4xx/5xx → provider error).
int finish_request(const std::string& provider, const HttpResponse& r, const RequestOutput& out);

/// `request -v`: the request line and headers on stderr ("> "), with the value of every header
/// that may carry a credential (Authorization, Proxy-Authorization, Cookie, `token_header`) and
/// of the query parameter `token_param` shown as [hidden]; the body only as its size.
void trace_request(const HttpRequest& r, const std::string& token_header, const std::string& token_param);
/// `request -v`: the answer's status line and headers on stderr ("< "), or its transport error.
void trace_response(const EffectResult& r);

/// `ping`'s output for the answer `r` (or its transport_error) that took `ms`; returns the exit code.
int finish_ping(const EffectResult& r, const PingVerdict& verdict, std::int64_t ms, bool json);

/// "a,b c" → {"a", "b", "c"}
std::vector<std::string> split_list(const std::vector<std::string>& items);
std::string join(const std::vector<std::string>& items, const std::string& sep);
std::string format_time(std::int64_t ms);

}  // namespace latchkey::cli
