# XnnpackNative.cmake -- XNNPACK 2024 (Debian trixie source, fetched by scripts/fetch-sources.sh)
# built natively for x86-64 as static libraries, production microkernels only.
#
# Why not Debian 12's libxnnpack-dev (2022)? It has no AVX512-VNNI int8 kernels: this network's
# int8 path runs ~3x faster on the 2024 code (measured 51-82 µs vs 173-185 µs per digit, one core).
#
# cpuinfo: Debian 12's libcpuinfo (2022) plus cmake/cpuinfo-compat/cpuinfo.h, which adds the few
# x86 predicates the 2024 code calls and the 2022 library lacks, answered from CPUID/XGETBV.
#
# Provides digits_xnnpack (INTERFACE: XNNPACK, microkernels-prod, pthreadpool, cpuinfo).
include_guard(GLOBAL)

function(_digits_xnnpack_native)
  set(src "${DIGITS_DEPS_DIR}/src")
  set(XNN_SRC "${src}/xnnpack")
  set(PTP_SRC "${src}/pthreadpool")
  set(FXDIV_SRC "${src}/fxdiv")
  foreach(f "${XNN_SRC}/CMakeLists.txt" "${PTP_SRC}/CMakeLists.txt" "${FXDIV_SRC}/CMakeLists.txt")
    if(NOT EXISTS "${f}")
      message(FATAL_ERROR "XNNPACK sources missing (${f}): run scripts/fetch-sources.sh (make deps does)")
    endif()
  endforeach()
  find_library(DIGITS_CPUINFO_LIBRARY cpuinfo REQUIRED)  # Debian libcpuinfo-dev
  find_package(Python COMPONENTS Interpreter REQUIRED)   # XNNPACK generates kernel lists
  set(Python_EXECUTABLE "${Python_EXECUTABLE}")

  add_library(cpuinfo SHARED IMPORTED)
  set_target_properties(cpuinfo PROPERTIES IMPORTED_LOCATION "${DIGITS_CPUINFO_LIBRARY}")
  target_include_directories(cpuinfo INTERFACE "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/cpuinfo-compat")

  # Settings seen by the third-party projects only (function scope).
  set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)
  set(BUILD_SHARED_LIBS OFF)
  set(BUILD_TESTING OFF)
  string(APPEND CMAKE_C_FLAGS " -w")
  string(APPEND CMAKE_CXX_FLAGS " -w")
  set(FXDIV_BUILD_TESTS OFF)
  set(FXDIV_BUILD_BENCHMARKS OFF)
  set(PTHREADPOOL_LIBRARY_TYPE static)
  set(PTHREADPOOL_BUILD_TESTS OFF)
  set(PTHREADPOOL_BUILD_BENCHMARKS OFF)
  set(PTHREADPOOL_ALLOW_DEPRECATED_API OFF)
  set(XNNPACK_LIBRARY_TYPE static)
  set(XNNPACK_BUILD_TESTS OFF)
  set(XNNPACK_BUILD_BENCHMARKS OFF)
  set(XNNPACK_BUILD_ALL_MICROKERNELS OFF)
  set(XNNPACK_ENABLE_KLEIDIAI OFF)
  set(XNNPACK_USE_SYSTEM_LIBS OFF)
  # Every *_SOURCE_DIR set (FXDIV_SOURCE_DIR before pthreadpool!) so nothing is downloaded.
  set(FXDIV_SOURCE_DIR "${FXDIV_SRC}")
  set(PTHREADPOOL_SOURCE_DIR "${PTP_SRC}")
  set(CPUINFO_SOURCE_DIR "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/cpuinfo-compat")
  set(GOOGLETEST_SOURCE_DIR "${DIGITS_DEPS_DIR}/unused")
  set(GOOGLEBENCHMARK_SOURCE_DIR "${DIGITS_DEPS_DIR}/unused")
  set(KLEIDIAI_SOURCE_DIR "${DIGITS_DEPS_DIR}/unused")

  # XNNPACK force-sets the compiler launchers; restore ours afterwards.
  foreach(lang C CXX)
    set(_saved_${lang} "$CACHE{CMAKE_${lang}_COMPILER_LAUNCHER}")
  endforeach()
  set(bin "${CMAKE_BINARY_DIR}/_deps/xnnpack-native")
  add_subdirectory("${FXDIV_SRC}" "${bin}/fxdiv" EXCLUDE_FROM_ALL)
  add_subdirectory("${PTP_SRC}" "${bin}/pthreadpool" EXCLUDE_FROM_ALL)
  add_subdirectory("${XNN_SRC}" "${bin}/xnnpack" EXCLUDE_FROM_ALL)
  foreach(lang C CXX)
    set(CMAKE_${lang}_COMPILER_LAUNCHER "${_saved_${lang}}" CACHE STRING "" FORCE)
  endforeach()

  add_library(digits_xnnpack INTERFACE)
  target_link_libraries(digits_xnnpack INTERFACE XNNPACK microkernels-prod pthreadpool cpuinfo m)
  target_include_directories(digits_xnnpack SYSTEM INTERFACE "${XNN_SRC}/include" "${PTP_SRC}/include")
endfunction()

if(NOT TARGET digits_xnnpack)
  _digits_xnnpack_native()
endif()
