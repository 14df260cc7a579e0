// `latchkeyd keys list|create|revoke|rotate`: the admin API's key routes for whoever holds the
// store (and its master key) on the machine, e.g. to make the first admin key.
#pragma once

#include <string>

#include "host/host.hpp"
#include "keys.hpp"

namespace latchkey::gateway {

enum class KeysCommand { list, create, revoke, rotate };

/// Runs one command on the store `host` names; prints to stdout (secrets too: that is where the
/// operator asked for them) and errors to stderr. Returns the exit status: 0, or 1 on error.
int run_keys_command(const native::HostOptions& host, KeysCommand command, const NewKey& new_key,
                     const std::string& expires_in, const std::string& id, bool json);

}  // namespace latchkey::gateway
