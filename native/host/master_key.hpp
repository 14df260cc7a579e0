// The master key that seals every secret in the local store, and the memory it lives in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latchkey/result.hpp"

namespace latchkey::native {

/// Secret bytes in pages of their own, marked MADV_DONTDUMP (left out of any core dump, even one
/// made with --allow-core-dumps) and, where RLIMIT_MEMLOCK allows, locked so they are never
/// swapped; zeroed before the pages are unmapped. Move-only.
class SecretBytes {
 public:
  /// A copy of `bytes`. internal error if the pages cannot be mapped or marked.
  static Result<SecretBytes> copy_of(std::string_view bytes);

  SecretBytes() = default;
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  std::string_view view() const { return {data_, size_}; }
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  void release();
  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t mapped_ = 0;
};

struct MasterKey {
  SecretBytes bytes;          ///< The current key: 32 bytes; new secrets are sealed under it.
  std::uint32_t version = 1;  ///< Its version.
  /// Keys of earlier (or, during a rotation's first step, later) versions: secrets sealed under
  /// them still open, and `latchkeyd store reseal` moves them to the current one.
  std::vector<std::pair<std::uint32_t, SecretBytes>> others;
  std::string source;  ///< "LATCHKEY_MASTER_KEY" or the key file's path, for messages
};

/// The master key text is base64 of 32 bytes (version 1), or — to rotate keys — several
/// "VERSION:BASE64" entries separated by commas or lines, the first being the current one
/// ("2:NEWKEY,1:OLDKEY"). Every gateway sharing a store gets the new key as a second entry first,
/// then as the first, then `latchkeyd store reseal` runs once, then the old entry can go.
/// The master key for the store at `store_location`, from the first of:
/// 1. LATCHKEY_MASTER_KEY (base64 of 32 bytes), if set;
/// 2. the key file `key_file` (--master-key-file / LATCHKEY_MASTER_KEY_FILE), if given;
/// 3. for a store that is a file, the key file beside it, `<store>.key`.
/// A PostgreSQL store has no "beside": without 1 or 2 it is a crypto error saying what to pass.
/// A key file is read only if it is private to this user (no group/other bits); one that does not
/// exist is created 0600 with 32 random bytes — but only while `store_has_data` is false: a
/// missing key for an existing store is an error (a new key could never open the old records).
/// The key's intermediate copies (file text, decoded bytes) are zeroed before they are freed.
Result<MasterKey> load_master_key(const std::string& store_location, bool store_has_data,
                                  const std::string& key_file = "");

/// Bytes from the operating system's CSPRNG.
Result<std::string> os_random(std::size_t n);

}  // namespace latchkey::native
