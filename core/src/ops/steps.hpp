// The building blocks operations are written with: each asks the host for one effect (or a
// short sequence) and continues with a typed Result. Host failures become typed errors here,
// once, so operations only handle outcomes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "latchkey/engine.hpp"
#include "headers.hpp"
#include "latchkey/token_set.hpp"
#include "records.hpp"

namespace latchkey::detail {

template <class T>
using Then = std::function<void(Result<T>)>;

struct Versioned {
  ConnectionRecord record;
  std::int64_t version = 0;
};

struct Steps {
  static void get(OperationBase& op, std::string key, Then<std::optional<StoreRecord>> then);
  static void put(OperationBase& op, std::string key, std::string value, Then<std::int64_t> then);
  /// conflict error when the record's version is not `expected` (0: when it exists).
  static void cas(OperationBase& op, std::string key, std::string value, std::int64_t expected,
                  Then<std::int64_t> then);
  static void remove(OperationBase& op, std::string key, std::int64_t expected, Then<bool> then);
  /// The records under `prefix` in key order; with `limit` (0: all) only the first `limit`,
  /// also from a host that answers more.
  static void list(OperationBase& op, std::string prefix, Then<std::vector<StoreRecord>> then, std::size_t limit = 0);
  /// transport error when the host could not complete the request; any status is a response.
  static void http(OperationBase& op, HttpRequest request, Then<HttpResponse> then);
  /// Sends `request` to each of `urls` (not empty) in turn until one answers 200, and hands on
  /// that answer, else the last one: for metadata that may live at either of two well-known
  /// URLs. A transport error ends the walk.
  static void first_found(OperationBase& op, HttpRequest request, std::vector<std::string> urls,
                          Then<HttpResponse> then);
  /// Asks the host to resume at `until_ms` (a wait effect), then calls `then`. A host that
  /// resumes earlier is asked again for the same deadline, so `then` never runs before it.
  static void wait_until(OperationBase& op, std::int64_t until_ms, std::function<void()> then);
  /// Removes up to kExpirySweepBatch (records.hpp) expired records under `record_prefix`
  /// ("pending/", "device/"), each with its expiry index entry (records.hpp): lists the first index keys, in expiry
  /// order, and stops at the first that has not expired, so no live record is ever read and the
  /// cost does not grow with the number of sign-ins outstanding. A failed removal is left for
  /// the next sweep; only a failed listing is an error.
  static void sweep_expired(OperationBase& op, std::string record_prefix, std::int64_t now_ms, Then<Ok> then);
  /// Creates `key` (made by pending_key or device_key) with `value`, compare-and-swap at version
  /// 0 (conflict if it exists), after a sweep_expired of its prefix: how sign-ins in progress are
  /// stored, so that each new one clears a few abandoned ones. Its expiry index entry is written
  /// first, so no record can exist that a later sweep would not find. Gives the record's version.
  static void create_after_sweep(OperationBase& op, std::string key, std::string value, std::int64_t expires_at_ms,
                                 std::int64_t now_ms, Then<std::int64_t> then);

  /// A built-in provider, or a custom one from the store. not_found names the fix.
  static void provider(OperationBase& op, std::string key, Then<Provider> then);
  /// The app credentials for `provider`; not_found names the command that sets them.
  static void app(OperationBase& op, std::string provider, Then<AppRecord> then);
  /// A connection record and its version; not_found names the command that connects. An empty
  /// ref.account means the principal's only connection to that provider (invalid_request
  /// listing the accounts when there are several).
  static void connection(OperationBase& op, ConnectionRef ref, Then<Versioned> then);
};

/// An endpoint's answer as parse_token_response (and the device grant's reader) take it: the
/// status, the Content-Type and the body.
TokenHttpResponse token_http(HttpResponse response);

}  // namespace latchkey::detail
