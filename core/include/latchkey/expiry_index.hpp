// An expiry index in the host's store: empty records whose keys sort in expiry order, so that
// the expired records of a kind are found (and swept, a few at a time) without reading a live
// one. The core keeps one for its pending sign-ins and device grants; a host that keeps
// short-lived records of its own beside them (latchkeyd's return addresses) keeps one the same
// way, and its sweep stops at the first entry that has not expired.
//
//   expiry/<kind>/<expires_at_ms as 20 digits>/<id>   for the record <kind>/<id>
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "latchkey/result.hpp"

namespace latchkey {

/// How many expired records one sweep should remove at most (read that many index entries):
/// more than one, so sweeps outpace the sign-ins that leave records behind, and few, so no
/// single request pays for a backlog.
inline constexpr std::size_t kExpirySweepBatch = 8;

/// The prefix that lists the index of records whose keys start with `record_prefix` ("gwreturn/"
/// gives "expiry/gwreturn/"); list it in key order. `record_prefix` ends with '/'. Never fails.
std::string expiry_index_prefix(const std::string& record_prefix);

/// The index entry of the record `record_key` ("<kind>/<id>", the kind without '/') that expires
/// at `expires_at_ms` (unix ms; a negative time counts as 0). Store it (empty) before the record,
/// so no record is ever without one. Never fails.
std::string expiry_index_key(const std::string& record_key, std::int64_t expires_at_ms);

/// One index entry read back: the record it stands for and when that expires.
struct ExpiryEntry {
  std::string record_key;
  std::int64_t expires_at_ms = 0;
};

/// Parses a key made by expiry_index_key.
///
/// Returns the entry, owned by the caller. Error: ErrorCode::storage ("'<key>' is not an
/// expiry index key") for any other key. Next: it stands for no record; a sweep removes that
/// entry alone (as the core's does) and goes on.
Result<ExpiryEntry> expiry_entry_from_key(const std::string& index_key);

}  // namespace latchkey
