// The one place that knows there are two XNNPACKs.
//
// The WebAssembly build and, by default, the native one compile Debian trixie's source (Nov
// 2024); the torch preset (DIGITS_XNNPACK_FROM_SOURCE=OFF) links Debian 12's libxnnpack-dev (a
// Feb 2022 snapshot), because libtorch itself links that one. Every subgraph call the model makes has the same
// signature in both. What differs is how a runtime is bound to its buffers: 2024 splits the old
// xnn_setup_runtime into xnn_reshape_runtime + xnn_setup_runtime_v2 (the old call still exists
// but is deprecated). Neither header has a version macro; XNN_FLAG_KEEP_DIMS appeared with the
// reshape API, so it tells them apart. 2024 also folds the Convert node into xnn_define_unary.
#pragma once

#include <xnnpack.h>

#include <cstddef>

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

inline const char* version_name() {
  return DIGITS_XNNPACK_HAS_RESHAPE ? "XNNPACK 2024 (trixie)" : "XNNPACK 2022 (bookworm)";
}

}  // namespace xnn_seam
}  // namespace digits
