// The few primitives a host needs beside the core's operations: hashing a secret into a record
// name, comparing secrets, and wiping a secret's copy. The core's own crypto (sealing, signing,
// the DRBG) stays inside operations, where the keys are.
#pragma once

#include <string>
#include <string_view>

namespace latchkey {

/// SHA-256 of `data`: 32 raw bytes (base64url_encode them for a name). Never fails.
std::string sha256(std::string_view data);

/// True if `a` and `b` hold the same bytes, in time that depends only on their lengths: for
/// comparing a secret given (a state, a key) with the one kept. Never fails.
bool constant_time_equal(std::string_view a, std::string_view b);

/// Overwrites `secret`'s bytes with zeros (a write the compiler may not drop, unlike a memset
/// before free) and empties it: for copies of keys and tokens the caller is done with. Bytes a
/// std::string left behind when it grew are not reached: reserve first for long-lived secrets.
/// Never fails.
void wipe(std::string& secret);

}  // namespace latchkey
