// connect --device: the device authorization grant (RFC 8628) for machines without a browser.
// The user opens the verification page on any device (a phone, via the QR code) and types the
// code; this process polls until they approve, refuse, or the code expires.
#include <iostream>

#include "qr.hpp"
#include "session.hpp"

namespace latchkey::cli {

int run_device_connect(Session& session, const std::string& provider, std::vector<std::string> scopes,
                       const std::string& account, int timeout_s, bool json) {
  auto m = session.managed(provider);
  if (!m) return report(m.error(), json);
  if (*m) {
    return report(make_error(ErrorCode::unsupported, "'" + provider +
                                                         "' is managed by the gateway, which does not run device "
                                                         "sign-ins for the CLI yet; connect without --device"),
                  json);
  }
  auto h = session.host();
  if (!h) return report(h.error(), json);
  native::Host& host = **h;
  auto p = host.run(host.engine().get_provider(provider));
  if (!p) return report(p.error(), json);

  DeviceRequest req;
  req.principal = session.principal;
  req.provider = provider;
  req.account = account;
  req.scopes = std::move(scopes);
  req.timeout_ms = std::int64_t{timeout_s} * 1000;  // 0: until the code expires
  auto start = host.run(host.engine().device_authorize(req));
  if (!start) return report(start.error(), json);

  // Everything for the user goes to stderr, so --json output stays one document on stdout.
  // The core has already checked both URIs are https and the code printable ASCII.
  const std::string& link = start->verification_uri_complete.empty() ? start->verification_uri
                                                                      : start->verification_uri_complete;
  std::cerr << "To connect " << term(p->provider.display_name) << ", open this page on any device:\n  "
            << term(start->verification_uri) << "\nand enter the code:\n  " << term(start->user_code) << "\n";
  if (!start->verification_uri_complete.empty()) {
    std::cerr << "(or open " << term(start->verification_uri_complete) << ", which carries the code)\n";
  }
  if (auto qr = qr_terminal(link)) std::cerr << "\n" << *qr << "\n";
  const std::int64_t left_s = (start->expires_at_ms - native::Host::now_ms() + 999) / 1000;
  if (timeout_s > 0 && left_s <= timeout_s) {
    std::cerr << "Waiting for the approval (up to " << left_s << " s)...\n" << std::flush;
  } else {
    std::cerr << "Waiting for the approval (the code expires in " << (left_s + 59) / 60 << " min)...\n" << std::flush;
  }

  auto c = host.run(host.engine().device_poll({session.principal, start->handle}));
  if (!c) return report(c.error(), json);
  print_connection(*c, json);
  return kOk;
}

}  // namespace latchkey::cli
