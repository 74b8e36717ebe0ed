# Turns a binary file into a C++ source defining digits::default_model_blob().
# Run as a script: cmake -DINPUT=blob -DOUTPUT=file.cpp -P Embed.cmake
# Optional -DNAMESPACE=ns -DFUNCTION=name define ns::name() instead (same signature).
if(NOT DEFINED NAMESPACE)
  set(NAMESPACE digits)
endif()
if(NOT DEFINED FUNCTION)
  set(FUNCTION default_model_blob)
endif()
# A string literal (not a brace list of numbers) keeps compile time and memory small.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "\\\\x\\1" escaped "${hex}")
file(WRITE "${OUTPUT}.tmp" "// Generated from ${INPUT} by cmake/Embed.cmake. Do not edit.
#include <cstddef>
#include <cstdint>
#include <utility>
namespace ${NAMESPACE} {
namespace {
alignas(16) const char kBlob[] = \"${escaped}\";
}  // namespace
std::pair<const std::uint8_t*, std::size_t> ${FUNCTION}() {
  return {reinterpret_cast<const std::uint8_t*>(kBlob), ${size}};
}
}  // namespace ${NAMESPACE}
")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
