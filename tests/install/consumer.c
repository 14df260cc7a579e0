/* A C program built against an installed latchkey through pkg-config (install.test.mjs): it
 * prints what the C ABI answers, one line each, and the test holds those lines to values from
 * outside the library (the package's version, RFC 7636's example). */
#include <latchkey/latchkey.h>
#include <stdio.h>

static int print_and_free(char* doc) {
  if (doc == NULL) return 1;
  puts(doc);
  lk_free(doc);
  return 0;
}

int main(void) {
  puts(lk_version());
  /* RFC 7636 Appendix B's code verifier. */
  if (print_and_free(lk_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")) != 0) return 1;
  /* A verifier too short to be one: the answer is an error document, not a crash. */
  if (print_and_free(lk_pkce_challenge("short")) != 0) return 1;
  return 0;
}
