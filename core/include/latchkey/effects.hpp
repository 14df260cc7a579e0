// Effects: everything an operation needs from the outside world, asked for as data.
// The host performs an effect (HTTP, a store call, a timer) and hands back an EffectResult.
// The core never sleeps: an operation that must wait says until when (EffectKind::wait), and the
// host's own timer does the waiting, so no host thread is held inside an operation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latchkey/provider.hpp"

namespace latchkey {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Params headers;
  std::string body;
  std::int64_t timeout_ms = 30000;
  std::size_t max_response_bytes = 1 << 20;  ///< The host stops reading past this and reports a transport error.
  bool follow_redirects = false;             ///< Token endpoints: never.
};

struct HttpResponse {
  int status = 0;
  Params headers;  ///< Names as received; look up case-insensitively.
  std::string body;
};

/// One stored record. Values are opaque to the store; versions start at 1 and grow on every write.
struct StoreRecord {
  std::string key;
  std::string value;
  std::int64_t version = 0;
};

enum class EffectKind {
  http,          ///< Perform `http`; answer with `response`, or transport_error.
  store_get,     ///< Read `key`; answer found + record.
  store_put,     ///< Write `key` = `value` unconditionally; answer with the new version.
  store_cas,     ///< Write `key` = `value` if its version is `expected_version` (0: only if absent);
                 ///< answer conflict = true when it was not.
  store_delete,  ///< Delete `key` (if `expected_version` != 0, only at that version); found = it existed.
  store_list,    ///< The records whose key starts with `prefix`, in key order: the first `limit` of
                 ///< them, or all when `limit` is 0. A host may ignore `limit` and answer all; the
                 ///< core then keeps only the first `limit` itself.
  wait,          ///< Resume with an empty result at or after `until_ms`, a time in the clock the host
                 ///< passes as now_ms (backoff, a peer's refresh lease, the device grant's interval).
                 ///< The host chooses how: a blocking host may sleep until then; an event-driven one
                 ///< parks the operation on a timer and resumes it from any thread (see
                 ///< OperationBase::rebind for a pool of engines). Resumed before `until_ms` (a
                 ///< timer that fired early, a clock that stepped back), the operation asks for the
                 ///< same wait again; resumed late, it goes on from the later now_ms. No error.
};

struct Effect {
  EffectKind kind = EffectKind::http;
  HttpRequest http;
  std::string key;
  std::string value;
  std::int64_t expected_version = 0;
  std::string prefix;
  std::size_t limit = 0;  ///< store_list: at most this many records (0: all).
  std::int64_t until_ms = 0;  ///< wait: the deadline, absolute (unix ms in the host's now_ms clock).
  // http, from send_authorized's streaming form (SendOptions::stream) only: the host may pass the
  // response body straight on to its own client instead of answering with it; the operation reads
  // only the status and headers. With hold_401 a 401 is not passed on (the operation sends the
  // request again after a refresh): the host drops its body and answers with its status.
  bool stream = false;
  bool hold_401 = false;
};

/// The host's answer to an Effect. Only the members for that effect's kind are read.
struct EffectResult {
  // http
  HttpResponse response;
  std::string transport_error;  ///< Non-empty: the request failed before a response (DNS, TLS, timeout, size cap).
  // store
  bool found = false;
  bool conflict = false;
  StoreRecord record;               ///< get: the record; put/cas: key and new version.
  std::vector<StoreRecord> records;  ///< list
  std::string store_error;           ///< Non-empty: the store itself failed.
};

const char* to_string(EffectKind kind);

}  // namespace latchkey
