// The provider schema is defined once, in the core (core/src/provider/provider_schema.cpp), and
// exported at build time as <build>/provider_schema.json (a JSON Schema). This script makes
// everything else that describes a provider from that export, and checks it is so:
//   docs/provider-schema.json    the export, formatted
//   docs/provider-schema.md      the schema for users
//   web/src/provider_schema.ts   the vault page's ProviderDefinition type and field rules
//   wasm/pkg/index.d.ts          the block between its "provider schema" markers (camelCase)
// and that web/src/api.ts, web/src/validate.ts and index.d.ts's Provider take the schema's
// members and rules from those generated parts instead of restating them.
//
//   node tests/schema/provider_schema.mjs --check build/native/provider_schema.json   (ctest provider_schema)
//   node tests/schema/provider_schema.mjs --write build/native/provider_schema.json   (after a schema change)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const [mode, exported] = process.argv.slice(2);
if (!['--check', '--write'].includes(mode) || !exported) {
  console.error('usage: provider_schema.mjs --check|--write <build>/provider_schema.json');
  process.exit(2);
}
const schema = JSON.parse(readFileSync(exported, 'utf8'));
const GENERATED = 'Generated from the core\'s provider schema (docs/provider-schema.json) by tests/schema/provider_schema.mjs --write: do not edit.';
const BEGIN = '// BEGIN provider schema: ' + GENERATED;
const END = '// END provider schema';

// ---------------------------------------------------------------------------------------------
// Walking the schema

const typesOf = (p) => (Array.isArray(p.type) ? p.type : [p.type]);
const nullable = (p) => typesOf(p).includes('null');
const baseType = (p) => typesOf(p).find((t) => t !== 'null');
const values = (p) => (p.enum ?? []).filter((v) => v !== null);

/// Every member with its path ("token_response.root", "template_params.*.pattern").
function members(obj, prefix = '') {
  const out = [];
  for (const [name, p] of Object.entries(obj.properties ?? {})) {
    const path = prefix + name;
    out.push({ path, name, p, required: (obj.required ?? []).includes(name) });
    if (p.properties) out.push(...members(p, `${path}.`));
    if (p.additionalProperties?.properties) out.push(...members(p.additionalProperties, `${path}.*.`));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// TypeScript

const camel = (s) => s.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const lit = (v) => `'${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/// The TypeScript type of one member as read back (provider_to_json's form).
function tsType(p, naming, aliases, path, indent) {
  let t;
  const alias = aliases[path];
  if (alias) t = alias.name;
  else if (values(p).length) t = values(p).map(lit).join(' | ');
  else {
    switch (baseType(p)) {
      case 'string': t = 'string'; break;
      case 'boolean': t = 'boolean'; break;
      case 'integer': t = 'number'; break;
      case 'array': t = 'string[]'; break;
      case 'object':
        if (p.properties) t = tsObject(p, naming, aliases, `${path}.`, indent);
        else if (p.additionalProperties?.properties) t = `Record<string, ${tsObject(p.additionalProperties, naming, aliases, `${path}.*.`, indent)}>`;
        else t = 'Record<string, string>';
        break;
      default: throw new Error(`${path}: unknown type ${JSON.stringify(p.type)}`);
    }
  }
  return nullable(p) ? `${t} | null` : t;
}

function tsObject(obj, naming, aliases, prefix, indent) {
  const pad = '  '.repeat(indent + 1);
  const lines = Object.entries(obj.properties).map(([name, p]) =>
    `${pad}/** ${p.description} */\n${pad}${naming(name)}${p['x-written-when-set'] ? '?' : ''}: ${tsType(p, naming, aliases, prefix + name, indent + 1)};`);
  return `{\n${lines.join('\n')}\n${'  '.repeat(indent)}}`;
}

function tsDefinition(naming, aliases) {
  const aliasLines = Object.entries(aliases).map(([path, a]) => {
    const m = members(schema).find((x) => x.path === path);
    return `/** ${a.doc} */\nexport type ${a.name} = ${values(m.p).map(lit).join(' | ')};\n`;
  });
  return `${aliasLines.join('\n')}${aliasLines.length ? '\n' : ''}/** One provider definition (docs/provider-schema.md), as every read returns it. */\n` +
    `export interface ProviderDefinition ${tsObject(schema, naming, aliases, '', 0)}\n`;
}

function webModule() {
  const rules = {};
  for (const { path, p } of members(schema)) {
    const r = {};
    if (p.pattern) r.pattern = p.pattern;
    if (values(p).length) r.values = values(p);
    if (p.maxLength) r.maxLength = p.maxLength;
    if (p.items?.pattern) r.itemPattern = p.items.pattern;
    if (p.propertyNames?.pattern) r.namePattern = p.propertyNames.pattern;
    if (Object.keys(r).length) rules[path] = r;
  }
  const body = Object.entries(rules).map(([path, r]) =>
    `  ${lit(path)}: { ${Object.entries(r).map(([k, v]) => `${k}: ${Array.isArray(v) ? `[${v.map(lit).join(', ')}]` : typeof v === 'string' ? lit(v) : v}`).join(', ')} },`);
  return `// ${GENERATED}\n\n${tsDefinition((n) => n, {})}\n` +
    '/** The rules of each member that has any, by path: anchored patterns (which read the same as\n' +
    ' * ECMAScript regular expressions), allowed values, length limits (bytes), and the patterns of\n' +
    ' * list items and member names. */\n' +
    `export const PROVIDER_FIELDS = {\n${body.join('\n')}\n} as const;\n`;
}

function dtsBlock() {
  const aliases = { token_endpoint_auth_method: { name: 'ClientAuthMethod', doc: 'How the client authenticates at the token endpoint; private_key_jwt (RFC 7523) signs an\n * assertion with the app\'s PEM private key (its client secret); signed_client_secret signs the client secret\n * itself with that key, as the provider\'s signedClientSecret says (Sign in with Apple).' } };
  return `${BEGIN}\n${tsDefinition(camel, aliases)}${END}`;
}

// ---------------------------------------------------------------------------------------------
// Markdown

const cell = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
/// A pattern as it is written (inline code, in double backticks when it holds one).
const raw = (s) => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);
const code = (v) => `\`${v === null ? 'null' : typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v)}\``;

function mdType(p) {
  const t = baseType(p);
  const shown = t === 'array' ? 'array of strings' : t === 'object' && !p.properties ? (p.additionalProperties?.properties ? 'object of objects' : 'object of strings') : t;
  return nullable(p) ? `${shown} or null` : shown;
}

function mdRules(p, required) {
  const r = [];
  if (required) r.push('**required**');
  if (values(p).length) r.push(`one of ${values(p).map(code).join(', ')}`);
  if (p.pattern) r.push(`matches ${raw(p.pattern)}`);
  if (p.maxLength) r.push(`at most ${p.maxLength} characters`);
  if (p.minimum !== undefined) r.push(`${p.minimum} to ${p.maximum}`);
  if (p.format === 'uri') r.push('URL');
  if (p.items?.pattern) r.push(`each matches ${raw(p.items.pattern)}`);
  if (p.propertyNames?.pattern) r.push(`names match ${raw(p.propertyNames.pattern)}`);
  if (p['x-written-when-set']) r.push('written only when set');
  return r.join('; ');
}

function mdTable(obj, prefix) {
  const rows = Object.entries(obj.properties).map(([name, p]) =>
    `| \`${prefix}${name}\` | ${mdType(p)} | ${'default' in p ? code(p.default) : ''} | ${cell(mdRules(p, (obj.required ?? []).includes(name)))} | ${cell(p.description)} |`);
  return ['| Member | Type | Default | Rules | What it is |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

function markdown() {
  const sections = [['The provider', schema, '']];
  for (const { path, p } of members(schema)) {
    if (p.properties) sections.push([`\`${path}\``, p, `${path}.`]);
    if (p.additionalProperties?.properties) sections.push([`\`${path}\` entries`, p.additionalProperties, `${path}.<name>.`]);
  }
  return `# Provider schema

<!-- ${GENERATED} -->

A provider definition is one JSON object: what \`latchkey providers register\` and \`POST /v1/providers\` take,
what \`broker.providers.register()\` takes in JavaScript, and what every read returns (the JavaScript package
returns the same members in camelCase). The built-in catalog (core/catalog/providers.json) uses the same schema.

The schema is defined once, in the core (\`core/src/provider/provider_schema.cpp\`), and exported at build time
as a JSON Schema (2020-12): [provider-schema.json](provider-schema.json). These tables, the vault page's checks
and the JavaScript types are made from that export, and a test (\`ctest -R provider_schema\`) fails if any of them
differs from it.

Members not listed are refused, as are wrong types. A member that may be null may also be \`""\`; both mean
unset. A member left out takes its default. URLs must be absolute https URLs (http only to a loopback address:
localhost, 127.0.0.0/8, [::1]) without credentials or a fragment (\`docs_url\` may have one).

${sections.map(([title, obj, prefix]) => `## ${title}\n\n${mdTable(obj, prefix)}\n`).join('\n')}
## Rules across members

The core also checks rules that involve more than one member (\`validate_provider\`); its message names the member
to fix:

- \`auth_mode\` decides which endpoints are required: \`oauth2\` needs \`authorization_endpoint\` and
  \`token_endpoint\`; \`client_credentials\` needs \`token_endpoint\` and no \`authorization_endpoint\`; \`oauth1\` needs
  \`request_token_endpoint\`, \`authorization_endpoint\` and \`token_endpoint\`. \`signature_method\` is only for \`oauth1\`.
- Every \`{name}\` placeholder in a URL, injection host or parameter value is declared in \`template_params\`, and every
  declaration is used. A value used in a URL or host may not contain \`/ ? # @ \\\` or whitespace.
- \`injection.hosts\` lists the origins a token may go to; \`api_base_url\`, \`ping.url\` and \`identity.url\` must be
  among them. When \`injection.hosts\` is left out, it is the origin of \`api_base_url\`. Exactly one of
  \`injection.header\` and \`injection.query_param\` is set.
- \`authorization_params\` and \`token_params\` may not set what latchkey sets itself (\`state\`, \`redirect_uri\`,
  \`code_challenge\`, the scope parameter, \`grant_type\`, \`code\`, \`client_secret\`, …).
- \`token_response.keep\` may not name a token (\`access_token\`, \`refresh_token\`, \`id_token\`, …) or the object
  \`token_response.root\` names.
- \`authorization_response_iss_parameter_supported\` needs \`issuer\`; with \`scope_separator\` \`","\`, no scope
  contains a comma.
- \`ping.url\`, \`identity.url\` and \`metadata.url\` must be among \`injection.hosts\` too.
- \`exchange_params\`, \`refresh.params\` and \`long_lived_exchange.params\` follow \`token_params\`'s rule;
  \`token_request_headers\` and \`api_headers\` may not set \`Authorization\`, \`Content-Type\`, \`Content-Length\`,
  \`Host\`, \`Transfer-Encoding\` or \`Cookie\`.
- \`long_lived_exchange\` is for \`oauth2\`, needs \`url\` and trades the access token (\`token\` \`"access_token"\`).
  A \`refresh\` whose \`token\` is \`"access_token"\` refreshes connections that hold no refresh token.
- \`token_endpoint_auth_method\` \`"signed_client_secret"\` needs \`signed_client_secret\`, whose \`issuer\` and
  \`audience\` may use template values (Sign in with Apple: \`"{team_id}"\`) but never learned ones. The secret is
  signed afresh for every request that authenticates the client (code exchange, refresh, revocation, pushed
  authorization) with the app's PEM key (its client secret) and \`key_id\`, and sent as \`client_secret\` in the body.
- Every scope \`scope_descriptions\` describes is one of \`available_scopes\`, each description one line; \`logo_url\`
  is https (never http, not even to loopback: browsers load it) and holds no \`{placeholder}\`.

## Values learned when connecting

Some providers name a connection's API host or account only when it is made. A template parameter with \`from\` is
such a value: nobody gives it (an app or a connect that does is refused); the core takes it from the provider's
answers during the connect, checks it against the parameter's \`pattern\` as a value in a URL, stores it on the
connection with its other template values, and fills it into \`api_base_url\`, \`injection.hosts\` and the other
URLs at every later request. A token therefore still goes only to a host the provider named *and* the pattern allows;
a value that fails the pattern fails the connect (\`malformed_response\`) and nothing is stored.

\`from\` names one or more sources, joined by \` || \` (the first present wins; then \`default\`; with neither,
the connect fails):

- \`token_response.PATH\`: a dotted path into the token endpoint's answer to the code exchange
  (Salesforce: \`token_response.instance_url\`);
- \`callback.NAME\`: a parameter of the authorization callback's query (QuickBooks: \`callback.realmId\`; given
  twice, the connect fails);
- \`metadata.PATH\`: a dotted path into the answer of the provider's \`metadata\` request, made once with the new
  token (Mailchimp: \`metadata.dc\`).

\`"take": "host"\` keeps the host (and port) of a value that is a bare https origin (\`https://na1.my.salesforce.com\`
→ \`na1.my.salesforce.com\`); anything with a path, query or another scheme fails the connect. Sources may not be
tokens or the code (\`access_token\`, \`code\`, \`state\`, …): learned values are stored unsealed.

Where a learned value may be used: not in anything the authorization request needs (\`authorization_endpoint\`,
\`pushed_authorization_request_endpoint\`, \`resource\`, \`issuer\`, \`authorization_params\`, \`metadata.url\`);
in \`token_endpoint\` and \`token_params\` only when every source is \`callback.\` (Zoho's accounts server). The
provider must be \`oauth2\` without a device grant (values are learned in the callback).

\`\`\`json
"api_base_url": "https://{instance}/services/data",
"template_params": {
  "instance": {"pattern": "^[a-z0-9-]+(\\\\.[a-z0-9-]+)*\\\\.salesforce\\\\.com$", "description": "The org's API host",
               "from": "token_response.instance_url", "take": "host"}
},
"injection": {"hosts": ["https://{instance}"]}
\`\`\`
`;
}

// ---------------------------------------------------------------------------------------------
// Checks on the hand-written files: they take the schema's members from the generated parts.

function handWritten(problems) {
  const top = Object.keys(schema.properties);
  const interfaceBody = (text, name) => {
    const m = new RegExp(`export interface ${name}\\b[^{]*\\{([\\s\\S]*?)\\n\\}`).exec(text);
    return m ? m[1] : null;
  };
  const declared = (body, names) => names.filter((n) => new RegExp(`^\\s*['"]?${n}['"]?\\??\\s*:`, 'm').test(body));

  const api = readFileSync(join(root, 'web/src/api.ts'), 'utf8');
  if (!/export interface Provider extends ProviderDefinition\b/.test(api)) problems.push('web/src/api.ts: Provider must extend ProviderDefinition (web/src/provider_schema.ts)');
  const apiBody = interfaceBody(api, 'Provider') ?? '';
  for (const n of declared(apiBody, top)) problems.push(`web/src/api.ts: Provider restates the schema's member ${n}; it comes from ProviderDefinition`);

  const dts = readFileSync(join(root, 'wasm/pkg/index.d.ts'), 'utf8');
  if (!/export interface Provider extends ProviderDefinition\b/.test(dts)) problems.push('wasm/pkg/index.d.ts: Provider must extend ProviderDefinition (the generated block)');
  const dtsBody = interfaceBody(dts.replace(/\/\/ BEGIN provider schema[\s\S]*?\/\/ END provider schema/, ''), 'Provider') ?? '';
  for (const n of declared(dtsBody, top.map(camel))) problems.push(`wasm/pkg/index.d.ts: Provider restates the schema's member ${n}; it comes from ProviderDefinition`);

  // The page's checks use the schema's rules: no pattern or value list of the schema retyped.
  const validate = readFileSync(join(root, 'web/src/validate.ts'), 'utf8');
  if (!/from '\.\/provider_schema'/.test(validate)) problems.push('web/src/validate.ts must take its provider rules from ./provider_schema');
  for (const { path, p } of members(schema)) {
    for (const v of values(p)) {
      if (v.length > 3 && validate.includes(`'${v}'`)) problems.push(`web/src/validate.ts restates ${path}'s value '${v}'; use PROVIDER_FIELDS`);
    }
  }
  for (const re of validate.matchAll(/\/\^[^\n]*?\$\//g)) {
    const body = re[0].slice(1, -1);
    for (const { path, p } of members(schema)) {
      if ([p.pattern, p.items?.pattern, p.propertyNames?.pattern].includes(body)) problems.push(`web/src/validate.ts restates ${path}'s pattern; use PROVIDER_FIELDS`);
    }
  }
}

// ---------------------------------------------------------------------------------------------

const dtsPath = join(root, 'wasm/pkg/index.d.ts');
const dtsText = readFileSync(dtsPath, 'utf8');
const blockRe = /\/\/ BEGIN provider schema[^\n]*\n[\s\S]*?\/\/ END provider schema/;
if (!blockRe.test(dtsText)) {
  console.error('wasm/pkg/index.d.ts has no "// BEGIN provider schema" … "// END provider schema" block');
  process.exit(1);
}
const outputs = [
  ['docs/provider-schema.json', `${JSON.stringify(schema, null, 2)}\n`],
  ['docs/provider-schema.md', markdown()],
  ['web/src/provider_schema.ts', webModule()],
  ['wasm/pkg/index.d.ts', dtsText.replace(blockRe, () => dtsBlock())],
];

if (mode === '--write') {
  for (const [file, text] of outputs) writeFileSync(join(root, file), text);
  console.log(`wrote ${outputs.map(([f]) => f).join(', ')}`);
}
const problems = [];
for (const [file, want] of outputs) {
  let have = '';
  try { have = readFileSync(join(root, file), 'utf8'); } catch { problems.push(`${file} is missing`); continue; }
  if (have === want) continue;
  const a = have.split('\n');
  const b = want.split('\n');
  let i = 0;
  while (i < a.length && a[i] === b[i]) i += 1;
  problems.push(`${file} differs from the core's schema at line ${i + 1}:\n    has:      ${a[i] ?? '(end of file)'}\n    expected: ${b[i] ?? '(end of file)'}`);
}
handWritten(problems);
if (problems.length) {
  console.error(`The provider schema and what is made from it disagree (regenerate with: node tests/schema/provider_schema.mjs --write ${exported}):\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
console.log('provider schema: docs, web and wasm types agree with the core');
