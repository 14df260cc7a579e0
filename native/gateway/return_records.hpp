// The return_to of a browser sign-in, kept in the store between authorize and callback under
// "gwreturn/" + base64url(sha256(state)) (the state itself is never stored), with the pending
// sign-in's expiry. Read once: taking it deletes it. Each has an expiry index entry
// (core/src/store/records.hpp, "expiry/gwreturn/…") through which later starts sweep the expired ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "host/host.hpp"

namespace latchkey::gateway {

struct ReturnRecord {
  std::string return_to;
  std::string provider;
  std::string account;  ///< As asked for at authorize (may be empty).
  std::int64_t expires_at_ms = 0;
};

/// Stores `r` for the sign-in with `state`, and removes a few expired records of sign-ins that
/// never came back (so the store stays bounded by the sign-in rate times their lifetime).
Status save_return(native::Host& host, const std::string& state, const ReturnRecord& r);

/// The record for `state`, deleted as it is read: of two callbacks racing for it, one gets it.
/// nullopt if there is none (or it is damaged). storage on store failure.
Result<std::optional<ReturnRecord>> take_return(native::Host& host, const std::string& state);

}  // namespace latchkey::gateway
