#include "net.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>

#include "io.h"

namespace train {

torch::Tensor to_tensor(const std::vector<digits::Image28>& images) {
  auto t = torch::empty({static_cast<long>(images.size()), 1, 28, 28});
  float* p = t.data_ptr<float>();
  for (size_t i = 0; i < images.size(); ++i)
    for (int k = 0; k < 784; ++k) p[i * 784 + k] = (images[i][k] - kMean) / kStd;
  return t;
}

torch::Tensor logits_of(Net& net, const torch::Tensor& x) {
  torch::NoGradGuard ng;
  net->eval();
  std::vector<torch::Tensor> parts;
  for (long i = 0; i < x.size(0); i += 1000)
    parts.push_back(net->forward(x.slice(0, i, std::min(x.size(0), i + 1000))));
  return torch::cat(parts);
}

digits::WeightsBlob export_blob(Net& net, double temperature) {
  torch::NoGradGuard ng;
  digits::WeightsBlob blob;
  const Widths& w = net->widths;
  blob.set_meta("architecture", w.architecture());
  blob.set_meta("mean", std::to_string(kMean));
  blob.set_meta("std", std::to_string(kStd));
  std::ostringstream t;
  t.precision(9);
  t << temperature;
  blob.set_meta("temperature", t.str());
  auto add = [&](const std::string& name, torch::Tensor v) {
    v = v.contiguous().to(torch::kFloat);
    digits::Tensor out;
    out.name = name;
    for (auto d : v.sizes()) out.dims.push_back(static_cast<std::uint32_t>(d));
    out.values.assign(v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
    blob.tensors.push_back(std::move(out));
  };
  auto fold = [&](const std::string& name, torch::nn::Conv2d& c, torch::nn::BatchNorm2d& b) {
    auto scale = b->weight / torch::sqrt(b->running_var + b->options.eps());
    auto w = c->weight * scale.view({-1, 1, 1, 1});
    auto bias = (c->bias - b->running_mean) * scale + b->bias;
    add(name + ".weight", w.permute({0, 2, 3, 1}));
    add(name + ".bias", bias);
  };
  fold("conv1", net->c1, net->b1);
  fold("conv2", net->c2, net->b2);
  fold("conv3", net->c3, net->b3);
  add("fc1.weight", net->f1->weight.view({w.fc, w.c3, 3, 3}).permute({0, 2, 3, 1}).reshape({w.fc, w.c3 * 9}));
  add("fc1.bias", net->f1->bias);
  add("fc2.weight", net->f2->weight);
  add("fc2.bias", net->f2->bias);
  return blob;
}

void load_blob_into(Net& net, const digits::WeightsBlob& blob) {
  torch::NoGradGuard ng;
  auto get = [&](const std::string& name) {
    const digits::Tensor* t = blob.find(name);
    if (!t) {
      std::cerr << "digits-train: --init blob has no tensor " << name << "\n";
      std::exit(2);
    }
    std::vector<long> dims(t->dims.begin(), t->dims.end());
    return torch::tensor(t->values).reshape(dims);
  };
  auto set = [&](torch::Tensor dst, const torch::Tensor& src, const std::string& name) {
    if (dst.sizes() != src.sizes()) {
      std::cerr << "digits-train: --init blob's " << name << " has another shape than this network's\n";
      std::exit(2);
    }
    dst.copy_(src);
  };
  auto conv = [&](const std::string& name, torch::nn::Conv2d& c, torch::nn::BatchNorm2d& b) {
    set(c->weight, get(name + ".weight").permute({0, 3, 1, 2}), name + ".weight");
    set(c->bias, get(name + ".bias"), name + ".bias");
    b->weight.fill_(1);
    b->bias.fill_(0);
    b->running_mean.fill_(0);
    b->running_var.fill_(1 - b->options.eps());
  };
  conv("conv1", net->c1, net->b1);
  conv("conv2", net->c2, net->b2);
  conv("conv3", net->c3, net->b3);
  const Widths& w = net->widths;
  set(net->f1->weight, get("fc1.weight").reshape({w.fc, 3, 3, w.c3}).permute({0, 3, 1, 2}).reshape({w.fc, w.c3 * 9}),
      "fc1.weight");
  set(net->f1->bias, get("fc1.bias"), "fc1.bias");
  set(net->f2->weight, get("fc2.weight"), "fc2.weight");
  set(net->f2->bias, get("fc2.bias"), "fc2.bias");
}

void write_parity_fixture(const std::string& path, const std::vector<digits::Image28>& inputs,
                          const torch::Tensor& logits) {
  const int n = std::min<int>(32, static_cast<int>(inputs.size()));
  std::vector<std::uint8_t> bytes;
  auto put = [&](const void* p, size_t k) {
    bytes.insert(bytes.end(), (const std::uint8_t*)p, (const std::uint8_t*)p + k);
  };
  const std::uint32_t count = static_cast<std::uint32_t>(n);
  put("DGTF", 4);
  put(&count, 4);
  for (int i = 0; i < n; ++i) {
    put(inputs[i].data(), 784 * 4);
    put(logits[i].contiguous().data_ptr<float>(), 10 * 4);
  }
  write_bytes(path, bytes);
}

}  // namespace train
