// Keeps the master key and the tokens it opens out of core dumps: both binaries call this at
// start-up, before any secret is read.
#pragma once

#include "latchkey/result.hpp"

namespace latchkey::native {

/// Unless `allow_core_dumps`: sets RLIMIT_CORE to 0 (soft and hard, so nothing later in the
/// process, nor a child, can raise it again) and marks the process not dumpable
/// (PR_SET_DUMPABLE 0: no core even through a core_pattern pipe, and no ptrace attach or
/// /proc/PID/mem reads by other processes of the same user). With `allow_core_dumps` (for
/// debugging a crash) the inherited settings are left alone.
/// internal error, naming the call, if the operating system refuses.
Result<Ok> harden_process(bool allow_core_dumps);

}  // namespace latchkey::native
