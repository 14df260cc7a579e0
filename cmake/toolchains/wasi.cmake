# wasm32-wasi toolchain. Uses a WASI SDK when WASI_SDK_PREFIX is set (argument or environment),
# otherwise Debian's clang 14 + lld with wasi-libc and libc++ for wasm32 under /usr.
set(CMAKE_SYSTEM_NAME WASI)
# Platform/WASI.cmake (CMake 3.25 has none).
list(APPEND CMAKE_MODULE_PATH "${CMAKE_CURRENT_LIST_DIR}")
set(CMAKE_SYSTEM_VERSION 1)
set(CMAKE_SYSTEM_PROCESSOR wasm32)
set(triple wasm32-wasi)

if(NOT WASI_SDK_PREFIX AND DEFINED ENV{WASI_SDK_PREFIX})
  set(WASI_SDK_PREFIX "$ENV{WASI_SDK_PREFIX}")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES WASI_SDK_PREFIX)

if(WASI_SDK_PREFIX)
  set(CMAKE_C_COMPILER "${WASI_SDK_PREFIX}/bin/clang")
  set(CMAKE_CXX_COMPILER "${WASI_SDK_PREFIX}/bin/clang++")
  set(CMAKE_AR "${WASI_SDK_PREFIX}/bin/llvm-ar")
  set(CMAKE_RANLIB "${WASI_SDK_PREFIX}/bin/llvm-ranlib")
  set(CMAKE_SYSROOT "${WASI_SDK_PREFIX}/share/wasi-sysroot")
else()
  find_program(CMAKE_C_COMPILER NAMES clang-14 clang REQUIRED)
  find_program(CMAKE_CXX_COMPILER NAMES clang++-14 clang++ REQUIRED)
  find_program(CMAKE_AR NAMES llvm-ar-14 llvm-ar REQUIRED)
  find_program(CMAKE_RANLIB NAMES llvm-ranlib-14 llvm-ranlib REQUIRED)
  # Debian installs wasi-libc under /usr/{include,lib}/wasm32-wasi, so the sysroot is /usr.
  set(CMAKE_SYSROOT "/usr")
endif()

set(CMAKE_C_COMPILER_TARGET ${triple})
set(CMAKE_CXX_COMPILER_TARGET ${triple})
set(CMAKE_C_FLAGS_INIT "-fno-exceptions")
set(CMAKE_CXX_FLAGS_INIT "-fno-exceptions")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
