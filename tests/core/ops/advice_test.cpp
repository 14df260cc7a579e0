// The core's advice in each surface's words (core/src/ops/advice.cpp): the messages name CLI
// commands; the JS package's callers and the gateway's read their own calls and routes.
#include <gtest/gtest.h>

#include "latchkey/advice.hpp"

namespace latchkey {
namespace {

struct Case {
  const char* cli;
  const char* js;
  const char* http;
};

// Each command form the core's messages use, as written there, with what each surface says.
const Case kCases[] = {
    {"run `latchkey connect github`", "run `broker.authorize('github')`", "run `POST /v1/providers/github/authorize`"},
    {"run `latchkey connect acme --account ann`", "run `broker.authorize('acme', { account: 'ann' })`",
     "run `POST /v1/providers/acme/authorize with account=ann`"},
    {"start again with `latchkey connect devas --device`", "start again with `broker.device('devas')`",
     "start again with `POST /v1/providers/devas/device`"},
    {"start again with `latchkey connect PROVIDER --device`", "start again with `broker.device(provider)`",
     "start again with `POST /v1/providers/{provider}/device`"},
    {"(`latchkey disconnect` then `latchkey connect`)", "(`broker.disconnect(connection)` then `broker.authorize(provider)`)",
     "(`DELETE /v1/connections/{id}` then `POST /v1/providers/{provider}/authorize`)"},
    {"see `latchkey providers list`, or register it with `latchkey providers register`",
     "see `broker.providers.list()`, or register it with `broker.providers.register(definition)`",
     "see `GET /v1/providers`, or register it with `POST /v1/providers`"},
    {"use `latchkey providers update`", "use `broker.providers.update(definition)`", "use `PUT /v1/providers/{key}`"},
    {"`latchkey providers delete mcp --force`, then `latchkey providers discover https://mcp.example.com/mcp "
     "--provider-key mcp --mcp`",
     "`broker.providers.remove('mcp', { force: true })`, then "
     "`broker.providers.discover('https://mcp.example.com/mcp', { key: 'mcp', mcp: true })`",
     "`DELETE /v1/providers/mcp?force=true`, then "
     "`POST /v1/providers/discover with url=https://mcp.example.com/mcp, key=mcp, mcp=true`"},
    {"then `latchkey providers discover https://as.example.com --provider-key as`",
     "then `broker.providers.discover('https://as.example.com', { key: 'as' })`",
     "then `POST /v1/providers/discover with url=https://as.example.com, key=as`"},
    {"run `latchkey apps upsert --provider x --client-id ID --client-secret-stdin` first",
     "run `broker.apps.upsert({ provider: 'x', clientId, clientSecret })` first",
     "run `PUT /v1/providers/x/app with client_id, client_secret` first"},
    {"set it with `latchkey apps upsert --auth-method private_key_jwt --client-secret-file key.pem`",
     "set it with `broker.apps.upsert({ provider, tokenEndpointAuthMethod: 'private_key_jwt', clientSecret })`",
     "set it with `PUT /v1/providers/{provider}/app with token_endpoint_auth_method, client_secret`"},
    {"set it with `latchkey apps upsert --key-id KEY_ID`", "set it with `broker.apps.upsert({ provider, keyId })`",
     "set it with `PUT /v1/providers/{provider}/app with key_id`"},
    {"use `latchkey apps upsert`", "use `broker.apps.upsert({ provider })`", "use `PUT /v1/providers/{provider}/app`"},
};

TEST(Advice, EachSurfaceNamesItsOwnCalls) {
  for (const Case& c : kCases) {
    EXPECT_EQ(advice_for(c.cli, Surface::cli), c.cli);
    EXPECT_EQ(advice_for(c.cli, Surface::js), c.js);
    EXPECT_EQ(advice_for(c.cli, Surface::http), c.http);
  }
}

TEST(Advice, LeavesEverythingElseAsItIs) {
  for (const char* text : {"no advice here", "`latchkey` alone", "an open `latchkey connect x", "`latchkeyd store check`",
                           "`latchkey frobnicate now`", ""}) {
    EXPECT_EQ(advice_for(text, Surface::js), text);
    EXPECT_EQ(advice_for(text, Surface::http), text);
  }
}

}  // namespace
}  // namespace latchkey
