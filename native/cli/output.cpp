#include "output.hpp"

#include <ctime>
#include <iostream>

#include "authorization.hpp"
#include "results_json.hpp"

namespace latchkey::cli {

int exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::needs_reauth:
    case ErrorCode::invalid_grant:
      return kNeedsReauth;
    case ErrorCode::provider_error:
    case ErrorCode::malformed_response:
    case ErrorCode::transport:
    case ErrorCode::rate_limited:
      return kProviderError;
    default:
      return kUserError;
  }
}

int report(const Error& error, bool json) {
  // The sentence always goes to stderr for people; --json adds the typed error on stdout.
  std::cerr << "latchkey: " << error.message << "\n";
  if (json) {
    detail::json::Object o;
    o["error"] = detail::to_value(error);
    print_json(detail::json::Value(o));
  }
  return exit_code_for(error.code);
}

void print_json(const detail::json::Value& value) { std::cout << value.serialize() << "\n"; }

std::vector<std::string> split_list(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    for (auto& part : detail::split_list(item)) out.push_back(std::move(part));
  }
  return out;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string s;
  for (const auto& x : items) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string format_time(std::int64_t ms) {
  if (ms == 0) return "never";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

}  // namespace latchkey::cli
