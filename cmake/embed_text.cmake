# cmake -DINPUT=file -DOUTPUT=file.cpp -DNAME=function -P embed_text.cmake
# Writes a C++ file defining std::string_view latchkey::detail::NAME() returning the file's bytes.
# A .json file loses its line breaks and the indentation after them: a raw line break is never
# inside a JSON string, so the value is the same, and the catalog is a quarter smaller in every build.
if(INPUT MATCHES "\\.json$")
  file(READ "${INPUT}" _raw)
  string(REGEX REPLACE "\n *" "" _raw "${_raw}")
  string(HEX "${_raw}" _text)
else()
  file(READ "${INPUT}" _text HEX)
endif()
string(LENGTH "${_text}" _len)
math(EXPR _bytes "${_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," _chars "${_text}")
file(WRITE "${OUTPUT}"
"// Generated from ${INPUT}; do not edit.
#include <string_view>
namespace latchkey::detail {
static const char kData[] = {${_chars} 0};
std::string_view ${NAME}() { return std::string_view(kData, ${_bytes}); }
}  // namespace latchkey::detail
")
