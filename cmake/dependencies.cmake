# Third-party parts, found the same way for every target so the rest of the tree only names
# latchkey::mbedcrypto, latchkey::picojson and latchkey::gtest.
#
# native: Debian's libmbedtls-dev, picojson-dev and libgtest-dev.
# wasm targets: mbedTLS's portable crypto compiled from Debian's source package (fetched by
# scripts/bootstrap.sh into third_party/mbedtls) under wasm/latchkey_mbedtls_config.h, picojson's single
# header copied out of /usr/include (which must never be on a wasm include path), and
# GoogleTest compiled from Debian's /usr/src/googletest.

set(LATCHKEY_MBEDTLS_SOURCE_DIR "${PROJECT_SOURCE_DIR}/third_party/mbedtls" CACHE PATH
    "mbedTLS sources for the wasm builds (scripts/bootstrap.sh fetches them)")
set(LATCHKEY_PICOJSON_HEADER "/usr/include/picojson.h" CACHE FILEPATH "picojson.h to build against")
set(LATCHKEY_GTEST_SOURCE_DIR "/usr/src/googletest" CACHE PATH "GoogleTest sources for the wasm builds")

# picojson: one header; always used through core/include/latchkey/json.hpp, which routes its asserts to
# abort (PICOJSON_ASSERT). Its value(double) still throws std::overflow_error on a non-finite
# number, with no switch to turn that off (upstream issue 163), and g++ rejects any `throw` under
# -fno-exceptions, even in a system header (clang lets one pass there). The core rejects
# non-finite numbers while parsing, so that throw is dead code: our copy of the header aborts
# there instead, and nothing has to redefine a keyword. (A throw anywhere else that the core's
# defines do not remove would stop the g++ build, so none can slip through.)
set(_pj_dir "${PROJECT_BINARY_DIR}/third_party/picojson")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${LATCHKEY_PICOJSON_HEADER}")
file(READ "${LATCHKEY_PICOJSON_HEADER}" _pj_text)
set(_pj_throw "throw std::overflow_error(\"\");")
string(FIND "${_pj_text}" "${_pj_throw}" _pj_at)
if(_pj_at EQUAL -1)
  message(FATAL_ERROR "${LATCHKEY_PICOJSON_HEADER}: value(double)'s `${_pj_throw}` not found; check how this picojson "
                      "reports non-finite numbers and update cmake/dependencies.cmake")
endif()
string(REPLACE "${_pj_throw}" "std::abort();" _pj_text "${_pj_text}")
file(WRITE "${_pj_dir}/picojson.h.new" "${_pj_text}")
configure_file("${_pj_dir}/picojson.h.new" "${_pj_dir}/picojson.h" COPYONLY)  # rewritten only when it changes
add_library(latchkey_picojson INTERFACE)
target_include_directories(latchkey_picojson SYSTEM INTERFACE "${_pj_dir}")
add_library(latchkey::picojson ALIAS latchkey_picojson)

if(LATCHKEY_TARGET STREQUAL "native")
  find_library(MBEDCRYPTO_LIBRARY mbedcrypto REQUIRED)
  find_path(MBEDTLS_INCLUDE_DIR mbedtls/gcm.h REQUIRED)
  add_library(latchkey_mbedcrypto INTERFACE)
  target_link_libraries(latchkey_mbedcrypto INTERFACE "${MBEDCRYPTO_LIBRARY}")
  target_include_directories(latchkey_mbedcrypto SYSTEM INTERFACE "${MBEDTLS_INCLUDE_DIR}")
else()
  if(NOT EXISTS "${LATCHKEY_MBEDTLS_SOURCE_DIR}/library/gcm.c")
    message(FATAL_ERROR "mbedTLS sources not found in ${LATCHKEY_MBEDTLS_SOURCE_DIR}: run scripts/bootstrap.sh")
  endif()
  # Only the portable crypto the core uses; wasm/latchkey_mbedtls_config.h enables exactly these.
  set(_mbed_sources aes base64 cipher cipher_wrap constant_time ctr_drbg gcm md platform_util sha1 sha256
    # RSA-SHA1 for OAuth 1.0a: PEM key parsing and PKCS#1 v1.5 signing (key writing for the tests).
    asn1parse asn1write bignum oid pem pk pk_wrap pkparse pkwrite rsa rsa_internal
    # ES256 for private_key_jwt client assertions: ECDSA on P-256.
    ecdsa ecp ecp_curves)
  list(TRANSFORM _mbed_sources PREPEND "${LATCHKEY_MBEDTLS_SOURCE_DIR}/library/")
  list(TRANSFORM _mbed_sources APPEND ".c")
  add_library(latchkey_mbedcrypto STATIC ${_mbed_sources})
  target_include_directories(latchkey_mbedcrypto SYSTEM PUBLIC
    "${LATCHKEY_MBEDTLS_SOURCE_DIR}/include" "${PROJECT_SOURCE_DIR}/wasm")
  target_compile_definitions(latchkey_mbedcrypto PUBLIC MBEDTLS_CONFIG_FILE="latchkey_mbedtls_config.h")
  target_compile_options(latchkey_mbedcrypto PRIVATE -w)
endif()
add_library(latchkey::mbedcrypto ALIAS latchkey_mbedcrypto)

if(LATCHKEY_BUILD_TESTS)
  if(LATCHKEY_TARGET STREQUAL "native")
    find_package(GTest REQUIRED)
    add_library(latchkey_gtest INTERFACE)
    target_link_libraries(latchkey_gtest INTERFACE GTest::gtest GTest::gtest_main)
  else()
    set(_gt "${LATCHKEY_GTEST_SOURCE_DIR}/googletest")
    add_library(latchkey_gtest STATIC "${_gt}/src/gtest-all.cc" "${_gt}/src/gtest_main.cc")
    target_include_directories(latchkey_gtest SYSTEM PUBLIC "${_gt}/include" PRIVATE "${_gt}")
    target_compile_definitions(latchkey_gtest PUBLIC GTEST_HAS_EXCEPTIONS=0)
    if(LATCHKEY_TARGET STREQUAL "wasi")
      # wasi-libc has no threads and no dup/dup2 (stream redirection). GoogleTest 1.12's
      # gtest-port.h knows no WASI, so death tests are already off; everything else it needs
      # (getcwd, mkdir, stat, ...) is in Debian's wasi-libc: no stubs are needed.
      target_compile_definitions(latchkey_gtest PUBLIC GTEST_HAS_PTHREAD=0 GTEST_HAS_STREAM_REDIRECTION=0)
    endif()
    target_compile_options(latchkey_gtest PRIVATE -fno-exceptions -w)
  endif()
  add_library(latchkey::gtest ALIAS latchkey_gtest)
endif()

# How ctest runs a test binary on this target: natively, or under Node (20 or later).
# Test programs link at -O1 on the wasm targets (the objects keep the preset's flags): the
# link-time -O3 runs wasm-opt -O3 over all of GoogleTest, 5-9 s per link on two cores, for a
# program that runs in under a second either way.
if(NOT LATCHKEY_TARGET STREQUAL "native")
  find_program(LATCHKEY_NODE_EXECUTABLE NAMES node nodejs REQUIRED)
endif()
function(latchkey_add_test_runner target)
  if(LATCHKEY_TARGET STREQUAL "emscripten")
    # A modularized CommonJS factory; tests/runners/emscripten.cjs hands it the .wasm bytes,
    # the arguments and (through the exported ENV) the environment. The 1 MiB stack matches
    # the WASI build (Emscripten 3.1.6 calls the setting TOTAL_STACK; later ones STACK_SIZE).
    # Linear-memory stack overflow is silent memory corruption on wasm: STACK_OVERFLOW_CHECK=2
    # turns it into an abort, so a test that recurses too deep fails instead of passing.
    target_link_options(${target} PRIVATE -O1 -sMODULARIZE=1 -sEXPORT_NAME=createModule
      -sENVIRONMENT=node -sEXIT_RUNTIME=1 -sALLOW_MEMORY_GROWTH=1 -sTOTAL_STACK=1048576
      -sSTACK_OVERFLOW_CHECK=2)
    # ENV only exists in the glue when the program calls getenv (GoogleTest does); exporting it
    # otherwise makes the glue throw. Pass NO_ENV for programs that never read the environment.
    if(NOT "NO_ENV" IN_LIST ARGN)
      target_link_options(${target} PRIVATE -sEXPORTED_RUNTIME_METHODS=ENV)
    endif()
    set_target_properties(${target} PROPERTIES CROSSCOMPILING_EMULATOR
      "${LATCHKEY_NODE_EXECUTABLE};--no-experimental-fetch;${PROJECT_SOURCE_DIR}/tests/runners/emscripten.cjs")
  elseif(LATCHKEY_TARGET STREQUAL "wasi")
    # 1 MiB stack placed below the data (--stack-first): an overflow then runs off the start
    # of linear memory and traps, instead of silently overwriting globals.
    target_link_options(${target} PRIVATE -O1 -Wl,-z,stack-size=1048576 -Wl,--stack-first)
    set_target_properties(${target} PROPERTIES CROSSCOMPILING_EMULATOR
      "${LATCHKEY_NODE_EXECUTABLE};--no-warnings;${PROJECT_SOURCE_DIR}/tests/runners/wasi.mjs")
  endif()
endfunction()
