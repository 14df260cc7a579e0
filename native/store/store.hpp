// The store a native host keeps its records in, whichever engine holds them: an SQLite file
// (the embedded default) or a PostgreSQL database shared by several gateways.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "latchkey/effects.hpp"
#include "latchkey/result.hpp"

namespace latchkey::native {

/// Answers the core's store effects with the semantics of MemoryStore
/// (core/include/latchkey/memory_store.hpp, docs/effects.md): versions grow across keys, deletes
/// and every connection; cas and delete-at-version are atomic across every connection.
///
/// One Store is one connection to its database: use it from one thread at a time, and give each
/// thread (each of latchkeyd's engines) its own.
class Store {
 public:
  virtual ~Store() = default;

  /// Answers store_get / store_put / store_cas / store_delete / store_list (docs/effects.md); any
  /// other kind gets an empty result. A failure of the database is answered with `store_error`
  /// (a sentence saying what to check); the effect then changed nothing — except that a write
  /// whose connection broke while it was in flight may have been applied, which the message says.
  /// Keys, values and prefixes over 1 GB are refused here for every engine (SQLite's
  /// SQLITE_MAX_LENGTH and PostgreSQL's bytea limit; it also keeps lengths within an int).
  EffectResult perform(const Effect& effect);

  /// A number that changes when a change to the records has been committed since this
  /// connection last asked — by another connection in any process (whether its own commits count
  /// differs by engine: see each store). A host that keeps what it read in memory forgets it
  /// when this changes. Cheap enough to ask every millisecond (see each store for its cost).
  /// storage on failure; a host should then treat everything it holds as stale.
  virtual Result<std::int64_t> data_version() = 0;

  /// Where the store is, for messages: the file's path or the database's URI (never a password:
  /// open_store refuses a URI that carries one).
  virtual const std::string& location() const = 0;

 protected:
  /// Each kind of effect, as perform hands them over (`check_version`: a cas rather than a put).
  virtual void get(const Effect& e, EffectResult& r) = 0;
  virtual void write(const Effect& e, bool check_version, EffectResult& r) = 0;
  virtual void remove(const Effect& e, EffectResult& r) = 0;
  virtual void list(const Effect& e, EffectResult& r) = 0;
};

/// For the engines' list by prefix: the smallest string greater than every string that starts with
/// `prefix`, or "" if there is none (an empty prefix, or one made only of 0xff bytes). A range scan
/// on it treats '%' and '_' literally, unlike LIKE, and uses the primary key.
std::string prefix_successor(std::string prefix);

/// Whether `location` names a PostgreSQL database: a libpq URI, `postgresql://…` or `postgres://…`.
bool is_postgres_location(const std::string& location);

/// Opens the store at `location`: a PostgreSQL database for a `postgresql://` or `postgres://`
/// URI (PostgresStore::open), else an SQLite file at that path (SqliteStore::open). The errors
/// are those of the store chosen (ErrorCode::storage, with what to do).
Result<std::unique_ptr<Store>> open_store(const std::string& location);

}  // namespace latchkey::native
