// Types for errors.js: the error every latchkey JS layer throws.

export type ErrorCode =
  | 'invalid_request' | 'invalid_state' | 'state_expired' | 'state_reused' | 'provider_error'
  | 'invalid_grant' | 'needs_reauth' | 'malformed_response' | 'transport' | 'not_found' | 'conflict'
  | 'unsupported' | 'rate_limited' | 'crypto' | 'storage' | 'internal';

/** The core's error object (docs/effects.md, "Errors"). */
export interface ErrorDocument {
  code: ErrorCode;
  message: string;
  provider_error?: string;
  provider_error_description?: string;
  http_status?: number;
  retry_at_ms?: number;
}

export class LatchkeyError extends Error {
  constructor(error?: Partial<ErrorDocument>, options?: ErrorOptions);
  readonly name: 'LatchkeyError';
  readonly code: ErrorCode;
  /** The provider's OAuth `error`, when it sent one. */
  readonly providerError?: string;
  readonly providerErrorDescription?: string;
  readonly httpStatus?: number;
  /** When retrying makes sense again (unix ms), for rate_limited. */
  readonly retryAt?: number;
}
