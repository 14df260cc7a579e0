// `latchkeyd store migrate|check|reseal`: moving a store between SQLite and PostgreSQL, checking
// that a store's every sealed secret opens under its master key, re-sealing under a new one.
#pragma once

#include <string>

#include "host/host.hpp"

namespace latchkey::gateway {

/// Copies every record of the store at `from` into the empty store at `to` (each an SQLite path
/// or a postgresql:// URI), in key order, values byte for byte — still sealed, so no master key
/// is read: the destination needs the source's. Refuses a destination that holds any record (it
/// never merges), and an SQLite `from` that does not exist. The source is read with one query, so
/// the copy is the store as it was at that instant; writes after it are not copied (stop the
/// gateways first). Afterwards reads the destination back and compares every key and value.
/// Prints what it did to stdout, advice and errors to stderr; returns the exit status (0 or 1).
int run_store_migrate(const std::string& from, const std::string& to);

/// Opens the store `host` names with its master key (a wrong key is refused as Host::open does)
/// and runs the core's check_store: counts per record kind, and every record whose sealed secret
/// does not open, by key (never a value). Exit status 1 when any record failed or on error.
int run_store_check(const native::HostOptions& host, bool json);

/// The last step of a master key rotation (master_key.hpp): re-seals every secret under the
/// current key (the first of the master key text), so the others can be dropped. Run once, on one
/// machine, after every gateway got the new key as its first. Prints how many records were
/// re-sealed, skipped and failed;
/// exit status 1 when any record was skipped (changed during the run: run it again) or failed.
int run_store_reseal(const native::HostOptions& host);

}  // namespace latchkey::gateway
