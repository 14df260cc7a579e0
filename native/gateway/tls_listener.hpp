// TLS on latchkeyd's own listener (--tls-cert/--tls-key), for a gateway that faces browsers
// without a reverse proxy. Each accepted connection gets a thread that does the mbedTLS
// handshake (TLS 1.2 and up) and then moves bytes between the client and one end of a socket
// pair; the server serves the other end exactly as it serves a plain connection, so the event
// loops and workers are the same code either way. A thread per connection is the price: a
// gateway with thousands of clients at once belongs behind nginx (docs/deploy.md).
//
// SIGHUP re-reads the certificate and key (renewals): connections made after it use the new
// pair, those already open keep theirs, and a pair that does not load leaves the old one in use.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "latchkey/result.hpp"

namespace latchkey::gateway {

class TlsListener {
 public:
  struct Credentials;  // an mbedTLS server configuration with its certificate, key and DRBG

  /// Loads `cert_file` (PEM chain, leaf first) and `key_file` (PEM). invalid_request naming the
  /// file and what is wrong with it (unreadable, not PEM, key does not match the certificate).
  static Result<std::unique_ptr<TlsListener>> open(const std::string& cert_file, const std::string& key_file);
  ~TlsListener();

  /// Loads the files again; on failure the pair in use stays (the error says why).
  Status reload();

  /// Takes the accepted TCP descriptor `client`; returns the descriptor to serve instead (the
  /// plaintext side), or -1 with `client` closed when no socket pair or thread could be made.
  /// `timeout_s` bounds the handshake and each write to a client that does not read.
  int wrap(int client, int timeout_s);

 private:
  TlsListener(std::string cert_file, std::string key_file) : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}
  std::string cert_file_, key_file_;
  std::mutex mu_;  // guards current_
  std::shared_ptr<const Credentials> current_;
};

}  // namespace latchkey::gateway
