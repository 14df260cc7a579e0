// Template variables in a provider definition ({tenant}, {shop}): where they may appear, how
// their values are checked, and their substitution. resolve_provider and check_template_values
// (provider.hpp) are built on these; validate_provider checks the declarations with
// check_templates.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "latchkey/provider.hpp"
#include "latchkey/result.hpp"

namespace latchkey::detail {

/// Lower-case letters, digits and _, starting with a letter, at most 32 (kTemplateNamePattern).
bool valid_template_name(std::string_view name);

/// `s` with every declared {name} replaced by its value (undeclared ones are left as they are).
std::string substitute(std::string_view s, const std::map<std::string, std::string>& values);

/// The declarations against their use: every placeholder declared, every declaration used, names,
/// patterns and defaults valid. Fills `samples` with a stand-in value per name, for checking the
/// shape of templated hosts.
Status check_templates(const Provider& p, std::map<std::string, std::string>* samples);

/// One value of `tp` checked: not empty, not too long, no control characters or braces, its
/// pattern; with `in_url`, no URL structure either (/ ? # @ \ or whitespace). invalid_request
/// naming `what` otherwise.
Status check_template_value(const TemplateParam& tp, const std::string& value, const std::string& what, bool in_url);

/// resolve_provider, except that a learned parameter (template_params.*.from) without a value
/// or default stays declared and unresolved: for the steps of a connect before it is learned,
/// which validation keeps from using it.
Result<Provider> resolve_before_learning(const Provider& provider, const std::map<std::string, std::string>& values);

/// resolve_provider for a provider the core read itself (the catalog, the store: validated and
/// canonicalised by its reader): one without template parameters is not validated again.
Result<Provider> resolve_read(const Provider& provider, const std::map<std::string, std::string>& values);

}  // namespace latchkey::detail
