// The network digits-train trains (cnn3-bn-fc512, or narrower), and its bridge to core's weights blob:
// export (BatchNorm folded, XNNPACK's layouts) and import (the inverse, for --init and --soup).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "digits/digits.h"
#include "digits/weights.h"
#include "options.h"

namespace train {

struct NetImpl : torch::nn::Module {
  explicit NetImpl(Widths w = {})
      : widths(w),
        c1(torch::nn::Conv2dOptions(1, w.c1, 3).padding(1)),
        c2(torch::nn::Conv2dOptions(w.c1, w.c2, 3).padding(1)),
        c3(torch::nn::Conv2dOptions(w.c2, w.c3, 3).padding(1)),
        b1(w.c1),
        b2(w.c2),
        b3(w.c3),
        f1(w.c3 * 3 * 3, w.fc),
        f2(w.fc, 10),
        drop(0.5) {
    register_module("c1", c1);
    register_module("c2", c2);
    register_module("c3", c3);
    register_module("b1", b1);
    register_module("b2", b2);
    register_module("b3", b3);
    register_module("f1", f1);
    register_module("f2", f2);
    register_module("drop", drop);
  }
  torch::Tensor forward(torch::Tensor x) {
    x = torch::max_pool2d(torch::relu(b1(c1(x))), 2);
    x = torch::max_pool2d(torch::relu(b2(c2(x))), 2);
    x = torch::max_pool2d(torch::relu(b3(c3(x))), 2);
    x = torch::relu(f1(x.flatten(1)));
    return f2(drop(x));
  }
  Widths widths;
  torch::nn::Conv2d c1, c2, c3;
  torch::nn::BatchNorm2d b1, b2, b3;
  torch::nn::Linear f1, f2;
  torch::nn::Dropout drop;
};
TORCH_MODULE(Net);

constexpr float kMean = 0.1307f, kStd = 0.3081f;

// Core's 28x28 inputs as one N x 1 x 28 x 28 tensor, normalised like the blob says (kMean, kStd).
torch::Tensor to_tensor(const std::vector<digits::Image28>& images);
// The network's logits in eval mode, a thousand inputs at a time.
torch::Tensor logits_of(Net& net, const torch::Tensor& x);
// BatchNorm folding + the engine's layouts (OHWI filters, HWC flatten order for fc1).
digits::WeightsBlob export_blob(Net& net, double temperature);
// Starts `net` from an exported f32 blob: the inverse of export_blob's layouts. BatchNorm was
// folded into the convolutions, so the BatchNorm layers become the identity and stay frozen
// (eval mode) while fine-tuning: batch statistics would no longer match the folded weights.
void load_blob_into(Net& net, const digits::WeightsBlob& blob);
// The parity fixture core's tests check themselves against (tests/fixtures/reference_logits.bin):
// "DGTF", a uint32 count, then per input its 784 floats and libtorch's 10 logits; the first 32.
void write_parity_fixture(const std::string& path, const std::vector<digits::Image28>& inputs,
                          const torch::Tensor& logits);

}  // namespace train
