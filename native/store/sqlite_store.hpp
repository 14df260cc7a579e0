// The embedded default store: one SQLite file answering the core's store.* effects.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "latchkey/effects.hpp"
#include "latchkey/result.hpp"
#include "store/store.hpp"
#include "store/store_file.hpp"  // default_store_path, for the store's users

namespace latchkey::native {

/// Answers the store effects exactly as MemoryStore does (the reference semantics), on a file
/// that several processes may share: versions come from one counter in the file, so they grow
/// across keys, deletes and processes, and cas / delete-at-version are atomic across processes.
///
/// One SqliteStore is one SQLite connection: use it from one thread at a time (or give each
/// thread its own SqliteStore on the same path).
class SqliteStore final : public Store {
 public:
  /// Opens (creating if absent: missing parent directories 0700, the file 0600 whatever the
  /// umask; SQLite gives its -wal and -shm files the same mode) and migrates the store to the
  /// schema this build knows. WAL mode, synchronous=NORMAL, a 5 s busy timeout. An existing file
  /// keeps its mode. An existing empty file is taken as a new store.
  ///
  /// Errors (ErrorCode::storage, with a sentence naming the path and what to do):
  /// - the file is not an SQLite database, is corrupt or truncated, or is another program's
  ///   SQLite database: "… is not a latchkey store …";
  /// - it was written by a newer latchkey (its schema version is above this build's);
  /// - the file or its directory is not writable, or cannot be created.
  /// In all of these cases the file is left exactly as it was: nothing is repaired or rewritten.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;

  // perform (Store): a failure of the file (locked past the busy timeout, disk full, I/O error,
  // damage found while reading) is answered with `store_error`, and the effect then changed nothing.

  /// The schema version after migration (1 for this build).
  int schema_version() const;

  /// SQLite's data_version: changes whenever another connection — in this process or another —
  /// has committed since this one last looked. A host that keeps what it read in memory asks
  /// this to know when to forget it. Its own commits do not change it. One `PRAGMA data_version`
  /// (no I/O while nothing changed). storage on failure.
  Result<std::int64_t> data_version() override;

  /// The file's path.
  const std::string& location() const override;

 protected:
  void get(const Effect& e, EffectResult& r) override;
  void write(const Effect& e, bool check_version, EffectResult& r) override;
  void remove(const Effect& e, EffectResult& r) override;
  void list(const Effect& e, EffectResult& r) override;

 private:
  SqliteStore();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchkey::native
