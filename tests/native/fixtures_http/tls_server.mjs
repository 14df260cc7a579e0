// A small HTTP(S) server for tests/native/https_client_test.cpp, on an ephemeral loopback port.
//
//   node tls_server.mjs --cert CERT.pem --key KEY.pem   # HTTPS
//   node tls_server.mjs --plain                         # plain HTTP
//   options: --host 127.0.0.1 (default) | ::1
//
// Prints {"port": N} on one line once listening; runs until killed (SIGTERM) or stdin closes.
//
// Routes:
//   /json                 a small JSON document
//   /chunked              a body sent in several chunks (Transfer-Encoding: chunked)
//   /big?n=BYTES          BYTES of 'x' with Content-Length; &chunked=1 without it (chunked)
//   /slow                 never answers (timeouts)
//   /count                {"connections": how many TCP connections this server accepted so far}
//   /echo                 {"method", "url", "headers": [[name, value]...], "body"}
//   /redirect-same        302 to /json (relative)
//   /redirect-same-abs    302 to this server's own origin, as received in Host
//   /redirect-other       302 to the same server under another host name (127.0.0.1 <-> localhost)
//   /redirect-loop        302 to itself
//   /redirect-303         303 to /echo;  /redirect-307: 307 to /echo
//   /close                answers with Connection: close
//   /kill-on-next         answers normally, then destroys the connection as soon as the next
//                         request arrives on it, without answering (a server dropping an idle
//                         keep-alive connection just as the client reuses it)
//   /hangup               destroys the connection without answering
//   /drop-soon            answers, then closes the connection 20 ms later
//   /early-hints?n=N      N (default 1) 103 Early Hints interim responses, then the real one
//   /many-headers?n=N     N response headers X-H-i: i, in order
//   /no-length            a body delimited by the end of the connection (no length, not chunked)

import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const plain = args.includes('--plain');
const host = opt('--host') || '127.0.0.1';

let connections = 0;
const doomed = new WeakSet();

function handler(req, res) {
  if (doomed.has(req.socket)) {
    req.socket.destroy();
    return;
  }
  const url = new URL(req.url, 'http://x');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => route(req, res, url, Buffer.concat(chunks)));
}

function sendJson(res, status, value, headers = {}) {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length, ...headers });
  res.end(body);
}

function redirect(res, status, location) {
  res.writeHead(status, { Location: location, 'Content-Length': 0 });
  res.end();
}

function route(req, res, url, body) {
  const scheme = plain ? 'http' : 'https';
  const port = req.socket.localPort;
  switch (url.pathname) {
    case '/json':
      return sendJson(res, 200, { ok: true, name: 'latchkey' });
    case '/chunked': {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const parts = ['alpha,', 'beta,', 'gamma,', 'delta'];
      const next = () => {
        if (parts.length === 0) return res.end();
        res.write(parts.shift());
        setTimeout(next, 5);
      };
      return next();
    }
    case '/big': {
      const n = Number(url.searchParams.get('n') || '0');
      const chunked = url.searchParams.get('chunked') === '1';
      res.writeHead(200, chunked ? { 'Content-Type': 'text/plain' }
        : { 'Content-Type': 'text/plain', 'Content-Length': n });
      const block = Buffer.alloc(64 * 1024, 'x');
      let left = n;
      const pump = () => {
        while (left > 0) {
          const piece = left >= block.length ? block : block.subarray(0, left);
          left -= piece.length;
          if (!res.write(piece)) return res.once('drain', pump);
        }
        res.end();
      };
      // A client that stops reading (size cap) closes the connection; stop writing then.
      res.on('close', () => { left = 0; });
      return pump();
    }
    case '/slow':
      return;  // never answers
    case '/count':
      return sendJson(res, 200, { connections });
    case '/echo': {
      const headers = [];
      for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
      return sendJson(res, 200, { method: req.method, url: req.url, headers, body: body.toString('utf8') });
    }
    case '/redirect-same':
      return redirect(res, 302, '/json');
    case '/redirect-same-abs':
      return redirect(res, 302, `${scheme}://${req.headers.host}/json`);
    case '/redirect-other': {
      const other = (req.headers.host || '').startsWith('localhost') ? '127.0.0.1' : 'localhost';
      return redirect(res, 302, `${scheme}://${other}:${port}/json`);
    }
    case '/redirect-loop':
      return redirect(res, 302, '/redirect-loop');
    case '/redirect-303':
      return redirect(res, 303, '/echo');
    case '/redirect-307':
      return redirect(res, 307, '/echo');
    case '/close':
      return sendJson(res, 200, { closing: true }, { Connection: 'close' });
    case '/kill-on-next':
      doomed.add(req.socket);
      return sendJson(res, 200, { doomed: true });
    case '/hangup':
      return req.socket.destroy();
    case '/drop-soon':
      // Answers, then closes the idle connection 20 ms later (a short keep-alive timeout).
      sendJson(res, 200, { dropping: true });
      return setTimeout(() => req.socket.destroy(), 20);
    case '/early-hints':
      // 103 interim responses before the real one.
      for (let i = Number(url.searchParams.get('n') || '1'); i > 0; i--) {
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
      }
      return sendJson(res, 200, { hinted: true });
    case '/many-headers': {
      const n = Number(url.searchParams.get('n') || '0');
      const headers = [];
      for (let i = 0; i < n; i++) headers.push(`X-H-${i}`, String(i));
      headers.push('Content-Length', '2');
      res.writeHead(200, headers);
      return res.end('ok');
    }
    case '/no-length':
      // Without Content-Length and with Connection: close, node ends the body by closing.
      res.useChunkedEncodingByDefault = false;
      res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close' });
      res.write('until ');
      return res.end('the end');
    default:
      return sendJson(res, 404, { error: 'not_found' });
  }
}

const options = { maxHeaderSize: 64 * 1024 };
const server = plain
  ? http.createServer(options, handler)
  : https.createServer({ ...options, cert: readFileSync(opt('--cert')), key: readFileSync(opt('--key')) }, handler);
server.on('connection', () => { connections += 1; });
server.keepAliveTimeout = 10000;
server.listen(0, host, () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
// The test process holds our stdin: when it exits, so do we (no orphaned servers).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
