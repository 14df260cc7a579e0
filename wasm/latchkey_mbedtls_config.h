/* Trimmed mbedTLS 2.28 configuration for latchkey's wasm builds (Emscripten and WASI).
 * Only the portable crypto the core uses: SHA-1/SHA-256 + HMAC (md), AES-256-GCM,
 * CTR-DRBG and base64. No platform entropy, no file or network I/O: the host seeds the DRBG. */
#ifndef LATCHKEY_MBEDTLS_CONFIG_H
#define LATCHKEY_MBEDTLS_CONFIG_H

#define MBEDTLS_AES_C
#define MBEDTLS_AES_FEWER_TABLES
#define MBEDTLS_GCM_C
#define MBEDTLS_CIPHER_C
#define MBEDTLS_MD_C
#define MBEDTLS_SHA1_C
#define MBEDTLS_SHA256_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_CTR_DRBG_C


#include "mbedtls/check_config.h"
#endif
