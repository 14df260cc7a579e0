// How the CLI talks back: JSON on stdout for --json, one clear sentence on stderr for errors,
// and exit codes scripts can rely on.
#pragma once

#include <string>

#include "json.hpp"
#include "latchkey/result.hpp"

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

void print_json(const detail::json::Value& value);

/// "a,b c" → {"a", "b", "c"}
std::vector<std::string> split_list(const std::vector<std::string>& items);
std::string join(const std::vector<std::string>& items, const std::string& sep);
std::string format_time(std::int64_t ms);

}  // namespace latchkey::cli
