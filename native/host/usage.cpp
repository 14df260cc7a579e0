#include "usage.hpp"

#include <algorithm>
#include <cctype>

namespace latchkey::native {
namespace {

std::string folded(std::string_view s) {
  while (!s.empty() && s.front() == '-') s.remove_prefix(1);
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Optimal string alignment distance: a swap of two neighbours ("sttaus") is one typo, not two.
std::size_t distance(const std::string& a, const std::string& b) {
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& x : items) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// The candidate closest to `typed` (ASCII case-insensitive, leading dashes ignored) when it is
// close enough to be a typo of it: edit distance (insert, delete, substitute, swap two
// neighbours) at most 1 for names of 3–5 characters and 2 from 6, or `typed` a prefix of it of at
// least 3 characters; the first of the closest on a tie. "" when none is.
std::string closest(std::string_view typed, const std::vector<std::string>& candidates) {
  const std::string t = folded(typed);
  if (t.empty()) return {};
  const std::size_t allowed = t.size() >= 6 ? 2 : t.size() >= 3 ? 1 : 0;
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    const std::string f = folded(c);
    std::size_t d = distance(t, f);
    const bool prefix = t.size() >= 3 && f.compare(0, t.size(), t) == 0;
    if (d > allowed && !prefix) continue;
    if (d < best_d) best = c, best_d = d;
  }
  return best;
}

// The program's name: the root app's, which each program sets ("latchkey", "latchkeyd"; left
// empty, CLI11 would take argv[0], a path).
std::string program(const CLI::App* app) {
  while (app->get_parent()) app = app->get_parent();
  return app->get_name();
}

// "latchkey providers" for the providers verb: how the user would type the command.
std::string command_path(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* a = app; a; a = a->get_parent()) {
    if (a->get_parent()) names.push_back(a->get_name());
  }
  std::string path = program(app);
  for (auto it = names.rbegin(); it != names.rend(); ++it) path += " " + *it;
  return path;
}

// The verbs after the program's name ("providers list"), for naming a command in a sentence.
std::string verb_path(const CLI::App* app, const std::string& last) {
  std::string path = command_path(app).substr(program(app).size());
  if (!path.empty()) path.erase(0, 1);
  return path.empty() ? last : path + " " + last;
}

std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app->get_options()) {
    if (!o->nonpositional() || o->get_group().empty()) continue;  // hidden ones are not offered
    for (const auto& l : o->get_lnames()) names.push_back("--" + l);
    for (const auto& s : o->get_snames()) names.push_back("-" + s);
  }
  return names;
}

std::vector<std::string> command_names(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App* s) { return !s->get_disabled(); })) {
    names.push_back(sub->get_name());
  }
  return names;
}

std::string unknown_option(const CLI::App* app, const std::string& arg) {
  const std::string name = arg.substr(0, arg.find('='));
  const std::string path = command_path(app);
  // A global option after the verb: CLI11 reads those only before it.
  for (const CLI::App* up = app->get_parent(); up; up = up->get_parent()) {
    auto names = option_names(up);
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      return name + " belongs to `" + command_path(up) + "`: put it before `" + path.substr(command_path(up).size() + 1) +
             "`";
    }
  }
  const std::string best = closest(name, option_names(app));
  if (!best.empty()) return "unknown option " + name + "; did you mean " + best + "?";
  return "unknown option " + name + " for `" + path + "` (`" + path + " --help` lists its options)";
}

std::string unknown_command(const CLI::App* app, const std::string& arg) {
  const std::string best = closest(arg, command_names(app));
  if (!best.empty()) return "unknown command '" + verb_path(app, arg) + "'; did you mean '" + verb_path(app, best) + "'?";
  return "unknown command '" + verb_path(app, arg) + "'; `" + command_path(app) +
         " --help` lists them: " + quoted_list(command_names(app));
}


}  // namespace


CLI::Validator one_of(std::vector<std::string> choices) {
  std::string desc = "{";
  for (const auto& c : choices) desc += (desc.size() > 1 ? "," : "") + c;
  desc += "}";
  return CLI::Validator(
      [choices](std::string& value) -> std::string {
        if (std::find(choices.begin(), choices.end(), value) != choices.end()) return {};
        std::string why = "'" + value + "' is not one of " + quoted_list(choices);
        const std::string best = closest(value, choices);
        return best.empty() ? why : why + "; did you mean '" + best + "'?";
      },
      desc, "one_of");
}

std::string usage_message(const CLI::App& app, const CLI::ParseError& error) {
  // The verbs given, outermost first; what CLI11 could not place is kept by the one reading it.
  std::vector<const CLI::App*> chain{&app};
  while (!chain.back()->get_subcommands().empty()) chain.push_back(chain.back()->get_subcommands().back());
  const CLI::App* deepest = chain.back();

  for (const CLI::App* a : chain) {
    for (const std::string& arg : a->remaining()) {
      if (arg.size() > 1 && arg[0] == '-') return unknown_option(a, arg);
      // A word the deepest command given does not know: one of its own commands mistyped (it may
      // have been passed up to an outer command, as latchkeyd's subcommands pass what they don't take).
      if (!command_names(deepest).empty()) return unknown_command(deepest, arg);
      return "unexpected argument '" + arg + "' for `" + command_path(a) + "` (`" + command_path(a) +
             " --help` says what it takes)";
    }
  }

  const std::string what = error.what();
  const std::string path = command_path(deepest);
  const std::string name = error.get_name();
  if (name == "RequiredError") {
    if (what.rfind("A subcommand", 0) == 0) {
      return "`" + path + "` needs a command: " + quoted_list(command_names(deepest)) + " (`" + path +
             " --help` says what each does)";
    }
    const auto at = what.find(" is required");
    if (at != std::string::npos) {
      return "missing " + what.substr(0, at) + " for `" + path + "` (`" + path + " --help` says what it takes)";
    }
  }
  if (name == "ArgumentMismatch") {
    // CLI11: "--scopes: 1 required TEXT missing"
    const auto colon = what.find(": ");
    const std::string tail = " missing";
    if (colon != std::string::npos && what.find(" required ", colon) != std::string::npos && what.size() > tail.size() &&
        what.compare(what.size() - tail.size(), tail.size(), tail) == 0) {
      return what.substr(0, colon) + " needs a value";
    }
  }
  return what;
}

}  // namespace latchkey::native
