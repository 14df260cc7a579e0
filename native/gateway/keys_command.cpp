#include "keys_command.hpp"

#include <cstdio>
#include <iostream>

#include "latchkey/text.hpp"

namespace latchkey::gateway {
namespace {

std::string when(std::int64_t ms) { return ms == 0 ? "never" : utc_text(ms); }

int fail(const Error& e) {
  std::cerr << "latchkeyd: " << e.message << "\n";
  return 1;
}

int print_issued(const IssuedKey& issued, bool json, const char* verb) {
  if (json) {
    std::printf("%s\n", serialize_json(issued_json(issued)).c_str());
  } else {
    std::printf("%s\n", issued.secret.c_str());
  }
  std::fprintf(stderr, "latchkeyd: %s key %s for %s (%s); it is shown only once: store it now.\n", verb,
               issued.info.id.c_str(), issued.info.principal.c_str(), issued.info.role.c_str());
  return 0;
}

}  // namespace

int run_keys_command(const native::HostOptions& options, KeysCommand command, const NewKey& new_key,
                     const std::string& expires_in, const std::string& id, bool json) {
  NewKey key = new_key;
  if (command == KeysCommand::create && !expires_in.empty()) {
    auto ms = parse_duration(expires_in);
    if (!ms) return fail(ms.error());
    key.expires_at_ms = native::Host::now_ms() + *ms;
  }
  auto host = native::Host::open(options);
  if (!host) return fail(host.error());
  native::Host& h = **host;
  switch (command) {
    case KeysCommand::list: {
      auto keys = list_keys(h);
      if (!keys) return fail(keys.error());
      if (json) {
        std::printf("%s\n", serialize_json(keys_json(*keys)).c_str());
        return 0;
      }
      if (keys->empty()) {
        std::printf("no API keys; make one with: latchkeyd keys create --principal NAME --role admin\n");
        return 0;
      }
      std::printf("%-22s %-6s %-16s %-20s %-20s %-20s %s\n", "ID", "ROLE", "PRINCIPAL", "CREATED", "LAST USED",
                  "EXPIRES", "LABEL");
      for (const auto& k : *keys) {
        const bool expired = key_expired(k, native::Host::now_ms());
        std::printf("%-22s %-6s %-16s %-20s %-20s %-20s %s\n", k.id.c_str(), k.role.c_str(), k.principal.c_str(),
                    when(k.created_at_ms).c_str(), when(k.last_used_at_ms).c_str(),
                    (when(k.expires_at_ms) + (expired ? " (expired)" : "")).c_str(), k.label.c_str());
      }
      return 0;
    }
    case KeysCommand::create: {
      auto issued = create_key(h, key);
      if (!issued) return fail(issued.error());
      return print_issued(*issued, json, "created");
    }
    case KeysCommand::rotate: {
      auto issued = rotate_key(h, id);
      if (!issued) return fail(issued.error());
      return print_issued(*issued, json, "rotated");
    }
    case KeysCommand::revoke: {
      auto revoked = revoke_key(h, id);
      if (!revoked) return fail(revoked.error());
      if (json) {
        std::printf("%s\n", serialize_json(JsonValue(JsonObject{{"revoked", key_json(*revoked)}})).c_str());
      } else {
        std::printf("revoked %s (%s, %s)\n", revoked->id.c_str(), revoked->principal.c_str(), revoked->role.c_str());
      }
      return 0;
    }
  }
  return 1;
}

}  // namespace latchkey::gateway
