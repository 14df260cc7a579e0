// The app for bundlers that do not follow `new URL(..., import.meta.url)` (esbuild): the .wasm
// imported as a file (the bundler copies it into its output and gives its URL), its bytes passed in.
import wasmUrl from '@latchkey/wasm/latchkey.wasm';

import { report, startAuthorization } from './start.js';

report((async () => {
  const response = await fetch(new URL(wasmUrl, import.meta.url));
  return startAuthorization({ wasmBinary: await response.arrayBuffer() });
})());
