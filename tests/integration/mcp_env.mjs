// The MCP fixtures together, shared by the CLI's and the gateway's MCP tests: oidc-provider with
// dynamic client registration (RFC 7591) and a loopback MCP server naming it in its metadata.
import { startAuthServer } from '../fixtures/auth_server.mjs';
import { startMcpServer } from '../fixtures/mcp_server.mjs';
import { Cli, tempDir } from './harness.mjs';

/// { as, mcp, cli (a fresh store trusting pki's CA), close() }.
export async function startMcpEnv({ pki, requirePar = false, wellKnown = true } = {}) {
  const as = await startAuthServer({ pki, registration: true, requirePar });
  const mcp = await startMcpServer({ pki, authServer: as, wellKnown });
  const cli = new Cli({ dir: tempDir(), caFile: pki.ca.cert });
  return { as, mcp, cli, async close() { await mcp.close(); await as.close(); } };
}
