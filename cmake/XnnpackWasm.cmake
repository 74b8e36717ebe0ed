# XnnpackWasm.cmake -- build XNNPACK (Debian trixie snapshot 0.0~git20241108.4ea82e5)
# as static WebAssembly libraries (wasm32 + SIMD128, single-threaded) inside an
# Emscripten CMake build.
#
# Usage (top-level CMakeLists.txt, at file scope, after project()):
#
#   if(EMSCRIPTEN)
#     include(cmake/XnnpackWasm.cmake)
#     target_link_libraries(my_target PRIVATE digits_xnnpack)
#   endif()
#
# Sources come from scripts/fetch-sources.sh (nothing is downloaded at configure
# or build time).
#
# Cache variables:
#   DIGITS_ROOT      repository root (default: the folder above this file)
#   DIGITS_DEPS_DIR  where fetch-sources.sh put things (default: $ENV{DIGITS_DEPS_DIR},
#                    else ${DIGITS_ROOT}/.deps). Expects src/{xnnpack,pthreadpool,fxdiv}.
#                    Generated shim headers go to ${DIGITS_DEPS_DIR}/gen/xnnpack-wasm
#                    (outside the build tree, so ccache direct-mode hits survive a new
#                    build folder).
#
# Provides:
#   digits_xnnpack   INTERFACE target: links XNNPACK, microkernels-prod, pthreadpool and
#                    exposes xnnpack.h / pthreadpool.h as SYSTEM include dirs.
#   DIGITS_XNNPACK_INCLUDE_DIR  folder holding xnnpack.h
#
# Notes for consumers:
#   * XNNPACK is compiled with -msimd128; the consumer's own code does not need it
#     to link, but the resulting .wasm requires a SIMD-capable engine anyway
#     (node >= 16, all current browsers), so adding -msimd128 to your code is free.
#   * Link flags are left to the consumer; XNNPACK needs more than the default 16 MiB
#     heap for non-trivial graphs: use -sALLOW_MEMORY_GROWTH=1 (or a large
#     -sINITIAL_MEMORY). For node-run tests also -sWASM_ASYNC_COMPILATION=0.
#   * Warnings in third-party code are silenced (-w); nothing there uses -Werror.

include_guard(GLOBAL)

if(NOT EMSCRIPTEN)
  message(FATAL_ERROR "XnnpackWasm.cmake is for Emscripten builds only (use emcmake cmake ...)")
endif()
if(CMAKE_VERSION VERSION_LESS 3.18)
  message(FATAL_ERROR "XnnpackWasm.cmake needs CMake >= 3.18")
endif()

get_filename_component(_digits_xnn_default_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(DIGITS_ROOT "${_digits_xnn_default_root}" CACHE PATH "Root of the digits repository")
if(DEFINED ENV{DIGITS_DEPS_DIR} AND NOT "$ENV{DIGITS_DEPS_DIR}" STREQUAL "")
  set(_digits_xnn_default_deps "$ENV{DIGITS_DEPS_DIR}")
else()
  set(_digits_xnn_default_deps "${DIGITS_ROOT}/.deps")
endif()
set(DIGITS_DEPS_DIR "${_digits_xnn_default_deps}" CACHE PATH
    "Third-party sources fetched by scripts/fetch-sources.sh (src/) and generated shims (gen/)")
get_filename_component(DIGITS_DEPS_DIR "${DIGITS_DEPS_DIR}" ABSOLUTE)

# The main project's `project()` may not have enabled ASM; XNNPACK's project() asks for
# it. Enable it here, at file scope and with the real (Emscripten) platform, so that
# it is not first enabled under the faked system name below. emcc (clang) is the
# assembler; naming its ID avoids CMake's "Did not find file Compiler/-ASM" warning
# (emcc --version does not look like clang's).
get_property(_digits_xnn_langs GLOBAL PROPERTY ENABLED_LANGUAGES)
if(NOT "ASM" IN_LIST _digits_xnn_langs)
  if(NOT CMAKE_ASM_COMPILER)
    set(CMAKE_ASM_COMPILER "${CMAKE_C_COMPILER}")
  endif()
  if(NOT CMAKE_ASM_COMPILER_ID)
    set(CMAKE_ASM_COMPILER_ID Clang)
  endif()
  enable_language(ASM)
endif()

# Writes `text` to `path` only when it changed, so a re-configure does not rebuild.
function(_digits_write_if_changed path text)
  file(WRITE "${path}.new" "${text}")
  configure_file("${path}.new" "${path}" COPYONLY)
endfunction()

# In the variable `var`, replaces `old` by `new`, and stops the configure unless `old` occurs
# exactly `count` times: an XNNPACK whose text moved must be looked at again, not amended blind.
function(_digits_replace_exactly var old new count where)
  set(text "${${var}}")
  set(found 0)
  set(rest "${text}")
  string(LENGTH "${old}" len)
  while(TRUE)
    string(FIND "${rest}" "${old}" at)
    if(at EQUAL -1)
      break()
    endif()
    math(EXPR found "${found} + 1")
    math(EXPR at "${at} + ${len}")
    string(SUBSTRING "${rest}" ${at} -1 rest)
  endwhile()
  if(NOT found EQUAL count)
    message(FATAL_ERROR "XnnpackWasm: expected ${count} of '${old}' in ${where}, found ${found}: "
                        "XNNPACK changed there; re-check the amendment in cmake/XnnpackWasm.cmake.")
  endif()
  string(REPLACE "${old}" "${new}" text "${text}")
  set(${var} "${text}" PARENT_SCOPE)
endfunction()

# Splits the variable `var` around the first `begin` and the first `end` after it: `pre` is what
# comes before `begin`, `mid` runs from `begin` up to `end`, `post` from `end` on. Stops the
# configure if either is missing, like _digits_replace_exactly.
function(_digits_split var begin end where pre mid post)
  set(text "${${var}}")
  string(FIND "${text}" "${begin}" b)
  if(NOT b EQUAL -1)
    string(SUBSTRING "${text}" ${b} -1 from)
    string(FIND "${from}" "${end}" e)
  endif()
  if(b EQUAL -1 OR e EQUAL -1)
    message(FATAL_ERROR "XnnpackWasm: ${where} not found: XNNPACK changed there; re-check the "
                        "amendment in cmake/XnnpackWasm.cmake.")
  endif()
  string(SUBSTRING "${text}" 0 ${b} p)
  string(SUBSTRING "${from}" 0 ${e} m)
  string(SUBSTRING "${from}" ${e} -1 q)
  set(${pre} "${p}" PARENT_SCOPE)
  set(${mid} "${m}" PARENT_SCOPE)
  set(${post} "${q}" PARENT_SCOPE)
endfunction()

# Builds `target` from `copy` instead of XNNPACK's source `rel` (the amended copy).
function(_digits_use_copy target rel copy)
  get_target_property(srcs ${target} SOURCES)
  list(FIND srcs "${rel}" at)
  if(at EQUAL -1)
    list(FIND srcs "${XNN_SRC}/${rel}" at)
  endif()
  if(at EQUAL -1)
    message(FATAL_ERROR "XnnpackWasm: ${rel} is not a source of ${target} any more")
  endif()
  list(REMOVE_AT srcs ${at})
  list(APPEND srcs "${copy}")
  set_property(TARGET ${target} PROPERTY SOURCES "${srcs}")
endfunction()

function(_digits_xnnpack_wasm)
  set(src "${DIGITS_DEPS_DIR}/src")
  set(XNN_SRC "${src}/xnnpack")
  set(PTP_SRC "${src}/pthreadpool")
  set(FXDIV_SRC "${src}/fxdiv")
  foreach(f "${XNN_SRC}/CMakeLists.txt" "${XNN_SRC}/include/xnnpack.h"
            "${XNN_SRC}/cmake/gen/wasmsimd_microkernels.cmake"
            "${PTP_SRC}/CMakeLists.txt" "${PTP_SRC}/include/pthreadpool.h"
            "${FXDIV_SRC}/CMakeLists.txt" "${FXDIV_SRC}/include/fxdiv.h")
    if(NOT EXISTS "${f}")
      message(FATAL_ERROR
        "XnnpackWasm: third-party sources missing (${f} not found).\n"
        "Run scripts/fetch-sources.sh first (it honours DIGITS_DEPS_DIR; "
        "this build expects DIGITS_DEPS_DIR=${DIGITS_DEPS_DIR}).")
    endif()
  endforeach()

  # XNNPACK generates its microkernel lists with Python at configure time.
  find_package(Python COMPONENTS Interpreter)
  if(NOT Python_Interpreter_FOUND)
    message(FATAL_ERROR "XnnpackWasm: python3 is required to configure XNNPACK")
  endif()
  set(Python_EXECUTABLE "${Python_EXECUTABLE}")

  # --- generated shims, outside the build tree (stable paths for ccache) ----------
  set(gen "${DIGITS_DEPS_DIR}/gen/xnnpack-wasm")
  # cpuinfo is not needed for wasm: XNNPACK only calls it on ARM/x86, but
  # hardware-config.c and a few configs include <cpuinfo.h> unconditionally.
  file(CONFIGURE OUTPUT "${gen}/cpuinfo/include/cpuinfo.h" CONTENT
"/* Empty stand-in: XNNPACK's wasm build does not use cpuinfo. Generated by XnnpackWasm.cmake. */
")
  # Two production wasmsimd kernels (f32-q{s,u}8-vcvt-wasmsimd-magic-u32.c) include
  # <arm_neon.h> by mistake; they only use wasm_simd128 intrinsics.
  file(CONFIGURE OUTPUT "${gen}/neon-compat/arm_neon.h" CONTENT
"/* wasm compat: stray <arm_neon.h> includes in XNNPACK wasmsimd kernels. Generated by XnnpackWasm.cmake. */
#include <wasm_simd128.h>
")

  if(NOT TARGET cpuinfo)
    add_library(cpuinfo INTERFACE)
    target_include_directories(cpuinfo SYSTEM INTERFACE "${gen}/cpuinfo/include")
  endif()

  # --- settings seen by the third-party projects only (function scope) -----------
  # option() honours these normal variables (CMP0077) even in the old-style projects.
  set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)
  set(BUILD_SHARED_LIBS OFF)
  # wasm has no shared libraries here: no -fPIC (GOT indirections) for third-party code
  # even if the main project turns CMAKE_POSITION_INDEPENDENT_CODE on.
  set(CMAKE_POSITION_INDEPENDENT_CODE OFF)
  set(BUILD_TESTING OFF)
  # -msimd128 on every third-party file; -w keeps their warnings out of the way. With
  # DIGITS_WASM_RELAXED_SIMD, -mrelaxed-simd too: XNNPACK then selects its relaxed-SIMD kernels
  # at compile time (__wasm_relaxed_simd__), e.g. int8 GEMMs on i32x4.relaxed_dot_i8x16_i7x16_add.
  set(_simd "-msimd128")
  if(DIGITS_WASM_RELAXED_SIMD)
    string(APPEND _simd " -mrelaxed-simd")
  endif()
  string(APPEND CMAKE_C_FLAGS " ${_simd} -w")
  string(APPEND CMAKE_CXX_FLAGS " ${_simd} -w")

  set(FXDIV_BUILD_TESTS OFF)
  set(FXDIV_BUILD_BENCHMARKS OFF)
  set(FXDIV_USE_INLINE_ASSEMBLY OFF)

  set(PTHREADPOOL_LIBRARY_TYPE static)
  set(PTHREADPOOL_BUILD_TESTS OFF)
  set(PTHREADPOOL_BUILD_BENCHMARKS OFF)
  set(PTHREADPOOL_ALLOW_DEPRECATED_API OFF)
  set(PTHREADPOOL_ENABLE_FASTPATH OFF)

  set(XNNPACK_LIBRARY_TYPE static)
  set(XNNPACK_BUILD_LIBRARY ON)
  set(XNNPACK_BUILD_TESTS OFF)
  set(XNNPACK_BUILD_BENCHMARKS OFF)
  set(XNNPACK_BUILD_ALL_MICROKERNELS OFF)
  set(XNNPACK_ENABLE_ASSEMBLY OFF)
  set(XNNPACK_ENABLE_KLEIDIAI OFF)
  set(XNNPACK_USE_SYSTEM_LIBS OFF)
  # Every *_SOURCE_DIR defined so that XNNPACK never tries to download anything.
  set(FXDIV_SOURCE_DIR "${FXDIV_SRC}")
  set(PTHREADPOOL_SOURCE_DIR "${PTP_SRC}")
  set(CPUINFO_SOURCE_DIR "${gen}/cpuinfo")
  set(GOOGLETEST_SOURCE_DIR "${gen}/unused-googletest")
  set(GOOGLEBENCHMARK_SOURCE_DIR "${gen}/unused-googlebenchmark")
  set(KLEIDIAI_SOURCE_DIR "${gen}/unused-kleidiai")

  # XNNPACK force-sets the compiler-launcher cache entries to ccache; restore the
  # main project's values afterwards.
  foreach(lang C CXX)
    if(DEFINED CACHE{CMAKE_${lang}_COMPILER_LAUNCHER})
      set(_saved_launcher_${lang} "$CACHE{CMAKE_${lang}_COMPILER_LAUNCHER}")
      set(_had_launcher_${lang} TRUE)
    else()
      set(_had_launcher_${lang} FALSE)
    endif()
  endforeach()

  set(bin "${CMAKE_BINARY_DIR}/_deps/xnnpack-wasm")
  # fxdiv and pthreadpool first, with the real system name: pthreadpool then takes
  # its single-threaded Emscripten path (src/shim.c, no pthreads).
  add_subdirectory("${FXDIV_SRC}" "${bin}/fxdiv" EXCLUDE_FROM_ALL)
  add_subdirectory("${PTP_SRC}" "${bin}/pthreadpool" EXCLUDE_FROM_ALL)

  # XNNPACK's configure logic knows neither Emscripten nor wasm: pretend Linux and
  # processor "wasm32" so that no ARM/x86 kernel lists are selected.
  set(CMAKE_SYSTEM_NAME Linux)
  set(CMAKE_SYSTEM_PROCESSOR wasm32)
  add_subdirectory("${XNN_SRC}" "${bin}/xnnpack" EXCLUDE_FROM_ALL)

  foreach(lang C CXX)
    if(_had_launcher_${lang})
      set(CMAKE_${lang}_COMPILER_LAUNCHER "${_saved_launcher_${lang}}" CACHE STRING "" FORCE)
    else()
      unset(CMAKE_${lang}_COMPILER_LAUNCHER CACHE)
    endif()
  endforeach()

  foreach(t XNNPACK microkernels-prod pthreadpool fxdiv)
    if(NOT TARGET ${t})
      message(FATAL_ERROR "XnnpackWasm: target ${t} was not created by the XNNPACK sources")
    endif()
  endforeach()

  # --- relaxed SIMD: the fast int8 kernels on every engine's relaxed dot product ------
  # XNNPACK's relaxed int8 GEMMs (activations as unsigned bytes into
  # i32x4.relaxed_dot_i8x16_i7x16_add) run only where a start-up probe finds the dot product
  # unsaturated, as V8 lowers it on AVX-VNNI CPUs. Firefox (and V8 without VNNI) lowers it to
  # x86's pmaddubsw, whose int16 pairs saturate, so XNNPACK fell back to the SIMD128 kernels
  # there: the relaxed build ran 0.30 ms in Firefox, 0.20 ms with this. Our int8 GEMM inputs are
  # 7-bit (core/src/model.cpp, prepare_int8), where a pair cannot saturate (2 * 127 * 127 <
  # 32767), so the relaxed build compiles a copy of hardware-config.c that also accepts that
  # lowering when it is exact on such inputs, tried on the extremes. node 20's experimental
  # relaxed SIMD is not (it doubles the sums) and keeps the SIMD128 kernels, so the wasm-relaxed
  # suite under node does not run these kernels; the e2e suite does, in each engine, against the
  # SIMD128 build on 500 MNIST images. (A looser acceptance that let node's sums through failed
  # the wasm-relaxed int8 tests: the probe is what stands between an engine and wrong sums.)
  if(DIGITS_WASM_RELAXED_SIMD)
    file(READ "${XNN_SRC}/src/configs/hardware-config.c" _hc)
    set(_usdot_probe [=[
      hardware_config.use_wasm_usdot = !wasm_v128_any_true(wasm_v128_or(
        wasm_v128_xor(xint8_output, wasm_i32x4_const_splat(128)),
        wasm_v128_xor(overflow_output, wasm_i32x4_const(-65536, -98048, -98048, -130560))));]=])
    set(_usdot_or_exact_on_7_bits [=[
      {
        // digits (cmake/XnnpackWasm.cmake): also where the dot product is exact for the second
        // operand in [0, 127], all that digits feeds it (e.g. Firefox's saturating pmaddubsw).
        const volatile v128_t weights = wasm_i8x16_const(-127, -127, -127, -127, 127, 127, 127, 127, -127, 127, -127, 127, 1, -2, 3, -4);
        const volatile v128_t inputs = wasm_i8x16_const(127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 127, 5, 6, 7, 8);
        const v128_t sums = wasm_i32x4_relaxed_dot_i8x16_i7x16_add(weights, inputs, wasm_i32x4_const(1, 2, 3, 4));
        if (wasm_i32x4_all_true(wasm_i32x4_eq(sums, wasm_i32x4_const(-64515, 64518, 3, -14)))) {
          hardware_config.use_wasm_usdot = true;
        }
      }]=])
    _digits_replace_exactly(_hc "${_usdot_probe}" "${_usdot_probe}\n${_usdot_or_exact_on_7_bits}" 1
                            "src/configs/hardware-config.c")
    _digits_write_if_changed("${gen}/relaxed/hardware-config.c" "${_hc}")
    _digits_use_copy(hardware-config src/configs/hardware-config.c "${gen}/relaxed/hardware-config.c")
  endif()

  # --- SIMD128 int8 GEMMs: the c8 kernels --------------------------------------------
  # For WebAssembly SIMD128 XNNPACK picks its 4x4c2s4 int8 kernels (the SIMD128 build's, and the
  # relaxed build's where the relaxed dot product is unusable). The 4x4c8 kernels of the same
  # family (no lane rotation in the inner loop, one horizontal sum per tile at the end) measured
  # faster in every engine, side by side (`make bench-browser`, SIMD128 build, single calls):
  # WebKit 0.60 -> 0.52 ms, Chromium 0.56 -> 0.495 ms, Firefox 0.46 -> 0.44 ms; so both builds
  # compile a copy of gemm-config.c whose qs8_qc8w WebAssembly section names them (kr = 8).
  file(READ "${XNN_SRC}/src/configs/gemm-config.c" _gc)
  string(FIND "${_gc}" "static void init_qs8_qc8w_gemm_config(void) {" _fn)
  if(_fn EQUAL -1)
    message(FATAL_ERROR "XnnpackWasm: init_qs8_qc8w_gemm_config not found in src/configs/gemm-config.c")
  endif()
  string(SUBSTRING "${_gc}" 0 ${_fn} _head)
  string(SUBSTRING "${_gc}" ${_fn} -1 _rest)
  set(_where "init_qs8_qc8w_gemm_config's WebAssembly section")
  _digits_split(_rest "  #elif XNN_ARCH_WASMSIMD || XNN_ARCH_WASMRELAXEDSIMD\n" "  #elif XNN_ARCH_WASM\n" "${_where}"
                _before _wasm _after)
  _digits_replace_exactly(_wasm "c2s4__wasmsimd_dot16x2_ld128" "c8__wasmsimd_dot16x2_ld128" 8 "${_where}")
  _digits_replace_exactly(_wasm "qs8_qc8w_gemm_config.log2_kr = 1;" "qs8_qc8w_gemm_config.log2_kr = 3;" 2 "${_where}")
  _digits_replace_exactly(_wasm "qs8_qc8w_gemm_config.log2_sr = 2;" "/* digits: c8, no shuffle */" 2 "${_where}")
  # And for the convolutions (mr > 1), two rows per tile with 8-byte loads: 2x4c8 ld64. 4x4c8
  # keeps sixteen i32x4 accumulators, every vector register an x86 engine gives WebAssembly, so
  # the rest spills; ld64 loads half as many bytes per step as ld128 and widens them once. Side
  # by side, SIMD128 build, batches of 200 calls on fresh pages: WebKit 4x4c8 ld128 0.52 -> 3x4c8
  # ld128 0.455 -> 3x4c8 ld64 0.35 ms (4x4c8 ld64 0.515, 2x4c8 ld128 0.535); then, with a warm-up
  # long enough for every engine's optimising tier (3-4 pages each), 3x4c8 ld64 -> 2x4c8 ld64:
  # Chromium 0.30 -> 0.28 ms, Firefox 0.39 -> 0.33, WebKit 0.36 -> 0.345 (node: conv2 + conv3
  # 258 -> 205 us, XNNPACK's profiler). Integer sums: the same answers. Re-checked on a Zen 4
  # (three pages each, Chromium / Firefox / WebKit, ms): 2x4c8 ld64 0.300 / 0.36 / 0.36, 3x4c8
  # ld64 0.325 / 0.36 / 0.36, 1x4c8 ld64 0.36 / 0.36 / 0.46, 2x4c8 ld128 0.300 / 0.40 / 0.46,
  # 4x4c8 ld64 0.38 / 0.42 / 0.52.
  # And for fc1 (M = 1: XNNPACK's one-row tile), 1x4c8 ld64 instead of ld128. XNNPACK's
  # profiler in each engine (SIMD128 build, a throwaway export of Model::profile, 3 x 400 runs after
  # a 2 s warm-up): fc1 took 69 us in Firefox and 63 us in WebKit with ld128, against 23 us in
  # Chromium - the convolutions' ld64 kernels run alike in all three - and takes 22 / 24 / 22.5 us
  # with ld64 (Firefox / WebKit / Chromium). A whole prediction: Firefox 398 -> 316 us, WebKit
  # 368 -> 328 us, Chromium 305 us either way.
  foreach(_op gemm igemm)
    _digits_replace_exactly(_wasm
      "${_op}[XNN_MR_TO_INDEX(4)] = xnn_init_hmp_${_op}_ukernel((xnn_${_op}_ukernel_fn) xnn_qs8_qc8w_${_op}_minmax_fp32_ukernel_4x4c8__wasmsimd_dot16x2_ld128);"
      "${_op}[XNN_MR_TO_INDEX(2)] = xnn_init_hmp_${_op}_ukernel((xnn_${_op}_ukernel_fn) xnn_qs8_qc8w_${_op}_minmax_fp32_ukernel_2x4c8__wasmsimd_dot16x2_ld64);"
      2 "${_where}")
    _digits_replace_exactly(_wasm "xnn_qs8_qc8w_${_op}_minmax_fp32_ukernel_1x4c8__wasmsimd_dot16x2_ld128)"
                            "xnn_qs8_qc8w_${_op}_minmax_fp32_ukernel_1x4c8__wasmsimd_dot16x2_ld64)" 2 "${_where}")
  endforeach()
  # mr = 4 where nr = 4 follows (the sdot sections have mr = 4 or 2 too, with nr = 8), through a
  # marker, so that exactly two such places must be found.
  string(REGEX REPLACE "qs8_qc8w_gemm_config[.]mr = 4;(\n *qs8_qc8w_gemm_config[.]nr = 4;)"
                       "qs8_qc8w_gemm_config.mr = DIGITS_MR;\\1" _wasm "${_wasm}")
  _digits_replace_exactly(_wasm "qs8_qc8w_gemm_config.mr = DIGITS_MR;" "qs8_qc8w_gemm_config.mr = 2;" 2 "${_where}")
  # The relaxed build's int8 kernels (where its dot product is usable) for mr > 1: 2x8c8, not
  # XNNPACK's 4x8c8 u2. On a CPU without AVX-VNNI (this AMD EPYC, Zen 4: AVX-512 VNNI only, which
  # V8 does not use) V8 lowers the relaxed dot product as Firefox does (pmaddubsw, pmaddwd, paddd),
  # and with 4x8c8 u2 the relaxed build ran 0.30-0.39 ms in Chromium, slower than the SIMD128
  # build it replaces (0.305 ms). Side by side, relaxed build, `make bench-browser` (4 pages each,
  # Chromium / Firefox): 4x8c8 u2 0.30-0.39 / 0.20-0.22 ms, 2x8c8 u2 0.25 / 0.22, 3x8c8 u2 0.25 /
  # 0.21, 3x8c8 0.345 / 0.22, 4x8c8 0.33 / 0.27, 2x4c16 0.26 / 0.20, 2x8c8 0.235 / 0.20 (in
  # three runs; with 1x8c8 for mr = 1 as well, Chromium 0.36). V8's times do not follow register
  # counts alone (3x8c8 u2 fast, 3x8c8 slow): measure, do not reason, before changing this. An
  # AVX-VNNI CPU (vpdpbusd) could not be timed here. The usdot branch is compiled only in the
  # relaxed build (#if XNN_ARCH_WASMRELAXEDSIMD), so both builds write the same file.
  _digits_split(_wasm "} else if (hardware_config->use_wasm_usdot) {" "} else {" "the usdot branch of ${_where}"
                _pre _usdot _post)
  foreach(_op gemm igemm)
    _digits_replace_exactly(_usdot
      "${_op}[XNN_MR_TO_INDEX(4)] = xnn_init_hmp_${_op}_ukernel((xnn_${_op}_ukernel_fn) xnn_qs8_qc8w_${_op}_minmax_fp32_ukernel_4x8c8__wasmusdot_u2);"
      "${_op}[XNN_MR_TO_INDEX(2)] = xnn_init_hmp_${_op}_ukernel((xnn_${_op}_ukernel_fn) xnn_qs8_qc8w_${_op}_minmax_fp32_ukernel_2x8c8__wasmusdot);"
      1 "the usdot branch of ${_where}")
  endforeach()
  _digits_replace_exactly(_usdot "qs8_qc8w_gemm_config.mr = 4;" "qs8_qc8w_gemm_config.mr = 2;" 1
                          "the usdot branch of ${_where}")
  set(_wasm "${_pre}${_usdot}${_post}")
  _digits_write_if_changed("${gen}/gemm-config.c" "${_head}${_before}${_wasm}${_after}")
  _digits_use_copy(XNNPACK src/configs/gemm-config.c "${gen}/gemm-config.c")

  # --- production wasm + wasmsimd microkernels (the 2024 CMakeLists has no wasm) ---
  include("${XNN_SRC}/cmake/gen/wasm_microkernels.cmake")
  include("${XNN_SRC}/cmake/gen/wasmsimd_microkernels.cmake")
  set(PROD_WASMRELAXEDSIMD_MICROKERNEL_SRCS)
  if(DIGITS_WASM_RELAXED_SIMD)
    include("${XNN_SRC}/cmake/gen/wasmrelaxedsimd_microkernels.cmake")
  endif()
  set(wasm_srcs)
  foreach(s IN LISTS PROD_WASM_MICROKERNEL_SRCS PROD_WASMSIMD_MICROKERNEL_SRCS PROD_WASMRELAXEDSIMD_MICROKERNEL_SRCS)
    list(APPEND wasm_srcs "${XNN_SRC}/${s}")
  endforeach()
  # The int8 kernels chosen above are not in XNNPACK's production list.
  set(_tiles 1x4c8-minmax-fp32-wasmsimd-dot16x2-ld64 2x4c8-minmax-fp32-wasmsimd-dot16x2-ld64)
  if(DIGITS_WASM_RELAXED_SIMD)
    list(APPEND _tiles 2x8c8-minmax-fp32-wasmusdot)
  endif()
  foreach(op gemm igemm)
    foreach(tile IN LISTS _tiles)
      list(APPEND wasm_srcs "${XNN_SRC}/src/qs8-qc8w-${op}/gen/qs8-qc8w-${op}-${tile}.c")
    endforeach()
  endforeach()
  target_sources(microkernels-prod PRIVATE ${wasm_srcs})
  # compat include dir first, only for the microkernels
  target_include_directories(microkernels-prod BEFORE PRIVATE "${gen}/neon-compat")
  target_compile_options(microkernels-prod PRIVATE -fno-math-errno)

  list(LENGTH PROD_WASM_MICROKERNEL_SRCS n_wasm)
  list(LENGTH PROD_WASMSIMD_MICROKERNEL_SRCS n_simd)
  message(STATUS "XnnpackWasm: XNNPACK from ${XNN_SRC} (wasm32 + SIMD128, no threads; "
                 "+${n_wasm} wasm, +${n_simd} wasmsimd production microkernels)")

  # --- consumer-facing target ------------------------------------------------------
  add_library(digits_xnnpack INTERFACE)
  target_link_libraries(digits_xnnpack INTERFACE XNNPACK microkernels-prod pthreadpool)
  # SYSTEM: keep warnings from xnnpack.h/pthreadpool.h out of the main project's -Werror.
  target_include_directories(digits_xnnpack SYSTEM INTERFACE "${XNN_SRC}/include" "${PTP_SRC}/include")
  set(DIGITS_XNNPACK_INCLUDE_DIR "${XNN_SRC}/include" PARENT_SCOPE)
endfunction()

if(NOT TARGET digits_xnnpack)
  _digits_xnnpack_wasm()
endif()
