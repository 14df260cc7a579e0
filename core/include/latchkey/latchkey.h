/* latchkey C ABI: JSON in, JSON out. One surface for the Emscripten bindings, the WASI exports
 * and any FFI caller. C++ callers can use latchkey/engine.hpp directly.
 *
 * Ownership: every `char*` returned is NUL-terminated, allocated by latchkey and released with
 * lk_free(). Input strings are borrowed for the duration of the call only.
 *
 * Every returned JSON document is either {"ok": <value>} or
 * {"error": {"code": "<error code>", "message": "...", ...}}; the codes are listed by lk_error_codes().
 *
 * The effect loop:
 *   lk_op* op = lk_op_begin(engine, "{\"op\":\"get_token\",\"provider\":\"github\"}", now_ms);
 *   char* step = lk_op_step(op);           // {"effect": {...}} or {"done": {"ok"|"error": ...}}
 *   while (step is an effect) { perform it; lk_free(step); step = lk_op_resume(op, result_json, now_ms); }
 *   lk_op_free(op);
 * The effect and result shapes are documented in docs/effects.md.
 */
#ifndef LATCHKEY_H
#define LATCHKEY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lk_engine lk_engine;
typedef struct lk_op lk_op;

/* Creates an engine from {"master_keys": {"1": "<base64 32 bytes>"}, "current_key_version": 1,
 * "entropy": "<base64, >= 32 bytes>", "pending_ttl_ms"?: n, "surface"?: "cli" | "js" | "http",
 * ...} (docs/effects.md; surface: whose calls an error's advice names). Returns NULL and sets *error
 * (a JSON error document to lk_free) when the configuration is invalid. */
lk_engine* lk_engine_new(const char* config_json, char** error);
/* Releases the caller's handle to an engine made by lk_engine_new; NULL is ignored. The handle
 * must not be used again, by any function. Operations begun with it (lk_op_begin) share
 * ownership of the engine: any still open keep working, and the engine, with its master keys
 * (zeroed when it goes), is destroyed when the last of them is released with lk_op_free, or here
 * when none is open. Never fails; releasing one handle twice is undefined, as for free(). */
void lk_engine_free(lk_engine* engine);
/* Mixes base64-encoded host randomness into the engine's generator. Returns 0, or -1 if `engine`
 * is NULL or `base64` is not canonical base64 (nothing is mixed in then). */
int lk_engine_add_entropy(lk_engine* engine, const char* base64);

/* Starts an operation described by `request_json` ({"op": "<name>", ...}); see docs/effects.md
 * for the operations and their parameters. Never NULL: a bad request yields an operation whose
 * first step is {"done": {"error": ...}}. */
lk_op* lk_op_begin(lk_engine* engine, const char* request_json, int64_t now_ms);
/* The operation's current step: {"effect": {...}} to perform, or {"done": {...}}. Asking again
 * answers the same step. NULL `op`: {"done": {"error": {"code": "invalid_request", ...}}}. */
char* lk_op_step(lk_op* op);
/* Hands back the result of the current effect and returns the next step. A result that is not
 * an effect result document (docs/effects.md) ends the operation with {"done": {"error":
 * {"code": "invalid_request", ...}}}: a host bug, reported rather than
 * guessed at. Once done, resuming answers the same {"done": ...} again. */
char* lk_op_resume(lk_op* op, const char* effect_result_json, int64_t now_ms);
/* Releases an operation (NULL is ignored), finished or not: an effect still pending is simply
 * never resumed. The last operation of an engine already released with lk_engine_free takes
 * the engine with it. */
void lk_op_free(lk_op* op);

/* Synchronous helpers that need no effects. */
/* {"ok": [<provider>...]} — the built-in catalog. */
char* lk_catalog(void);
/* Validates a provider definition: {"ok": <normalised provider>}, or an invalid_request error
 * whose message names the field to correct (provider_from_json in latchkey/provider.hpp). */
char* lk_validate_provider(const char* provider_json);
/* {"ok": {"challenge": "...", "method": "S256"}} for a PKCE verifier (RFC 7636 S256), or an
 * invalid_request error when it is not 43-128 characters of [A-Za-z0-9-._~]. */
char* lk_pkce_challenge(const char* verifier);
/* For hosts that keep their own pending state (a browser page, a serverless function): builds a
 * consent URL with fresh PKCE (S256) and state from the engine's generator, storing nothing.
 * Request: {"provider": key | <provider object>, "client_id", "redirect_uri", "scopes"?: [...],
 * "extra_params"?: {...}, "template_values"?: {...}}.
 * Result: {"ok": {"authorization_url", "state", "code_verifier", "code_challenge"}} or an error. */
char* lk_build_authorization(lk_engine* engine, const char* request_json);
/* Parses a token endpoint response with a provider's rules, without storing anything.
 * Request: {"provider": key | <provider object>, "status", "content_type", "body", "now_ms",
 * "requested_scope"?}. Result: {"ok": {"access_token", "refresh_token", "token_type",
 * "expires_at_ms", "scope", "id_token", "extras"}} or an error (provider_error, invalid_grant,
 * malformed_response, ...). */
char* lk_parse_token_response(const char* request_json);
/* {"ok": ["invalid_request", ...]} */
char* lk_error_codes(void);
/* The library version, static storage (do not free). */
const char* lk_version(void);

/* Memory for hosts that write into linear memory (wasm). */
void* lk_alloc(size_t size);
void lk_free(void* ptr);

#ifdef __cplusplus
}
#endif
#endif /* LATCHKEY_H */
