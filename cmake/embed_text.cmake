# cmake -DINPUT=file -DOUTPUT=file.cpp -DNAME=function -P embed_text.cmake
# Writes a C++ file defining std::string_view latchkey::detail::NAME() returning the file's bytes.
file(READ "${INPUT}" _text HEX)
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
