// Usage errors of the latchkey and latchkeyd command lines — an unknown verb or option, a missing
// value, a bad choice, an extra argument — said in one sentence that names the mistake and, when
// one is close, what was probably meant.
// CLI11 finds them; these turn its exceptions into that sentence (and exit code 1, not its 105–114).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace latchkey::native {

/// A validator accepting exactly one of `choices` (compared exactly); a value that is not one
/// fails with "'VALUE' is not one of A, B; did you mean 'A'?" (without the question when nothing
/// is close), which CLI11 prefixes with the option's name.
CLI::Validator one_of(std::vector<std::string> choices);

/// The sentence for the parse error `error` that `app.parse` threw: the unknown command or option
/// with the closest valid one of the (sub)command it was given to, the option that needs a value,
/// the missing argument, the extra one, or CLI11's own words for the rest (a bad choice already
/// names the closest through one_of). Call only for errors whose get_exit_code() is not 0
/// (--help and --version are not errors). Never fails.
std::string usage_message(const CLI::App& app, const CLI::ParseError& error);

}  // namespace latchkey::native
