/* The one translation unit of latchkey's wasm modules (the Emscripten ES module and the WASI
 * reactor). It holds no code: the exports are the C ABI functions of latchkey_core, named in
 * wasm/exports.txt and pulled out of the static library by the link flags. Compiling the
 * public header here as C checks that it is valid C, as FFI callers will read it. */
#include "latchkey/latchkey.h"
