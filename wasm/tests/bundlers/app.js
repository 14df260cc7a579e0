// The app as most users would write it first: the package finds its own latchkey.wasm.
import { report, startAuthorization } from './start.js';

report(startAuthorization());
