// The HTTPS client's TLS: one mbedTLS configuration (TLS 1.2, the trust store, a CTR-DRBG) that
// every connection is bound to, the certificate checks for a peer, and what a failed handshake
// means in words.
#pragma once

#include <cstdint>
#include <string>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "http/https_client.hpp"
#include "latchkey/result.hpp"

namespace latchkey::native::client {

/// Not copyable or movable: connections bound to it point at its configuration.
class TlsConfig {
 public:
  TlsConfig();
  ~TlsConfig();
  TlsConfig(const TlsConfig&) = delete;
  TlsConfig& operator=(const TlsConfig&) = delete;

  /// Seeds the DRBG and loads the trust store from `ca_file`, else LATCHKEY_CA_FILE, else the
  /// system bundle. Errors as HttpsClient::create documents them.
  Status init(const std::string& ca_file);
  /// Binds `ssl` to this configuration, with SNI and the certificate checks for `peer` (which
  /// must outlive the handshake): 0 or an mbedTLS code.
  int bind(mbedtls_ssl_context* ssl, TlsPeer* peer);

 private:
  mbedtls_entropy_context entropy_;
  mbedtls_ctr_drbg_context drbg_;
  mbedtls_x509_crt ca_;
  mbedtls_ssl_config conf_;
};

/// mbedTLS's text for an error code.
std::string mbedtls_text(int code);

/// Why the handshake with `where` ("host:port") ended in mbedTLS code `r`, and what to do.
/// `budget_ms` is the time it had.
std::string handshake_failure(const mbedtls_ssl_context& ssl, const TlsPeer& peer, int r, const std::string& where,
                              std::int64_t budget_ms);

}  // namespace latchkey::native::client
