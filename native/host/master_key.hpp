// The master key that seals every secret in the local store.
#pragma once

#include <string>

#include "latchkey/result.hpp"

namespace latchkey::native {

struct MasterKey {
  std::string bytes;   ///< 32 bytes
  std::string source;  ///< "LATCHKEY_MASTER_KEY" or the key file's path, for messages
};

/// LATCHKEY_MASTER_KEY (base64 of 32 bytes) if set; else the key file `<store>.key`, created
/// 0600 with 32 random bytes on first use — but only while `store_has_data` is false: a missing
/// key for an existing store is an error (a new key could never open the old records).
Result<MasterKey> load_master_key(const std::string& store_path, bool store_has_data);

/// Bytes from the operating system's CSPRNG.
Result<std::string> os_random(std::size_t n);

}  // namespace latchkey::native
