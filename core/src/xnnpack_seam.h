// The one place that knows there are two XNNPACKs.
//
// The WebAssembly build and, by default, the native one compile Debian trixie's source (Nov
// 2024); the torch preset (DIGITS_XNNPACK_FROM_SOURCE=OFF) links Debian 12's libxnnpack-dev (a
// Feb 2022 snapshot), because libtorch itself links that one. Every subgraph call the model makes has the same
// signature in both. What differs is how a runtime is bound to its buffers: 2024 splits the old
// xnn_setup_runtime into xnn_reshape_runtime + xnn_setup_runtime_v2 (the old call still exists
// but is deprecated). Neither header has a version macro; XNN_FLAG_KEEP_DIMS appeared with the
// reshape API, so it tells them apart. 2024 also folds the Convert node into xnn_define_unary,
// and has a per-operator profiler (XNN_FLAG_BASIC_PROFILING) that 2022 lacks.
#pragma once

#include <xnnpack.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#if defined(XNN_FLAG_KEEP_DIMS)
#define DIGITS_XNNPACK_HAS_RESHAPE 1
#else
#define DIGITS_XNNPACK_HAS_RESHAPE 0
#endif

namespace digits {
namespace xnn_seam {

// Binds external input/output buffers to a runtime whose shapes were fixed at definition time.
inline xnn_status bind_buffers(xnn_runtime_t runtime, size_t count, const xnn_external_value* values) {
#if DIGITS_XNNPACK_HAS_RESHAPE
  xnn_status s = xnn_reshape_runtime(runtime);
  if (s != xnn_status_success) return s;
  return xnn_setup_runtime_v2(runtime, count, values);
#else
  return xnn_setup_runtime(runtime, count, values);
#endif
}

// A Convert node (float <-> quantised int8).
inline xnn_status define_convert(xnn_subgraph_t subgraph, uint32_t input_id, uint32_t output_id) {
#if DIGITS_XNNPACK_HAS_RESHAPE
  return xnn_define_unary(subgraph, xnn_unary_convert, nullptr, input_id, output_id, 0);
#else
  return xnn_define_convert(subgraph, input_id, output_id, 0);
#endif
}

#if defined(XNN_FLAG_BASIC_PROFILING)
constexpr bool kHasProfiler = true;
constexpr uint32_t kProfilingFlag = XNN_FLAG_BASIC_PROFILING;  // for xnn_create_runtime_v2
#else
constexpr bool kHasProfiler = false;
constexpr uint32_t kProfilingFlag = 0;
#endif

// A runtime made with kProfilingFlag: its operators' names, in the order they run (once; they
// do not change), and each one's time in the last run (whole microseconds: XNNPACK's unit).
inline xnn_status operator_names(xnn_runtime_t runtime, std::vector<std::string>& names) {
#if defined(XNN_FLAG_BASIC_PROFILING)
  size_t count = 0, size = 0;
  xnn_status s = xnn_get_runtime_profiling_info(runtime, xnn_profile_info_num_operators, sizeof count, &count, &size);
  if (s != xnn_status_success) return s;
  s = xnn_get_runtime_profiling_info(runtime, xnn_profile_info_operator_name, 0, nullptr, &size);
  if (s != xnn_status_success && s != xnn_status_out_of_memory) return s;  // out_of_memory: too small, size set
  std::vector<char> text(size);
  s = xnn_get_runtime_profiling_info(runtime, xnn_profile_info_operator_name, text.size(), text.data(), &size);
  if (s != xnn_status_success) return s;
  names.clear();
  for (size_t at = 0; names.size() < count && at < text.size(); at += names.back().size() + 1)
    names.emplace_back(text.data() + at);
  names.resize(count);
  return xnn_status_success;
#else
  (void)runtime, (void)names;
  return xnn_status_unsupported_parameter;
#endif
}
inline xnn_status operator_microseconds(xnn_runtime_t runtime, std::vector<uint64_t>& us) {
#if defined(XNN_FLAG_BASIC_PROFILING)
  size_t size = 0;
  return xnn_get_runtime_profiling_info(runtime, xnn_profile_info_operator_timing, us.size() * sizeof(uint64_t),
                                        us.data(), &size);
#else
  (void)runtime, (void)us;
  return xnn_status_unsupported_parameter;
#endif
}

inline const char* version_name() {
  return DIGITS_XNNPACK_HAS_RESHAPE ? "XNNPACK 2024 (trixie)" : "XNNPACK 2022 (bookworm)";
}

}  // namespace xnn_seam
}  // namespace digits
