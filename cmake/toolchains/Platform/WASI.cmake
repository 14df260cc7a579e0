# CMake before 3.29 does not know the WASI system name; the wasi toolchain file puts this
# directory on CMAKE_MODULE_PATH so CMake finds this platform file (as WASI SDK's toolchain does).
# WASI programs are .wasm files; everything is a static library.
set(WASI 1)
set(CMAKE_EXECUTABLE_SUFFIX ".wasm")
set(CMAKE_STATIC_LIBRARY_PREFIX "lib")
set(CMAKE_STATIC_LIBRARY_SUFFIX ".a")
set(CMAKE_FIND_LIBRARY_PREFIXES "lib")
set(CMAKE_FIND_LIBRARY_SUFFIXES ".a")
set_property(GLOBAL PROPERTY TARGET_SUPPORTS_SHARED_LIBS FALSE)
