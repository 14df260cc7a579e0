#include "store_command.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <vector>

#include "latchkey/json.hpp"
#include "latchkey/text.hpp"
#include "store/store.hpp"

namespace latchkey::gateway {
namespace {

int fail(const std::string& message) {
  std::cerr << "latchkeyd: " << message << "\n";
  return 1;
}

// A key as it may be printed: a store edited by hand could hold any bytes in one.
std::string shown(const std::string& key) { return clean_text(key, 300); }

// An SQLite store must already exist to be read: open_store would make an empty one instead.
std::string missing_file(const std::string& location, const char* what) {
  if (native::is_postgres_location(location)) return "";
  struct stat st {};
  if (::stat(location.c_str(), &st) == 0) return "";
  return std::string("no store at ") + location + " (" + what +
         " is an existing SQLite file or a postgresql:// URI)";
}

Result<std::vector<StoreRecord>> list_all(native::Store& store, std::size_t limit = 0) {
  Effect e;
  e.kind = EffectKind::store_list;
  e.limit = limit;
  EffectResult r = store.perform(e);
  if (!r.store_error.empty()) return make_error(ErrorCode::storage, r.store_error);
  return std::move(r.records);
}

// "" when `copy` holds exactly `source`'s keys and values, else the first difference (keys only).
std::string difference(const std::vector<StoreRecord>& source, const std::vector<StoreRecord>& copy) {
  std::size_t i = 0;
  for (; i < source.size() && i < copy.size(); ++i) {
    if (source[i].key != copy[i].key) {
      return "it holds " + shown(copy[i].key) + " where the source has " + shown(source[i].key);
    }
    if (source[i].value != copy[i].value) return "its value of " + shown(source[i].key) + " differs";
  }
  if (i < source.size()) return "it lacks " + shown(source[i].key);
  if (i < copy.size()) return "it holds " + shown(copy[i].key) + ", which the source does not";
  return "";
}

/// The store `options` names (or the default one), which must exist, opened with its master key
/// (a key it was not sealed with is refused, as Host::open does).
Result<std::unique_ptr<native::Host>> open_existing(const native::HostOptions& options) {
  const std::string location = options.store_path.empty() ? native::default_store_path() : options.store_path;
  if (location.empty()) {
    return make_error(ErrorCode::invalid_request, "no store given and no home directory for the default one; pass --store");
  }
  if (auto missing = missing_file(location, "--store"); !missing.empty()) return make_error(ErrorCode::not_found, missing);
  native::HostOptions at = options;
  at.store_path = location;
  return native::Host::open(at);
}

}  // namespace

int run_store_migrate(const std::string& from, const std::string& to) {
  if (from.empty() || to.empty()) return fail("store migrate needs --from LOCATION and --to LOCATION");
  if (from == to) return fail("--from and --to name the same store; --to must be another, empty one");
  if (auto missing = missing_file(from, "--from"); !missing.empty()) return fail(missing);
  auto source = native::open_store(from);
  if (!source) return fail(source.error().message);
  auto dest = native::open_store(to);
  if (!dest) return fail(dest.error().message);
  const std::string& from_at = (*source)->location();
  const std::string& to_at = (*dest)->location();

  auto existing = list_all(**dest, 1);
  if (!existing) return fail("reading " + to_at + ": " + existing.error().message);
  if (!existing->empty()) {
    return fail("the destination " + to_at + " already holds records (" + shown((*existing)[0].key) +
                ", ...); store migrate copies into an empty store only and never merges: name a new SQLite "
                "file, or a new PostgreSQL database");
  }

  // One query: the store as it was at one instant (SQLite and PostgreSQL both answer a statement
  // from one snapshot), whatever gateways write after it.
  auto records = list_all(**source);
  if (!records) return fail("reading " + from_at + ": " + records.error().message);

  std::size_t copied = 0;
  for (const StoreRecord& rec : *records) {
    // Only if absent: a record that appears meanwhile means someone else writes the destination.
    Effect e;
    e.kind = EffectKind::store_cas;
    e.key = rec.key;
    e.value = rec.value;
    e.expected_version = 0;
    EffectResult r = (*dest)->perform(e);
    if (!r.store_error.empty()) {
      return fail("writing " + shown(rec.key) + " to " + to_at + " (after " + std::to_string(copied) +
                  " records): " + r.store_error + "; the destination is incomplete: empty it before migrating again");
    }
    if (r.conflict) {
      return fail(shown(rec.key) + " appeared in " + to_at + " while copying: something else writes it (a gateway?); "
                  "stop it, empty the destination and migrate again");
    }
    ++copied;
  }

  auto copy = list_all(**dest);
  if (!copy) return fail("reading " + to_at + " back: " + copy.error().message);
  if (auto diff = difference(*records, *copy); !diff.empty()) {
    return fail("the copy in " + to_at + " is not the source's: " + diff +
                " (was it written to meanwhile?); empty it and migrate again");
  }
  std::printf("copied %zu records from %s to %s; verified: the destination holds exactly the source's keys and "
              "values\n",
              copied, from_at.c_str(), to_at.c_str());
  const std::string key_hint =
      native::is_postgres_location(to_at)
          ? "give every gateway on it that key with LATCHKEY_MASTER_KEY or --master-key-file"
          : "copy that key to " + to_at + ".key (mode 0600), or give it with LATCHKEY_MASTER_KEY or --master-key-file";
  std::cerr << "latchkeyd: the records are still sealed under the master key of " << from_at
            << ": " << key_hint << "; then run `latchkeyd store check --store " << to_at << "`\n";
  return 0;
}

int run_store_check(const native::HostOptions& options, bool json) {
  auto host = open_existing(options);
  if (!host) return fail(host.error().message);
  auto checked = (*host)->run((*host)->engine().check_store());
  if (!checked) return fail(checked.error().message);
  const StoreCheck& c = *checked;
  int total = 0;
  for (const auto& [kind, n] : c.records) total += n;

  if (json) {
    JsonObject kinds;
    for (const auto& [kind, n] : c.records) kinds[kind] = JsonValue(static_cast<std::int64_t>(n));
    JsonArray failed;
    for (const auto& f : c.failed) {
      failed.push_back(JsonValue(JsonObject{{"key", JsonValue(shown(f.key))}, {"problem", JsonValue(f.problem)}}));
    }
    JsonObject out{{"store", JsonValue((*host)->store_path())},
                   {"records", JsonValue(static_cast<std::int64_t>(total))},
                   {"kinds", JsonValue(kinds)},
                   {"opened", JsonValue(static_cast<std::int64_t>(c.opened))},
                   {"failed", JsonValue(failed)}};
    std::printf("%s\n", serialize_json(JsonValue(out)).c_str());
  } else {
    std::printf("%s: %d records, %d sealed secrets opened under the master key\n", (*host)->store_path().c_str(),
                total, c.opened);
    for (const auto& [kind, n] : c.records) std::printf("  %-12s %d\n", shown(kind).c_str(), n);
    for (const auto& f : c.failed) std::printf("FAILED %s: %s\n", shown(f.key).c_str(), f.problem.c_str());
  }
  if (!c.failed.empty()) {
    return fail(std::to_string(c.failed.size()) + (c.failed.size() == 1 ? " record does" : " records do") +
                " not open under the master key: restore them from a backup, or remove them (a connection "
                "can be made again with `latchkey connect`)");
  }
  return 0;
}

int run_store_reseal(const native::HostOptions& options) {
  auto host = open_existing(options);
  if (!host) return fail(host.error().message);
  auto done = (*host)->run((*host)->engine().reseal());
  if (!done) return fail(done.error().message);
  std::printf("%s: %d records re-sealed under the current master key, %d skipped, %d failed\n",
              (*host)->store_path().c_str(), done->resealed, done->skipped, done->failed);
  if (done->failed > 0) {
    return fail(std::to_string(done->failed) + " records do not open under any of the master keys given; "
                "`latchkeyd store check` names them");
  }
  if (done->skipped > 0) return fail("some records changed while this ran; run `latchkeyd store reseal` again");
  return 0;
}

}  // namespace latchkey::gateway
