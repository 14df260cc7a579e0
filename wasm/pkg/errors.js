// The one error type of latchkey's JS layers: what the core reported, as an Error with a code.
// Shared by the raw layers (raw.js, ../wasi/raw.mjs) and the ergonomic API (index.js).

/// Built from the core's error object (docs/effects.md, "Errors"):
///   new LatchkeyError({ code: 'not_found', message: '...', http_status: 404, ... })
/// `code` is one of lk_error_codes(); the provider's OAuth error, the HTTP status and the
/// rate-limit time are copied when the core gave them.
export class LatchkeyError extends Error {
  constructor(error = {}, options) {
    const { code = 'internal', message = code } = error;
    super(message, options);
    this.name = 'LatchkeyError';
    this.code = code;
    if (error.provider_error !== undefined) this.providerError = error.provider_error;
    if (error.provider_error_description !== undefined) this.providerErrorDescription = error.provider_error_description;
    if (error.http_status !== undefined) this.httpStatus = error.http_status;
    if (error.retry_at_ms !== undefined) this.retryAt = error.retry_at_ms;
  }
}
