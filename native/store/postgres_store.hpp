// The store for several gateways on several machines: a PostgreSQL database, through libpq.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "latchkey/effects.hpp"
#include "latchkey/result.hpp"
#include "store/store.hpp"

namespace latchkey::native {

/// Answers the store effects exactly as MemoryStore does, in tables every gateway shares
/// (latchkey_records, latchkey_versions, latchkey_changes, latchkey_schema_migrations). Versions
/// come from one database sequence, so they grow across keys, deletes and connections; cas and
/// delete-at-version are single statements that compare the version column, atomic across every
/// connection on every machine (the core's leases make a refresh single-flight with them).
///
/// One PostgresStore is one libpq connection: use it from one thread at a time. latchkeyd's
/// --engines connections are its pool.
///
/// Bounded everywhere: connecting gives up after connect_timeout (2 s unless the URI says),
/// a statement after statement_timeout (5 s unless the server or URI sets one) and an answer that
/// does not come after 10 s drops the connection. A lost connection is opened again with backoff
/// (a few tries within about 2 s) before an effect is answered with store_error; once that failed,
/// each later effect tries to connect once, without waiting, until the database is back (an
/// outage is answered at once, not after a window per request).
class PostgresStore final : public Store {
 public:
  /// The schema this build knows (the last numbered migration).
  static const int kLatestSchema;

  /// Connects to `uri` (a libpq URI, `postgresql://user@host:port/db?sslmode=…`; TLS, the
  /// password file and the rest are libpq's: PGPASSFILE, PGPASSWORD, ~/.pgpass, PGSSLROOTCERT …)
  /// and applies the migrations this build has that the database lacks, under an advisory lock,
  /// so gateways starting together migrate once.
  ///
  /// Errors (ErrorCode::storage, a sentence saying what to do):
  /// - the URI carries a password (`user:secret@`, `?password=`): argv and config files would keep
  ///   it — use PGPASSFILE or PGPASSWORD; the URI is not valid;
  /// - the server cannot be reached or refuses the login (names what to check);
  /// - the database was migrated by a newer latchkey (its schema is above kLatestSchema): it is
  ///   left as it was.
  static Result<std::unique_ptr<PostgresStore>> open(const std::string& uri);
  ~PostgresStore() override;

  // perform (Store): a read whose connection broke is sent again once on a new connection; a
  // write is sent again only if it never reached the server (a write lost in flight is answered
  // with store_error saying it may have been applied).

  /// The database's change counter (latchkey_changes, bumped by a trigger on every committed
  /// change to a record, by any connection — this one's own commits too — or any other program)
  /// as this connection last learned it. The first call LISTENs on the channel
  /// `latchkey_changes` (every bump is NOTIFYed with the new counter) and reads the counter.
  ///
  /// Cost: never waits on the network after the first call. Each call reads what has arrived on
  /// the socket without blocking (PQconsumeInput: one recv) and takes the notifications; at most
  /// once a second it also sends a read of the counter and takes its answer on a later call,
  /// so that a lost notification cannot keep a cache stale for more than about a second. A
  /// broken connection is reopened at most once a second, without blocking; until it is back,
  /// and while an answer is overdue, the call fails (storage), so a cache forgets everything.
  Result<std::int64_t> data_version() override;

  int schema_version() const;
  /// The URI as given (it carries no password: open refuses one that does).
  const std::string& location() const override;

 protected:
  void get(const Effect& e, EffectResult& r) override;
  void write(const Effect& e, bool check_version, EffectResult& r) override;
  void remove(const Effect& e, EffectResult& r) override;
  void list(const Effect& e, EffectResult& r) override;

 private:
  PostgresStore();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace latchkey::native
