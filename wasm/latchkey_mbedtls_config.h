/* Trimmed mbedTLS 2.28 configuration for latchkey's wasm builds (Emscripten and WASI).
 * Only the portable crypto the core uses: SHA-1/SHA-256 + HMAC (md), AES-256-GCM,
 * CTR-DRBG, base64, RSA PKCS#1 v1.5 and ECDSA P-256 with PEM keys (OAuth 1.0a RSA-SHA1, private_key_jwt RS256/ES256; key generation and
 * writing are there for the tests, which make their own keys). No platform entropy, no file or network I/O: the host seeds the DRBG.
 * cmake/dependencies.cmake compiles exactly the matching library/ sources, plus
 * constant_time.c and platform_util.c, which have no switch of their own. No MBEDTLS_HAVE_ASM
 * and no AES-NI/padlock: plain portable C for wasm32. The CTR-DRBG settings are the defaults
 * (AES-256 key, not MBEDTLS_CTR_DRBG_USE_128_BIT_KEY), the same as Debian's native build, so
 * a given seed yields the same bytes on every target. */
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
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_GENPRIME
#define MBEDTLS_OID_C
#define MBEDTLS_RSA_C
#define MBEDTLS_PKCS1_V15
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_PEM_WRITE_C
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PK_WRITE_C
/* ES256 for private_key_jwt client assertions (RFC 7523): ECDSA on P-256 only. */
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECDSA_C


#include "mbedtls/check_config.h"
#endif
