// Learning template values at connect time (learned_values.hpp).
#include "learned_values.hpp"

#include "provider_checks.hpp"
#include "provider_templates.hpp"
#include "url.hpp"

namespace latchkey::detail {
namespace {

constexpr std::string_view kSources[] = {"token_response", "callback", "metadata"};

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

std::string step_text(const LearnStep& step) {
  return std::string(kSources[static_cast<int>(step.source)]) + "." + step.path;
}

/// The raw value an alternative names, or "" when its source lacks it (or is not known yet).
Result<std::string> lookup(const LearnStep& step, const LearnInputs& in, const std::string& what) {
  if (step.source == LearnSource::callback) {
    if (!in.callback) return std::string();
    const std::string* found = nullptr;
    for (const auto& [name, value] : *in.callback) {
      if (name != step.path) continue;
      // A crafted link could add a second value: neither may silently win.
      if (found) return malformed("the callback has more than one '" + clean(step.path, 80) + "' parameter (" + what + ")");
      found = &value;
    }
    return found ? *found : std::string();
  }
  const json::Object* doc = step.source == LearnSource::token_response ? in.token_response : in.metadata;
  if (!doc) return std::string();
  const json::Value* v = json::find_path(*doc, step.path);
  if (v && v->is<std::string>()) return v->get<std::string>();
  if (v && v->is<std::int64_t>()) return std::to_string(v->get<std::int64_t>());
  return std::string();
}

/// The host (and port) of a URL the provider gave as a whole ("https://na1.my.salesforce.com").
Result<std::string> host_of(const std::string& value, const std::string& what) {
  auto u = parse_url(value);
  bool bare = u && (u->path.empty() || u->path == "/") && u->query.empty() && u->fragment.empty();
  if (!bare || (u->scheme != "https" && !is_loopback_host(u->host))) {
    return malformed("the provider gave " + quote(value) + " for " + what +
                     ", which is not an https origin (https://host[:port]); nothing was stored: start the "
                     "connection again, or correct the provider definition");
  }
  return u->port ? u->host + ":" + std::to_string(u->port) : u->host;
}

}  // namespace

Result<std::vector<LearnStep>> parse_from(std::string_view from, const std::string& field) {
  std::vector<LearnStep> out;
  while (true) {
    auto bar = from.find("||");
    std::string alt = trim(from.substr(0, bar));
    auto dot = alt.find('.');
    LearnStep step;
    bool known = false;
    for (int i = 0; i < 3 && dot != std::string::npos; ++i) {
      if (std::string_view(alt).substr(0, dot) == kSources[i]) {
        step.source = static_cast<LearnSource>(i);
        known = true;
      }
    }
    step.path = known ? alt.substr(dot + 1) : std::string();
    bool path_ok = !step.path.empty() && step.path.find(' ') == std::string::npos &&
                   (step.source == LearnSource::callback || (step.path.front() != '.' && step.path.back() != '.' &&
                                                             step.path.find("..") == std::string::npos));
    if (!known || !path_ok) {
      return invalid(field + " alternative " + quote(alt) +
                     " must be token_response.PATH, callback.NAME or metadata.PATH (alternatives joined by ' || ')");
    }
    out.push_back(std::move(step));
    if (bar == std::string_view::npos) return out;
    from.remove_prefix(bar + 2);
  }
}

bool learned_from_callback_only(const TemplateParam& tp) {
  auto steps = parse_from(tp.from, "from");
  if (!steps) return false;
  for (const auto& s : *steps) {
    if (s.source != LearnSource::callback) return false;
  }
  return true;
}

Result<std::map<std::string, std::string>> learn_values(const Provider& p, const LearnInputs& in) {
  const bool callback_only = !in.token_response && !in.metadata;
  std::map<std::string, std::string> out;
  for (const auto& tp : p.template_params) {
    if (tp.from.empty() || (callback_only && !learned_from_callback_only(tp))) continue;
    auto steps = parse_from(tp.from, "template_params." + tp.name + ".from");
    if (!steps) return steps.error();
    std::string value;
    std::string what = "template parameter " + tp.name;
    for (const auto& step : *steps) {
      auto raw = lookup(step, in, what);
      if (!raw) return raw.error();
      if (raw->empty()) continue;
      what += " (" + step_text(step) + ")";
      if (tp.take_host) {
        auto host = host_of(*raw, what);
        if (!host) return host.error();
        value = std::move(*host);
      } else {
        value = std::move(*raw);
      }
      break;
    }
    if (value.empty()) {
      if (!tp.default_value) {
        return malformed("the provider's answer has no " + clean(tp.from, 200) + " (" + what +
                         "); nothing was stored: start the connection again, or correct the provider definition");
      }
      value = *tp.default_value;
    }
    // A value learned from the provider is checked as strictly as one a user types, and as one
    // that goes into a URL: it decides where tokens are sent.
    if (auto ok = check_template_value(tp, value, what, true); !ok) {
      return malformed("the provider's answer cannot be used: " + ok.error().message +
                       "; nothing was stored: start the connection again, or correct the provider definition");
    }
    out[tp.name] = std::move(value);
  }
  return out;
}

}  // namespace latchkey::detail
