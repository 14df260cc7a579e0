// The core's advice ("run `latchkey connect github`") in the words of the surface that shows it.
// Messages are written once, naming the CLI's commands; an operation's error is rendered for the
// engine's surface as it leaves the core (Operation::fail: the JS package's callers read its
// calls), and a host that answers several kinds of caller renders at its own boundary (latchkeyd:
// its routes, unless the caller is the CLI). One table, so the surfaces cannot drift.
#pragma once

#include <string>

#include "latchkey/engine.hpp"

namespace latchkey {

/// `message` with each backquoted `latchkey …` command replaced by what `surface` calls it (the
/// same text for Surface::cli). A command the table does not know is left as it is. Cannot fail.
std::string advice_for(const std::string& message, Surface surface);

}  // namespace latchkey
