// When a token is due for refresh: the one rule that get_token, the request signer's
// fresh_until_ms (which latchkeyd's signer cache trusts) and anything else asking "is this token
// still fresh?" share.
#pragma once

#include <algorithm>
#include <cstdint>

namespace latchkey::detail {

/// The time from which a token issued at `issued_at_ms` and expiring at `expires_at_ms` is due:
/// the provider's `buffer_s` before expiry, but never more than half of the token's own lifetime.
/// A buffer longer than the token lives would make it due as it is issued, so every caller would
/// refresh it (a 6 s token under the 60 s default buffer never counted as fresh); capped, a token
/// is refreshed once per lifetime. `issued_at_ms` 0 (a record stored before issue times were kept)
/// applies the buffer uncapped: never later than before. 0 when the token does not expire.
inline std::int64_t refresh_due_ms(std::int64_t issued_at_ms, std::int64_t expires_at_ms, std::int64_t buffer_s) {
  if (expires_at_ms == 0) return 0;
  std::int64_t buffer_ms = buffer_s * 1000;
  if (issued_at_ms > 0) {
    // An expiry at or before the issue time (an edited record) leaves no buffer to speak of.
    const std::int64_t lifetime = expires_at_ms > issued_at_ms ? expires_at_ms - issued_at_ms : 0;
    buffer_ms = std::min(buffer_ms, lifetime / 2);
  }
  return expires_at_ms - buffer_ms;
}

}  // namespace latchkey::detail
