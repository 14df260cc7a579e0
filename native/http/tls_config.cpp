#include "http/tls_config.hpp"

#include <arpa/inet.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include <mbedtls/error.h>
#include <mbedtls/oid.h>

#include "http/ascii.hpp"
#include "http/request_target.hpp"

namespace latchkey::native::client {
namespace {

constexpr const char* kSystemBundle = "/etc/ssl/certs/ca-certificates.crt";
// RFC 7301 ALPN: we speak HTTP/1.1 only. Static storage: mbedTLS keeps the pointer.
const char* const kAlpn[] = {"http/1.1", nullptr};

std::string leaf_names(const mbedtls_x509_crt* crt) {
  std::vector<std::string> names;
  if (crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) {
    for (const mbedtls_x509_sequence* s = &crt->subject_alt_names; s != nullptr; s = s->next) {
      unsigned char type = s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK;
      if (s->buf.p == nullptr) continue;
      if (type == MBEDTLS_X509_SAN_DNS_NAME) {
        names.emplace_back(reinterpret_cast<const char*>(s->buf.p), s->buf.len);
      } else if (type == MBEDTLS_X509_SAN_IP_ADDRESS && (s->buf.len == 4 || s->buf.len == 16)) {
        char text[INET6_ADDRSTRLEN] = {};
        inet_ntop(s->buf.len == 4 ? AF_INET : AF_INET6, s->buf.p, text, sizeof text);
        names.emplace_back(text);
      }
    }
  } else {
    for (const mbedtls_x509_name* n = &crt->subject; n != nullptr; n = n->next) {
      if (n->oid.p != nullptr && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
        names.emplace_back(reinterpret_cast<const char*>(n->val.p), n->val.len);
      }
    }
  }
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < 3; ++i) {
    if (i) out += ", ";
    for (char ch : names[i]) out += (ch >= 0x20 && ch < 0x7f) ? ch : '?';  // names are peer data
  }
  if (names.size() > 3) out += ", ...";
  return out.empty() ? "no host name" : out;
}

/// Called by mbedTLS for every certificate in the chain after its own checks; may change flags.
/// For IP literals we match iPAddress SANs ourselves (mbedTLS 2.28 only knows dNSName).
int verify_callback(void* ctx, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
  if (depth != 0) return 0;
  auto* c = static_cast<TlsPeer*>(ctx);
  c->cert_names = leaf_names(crt);
  if (c->host_is_ip) {
    // RFC 6125 §6.2.1: an IP address must be matched by an iPAddress SAN, never by a DNS name
    // or the subject CN.
    bool match = false;
    if (crt->ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) {
      for (const mbedtls_x509_sequence* s = &crt->subject_alt_names; s != nullptr; s = s->next) {
        if ((s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK) == MBEDTLS_X509_SAN_IP_ADDRESS && s->buf.p != nullptr &&
            s->buf.len == c->ip_len && std::memcmp(s->buf.p, c->ip, c->ip_len) == 0) {
          match = true;
        }
      }
    }
    if (match) {
      *flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_CN_MISMATCH);
    } else {
      *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    }
  }
  return 0;
}

std::string verify_failure_text(const TlsPeer& c, std::uint32_t flags) {
  const std::string& host = c.host;
  const char* ca_hint = "pass --ca-file or set LATCHKEY_CA_FILE to the issuing CA's PEM";
  bool untrusted = flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED;
  bool mismatch = flags & MBEDTLS_X509_BADCERT_CN_MISMATCH;
  if (untrusted && mismatch) {
    return "the TLS certificate of " + host + " is not trusted (unknown CA) and is for " + c.cert_names + ", not " +
           host + "; check the URL, or " + ca_hint;
  }
  if (untrusted) return "the TLS certificate of " + host + " is not trusted (unknown CA); " + ca_hint;
  if (mismatch) {
    return "the TLS certificate is for " + c.cert_names + ", not " + host +
           "; check the host name in the URL (the server may be misconfigured)";
  }
  if (flags & MBEDTLS_X509_BADCERT_EXPIRED) {
    return "the TLS certificate of " + host +
           " has expired; check this computer's clock, or ask the server's operator to renew it";
  }
  if (flags & MBEDTLS_X509_BADCERT_FUTURE) {
    return "the TLS certificate of " + host + " is not valid yet; check this computer's clock";
  }
  if (flags & MBEDTLS_X509_BADCERT_REVOKED) {
    return "the TLS certificate of " + host + " has been revoked; ask the server's operator to replace it";
  }
  char info[512];
  int n = mbedtls_x509_crt_verify_info(info, sizeof info, "", flags);
  std::string detail = n > 0 ? std::string(info, static_cast<std::size_t>(n)) : std::string("unknown reason");
  auto nl = detail.find('\n');
  if (nl != std::string::npos) detail.resize(nl);
  while (!detail.empty() && (detail.back() == '.' || detail.back() == ' ')) detail.pop_back();
  return "the TLS certificate of " + host + " was rejected (" + detail + "); ask the server's operator to fix it";
}

}  // namespace

std::string mbedtls_text(int code) {
  char buf[160];
  mbedtls_strerror(code, buf, sizeof buf);
  return buf;
}

TlsConfig::TlsConfig() {
  mbedtls_entropy_init(&entropy_);
  mbedtls_ctr_drbg_init(&drbg_);
  mbedtls_x509_crt_init(&ca_);
  mbedtls_ssl_config_init(&conf_);
}

TlsConfig::~TlsConfig() {
  mbedtls_ssl_config_free(&conf_);
  mbedtls_x509_crt_free(&ca_);
  mbedtls_ctr_drbg_free(&drbg_);
  mbedtls_entropy_free(&entropy_);
}

Status TlsConfig::init(const std::string& ca_file) {
  static const unsigned char kPersonalization[] = "latchkey https client";
  int r = mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, kPersonalization, sizeof kPersonalization - 1);
  if (r != 0) {
    return make_error(ErrorCode::internal,
                      "could not seed the TLS random generator from the operating system (" + mbedtls_text(r) + ")");
  }

  std::string path = ca_file;
  std::string source = "the CA file ";
  if (path.empty()) {
    const char* env = std::getenv("LATCHKEY_CA_FILE");
    if (env != nullptr && *env != '\0') {
      path = env;
      source = "LATCHKEY_CA_FILE names ";
    } else {
      path = kSystemBundle;
      source = "the system CA bundle ";
    }
  }
  r = mbedtls_x509_crt_parse_file(&ca_, path.c_str());
  if (r == MBEDTLS_ERR_PK_FILE_IO_ERROR) {
    std::string fix = ca_file.empty() && source == "the system CA bundle "
                          ? "; install the ca-certificates package, or pass --ca-file or set LATCHKEY_CA_FILE"
                          : "; check the path";
    return make_error(ErrorCode::invalid_request, "could not read " + source + path + fix);
  }
  if (r < 0 || ca_.version == 0) {
    return make_error(ErrorCode::invalid_request,
                      source + path + " holds no certificate that could be read (" +
                          (r < 0 ? mbedtls_text(r) : std::string("empty")) + "); it must be a PEM bundle of CA certificates");
  }

  r = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                  MBEDTLS_SSL_PRESET_DEFAULT);
  if (r != 0) return make_error(ErrorCode::internal, "could not configure TLS (" + mbedtls_text(r) + ")");
  // Verification is not optional: there is deliberately no switch to turn it off.
  mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&conf_, &ca_, nullptr);
  mbedtls_ssl_conf_rng(&conf_, mbedtls_ctr_drbg_random, &drbg_);
  // TLS 1.2 only: Debian's 2.28 also enables 1.0/1.1 (deprecated by RFC 8996) and has no
  // production TLS 1.3 client.
  mbedtls_ssl_conf_min_version(&conf_, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_max_version(&conf_, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_alpn_protocols(&conf_, const_cast<const char**>(kAlpn));
  return Ok{};
}

int TlsConfig::bind(mbedtls_ssl_context* ssl, TlsPeer* peer) {
  int r = mbedtls_ssl_setup(ssl, &conf_);
  if (r != 0) return r;
  // SNI and name verification for host names. IP literals get neither from mbedTLS (SNI must
  // not carry an address, RFC 6066 §3); verify_callback matches their iPAddress SANs instead.
  // Passing NULL explicitly also satisfies later 2.28.x releases, which refuse a handshake
  // whose hostname was never set.
  r = mbedtls_ssl_set_hostname(ssl, peer->host_is_ip ? nullptr : peer->host.c_str());
  if (r != 0) return r;
  mbedtls_ssl_set_verify(ssl, verify_callback, peer);
  return 0;
}

std::string handshake_failure(const mbedtls_ssl_context& ssl, const TlsPeer& peer, int r, const std::string& where,
                              std::int64_t budget_ms) {
  if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) return verify_failure_text(peer, mbedtls_ssl_get_verify_result(&ssl));
  if (r == MBEDTLS_ERR_SSL_TIMEOUT) {
    return where + " did not complete the TLS handshake within " + duration_text(budget_ms) +
           "; check that it serves https on this port, or raise the timeout";
  }
  if (r == MBEDTLS_ERR_SSL_CONN_EOF || r == MBEDTLS_ERR_NET_CONN_RESET || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
    return where + " closed the connection during the TLS handshake; check that it serves https on this port";
  }
  if (r == MBEDTLS_ERR_SSL_INVALID_RECORD || r == MBEDTLS_ERR_SSL_BAD_HS_SERVER_HELLO ||
      r == MBEDTLS_ERR_SSL_BAD_HS_PROTOCOL_VERSION) {
    return where + " did not answer with TLS 1.2 (" + mbedtls_text(r) +
           "); check that the URL's scheme and port are right (is it a plain http:// server?)";
  }
  if (r == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE) {
    return where + " refused the TLS handshake (it sent a fatal alert); the server may require TLS 1.3 or a "
                   "client certificate, which this client does not offer";
  }
  return "the TLS handshake with " + where + " failed (" + mbedtls_text(r) + ")";
}

}  // namespace latchkey::native::client

namespace latchkey::native {

TlsPeer tls_peer(const std::string& host) {
  TlsPeer peer;
  for (char ch : host) peer.host += client::lower_ascii(ch);
  const std::string name = client::host_name(host);
  // A host name never contains ':' (parse_target allows letters, digits, '-', '.' and '_'), so
  // anything inet_pton takes for IPv6 is an address, bracketed or not.
  if (inet_pton(AF_INET, name.c_str(), peer.ip) == 1) {
    peer.host_is_ip = true;
    peer.ip_len = 4;
  } else if (inet_pton(AF_INET6, name.c_str(), peer.ip) == 1) {
    peer.host_is_ip = true;
    peer.ip_len = 16;
  }
  return peer;
}

}  // namespace latchkey::native
