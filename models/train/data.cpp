#include "data.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <numeric>
#include <random>

#include "augment.h"
#include "io.h"
#include "net.h"
#include "pen_eval.h"

namespace train {

namespace {

[[noreturn]] void bad_input(const std::string& name, const std::string& error) {
  std::cerr << "digits-train: " << name << ": " << error << "\n";
  std::exit(2);
}

digits::IdxImages load_images(const Options& opt, const std::string& name) {
  auto bytes = read_file(opt.data + "/" + name);
  auto r = digits::parse_idx_images(bytes.data(), bytes.size());
  if (!r) bad_input(name, r.error());
  return std::move(r.value());
}

std::vector<std::uint8_t> load_labels(const Options& opt, const std::string& name) {
  auto bytes = read_file(opt.data + "/" + name);
  auto r = digits::parse_idx_labels(bytes.data(), bytes.size());
  if (!r) bad_input(name, r.error());
  return std::move(r.value());
}

// The images idx[...] of src, preprocessed, with their labels appended to labels_out.
std::vector<digits::Image28> plain(const digits::IdxImages& src, const std::vector<int>& idx,
                                   const std::vector<std::uint8_t>& labels_in, std::vector<std::uint8_t>& labels_out) {
  std::vector<digits::Image28> out;
  for (int i : idx) {
    out.push_back(preprocess_plain(src.pixels.data() + std::size_t(i) * 784));
    labels_out.push_back(labels_in[i]);
  }
  return out;
}

bool flatter_than_four_to_one(const pen::Sample& s) {
  const pen::Bounds b(s.strokes);
  return b.x1 - b.x0 > 4 * (b.y1 - b.y0);
}

}  // namespace

Data load_data(const Options& opt) {
  Data d;
  d.train_images = load_images(opt, "train-images-idx3-ubyte");
  d.train_labels = load_labels(opt, "train-labels-idx1-ubyte");
  d.test_images = load_images(opt, "t10k-images-idx3-ubyte");
  d.test_labels = load_labels(opt, "t10k-labels-idx1-ubyte");
  if (opt.pen.empty()) {
    std::fprintf(stderr,
                 "no pen digits (--pen): training on MNIST only; the model card's pen-digit figures will be missing\n");
    return d;
  }
  auto bytes = read_file(opt.pen);
  d.pen_sha256 = sha256_hex(bytes);
  auto r = pen::parse(bytes.data(), bytes.size());
  if (!r) bad_input(opt.pen, r.error());
  d.pen_samples = std::move(r.value());
  d.pen_train = pen::select(d.pen_samples, false);
  // Training only: a sample over 4x wider than tall is a fragment, not a digit (ibm's "4"s that are
  // only the bar, "1"s lying flat — 21 of them); taught as digits, they made the network read any
  // dash as a "1". No held-out sample is that flat once pen::select has dropped the runs of zeros.
  d.pen_train.erase(std::remove_if(d.pen_train.begin(), d.pen_train.end(),
                                   [&](std::size_t i) { return flatter_than_four_to_one(d.pen_samples[i]); }),
                    d.pen_train.end());
  d.pen_val = pen::select(d.pen_samples, true);
  d.pen_dropped = static_cast<long>(d.pen_samples.size() - d.pen_train.size() - d.pen_val.size());
  if (opt.train_limit > 0) {  // smoke run: a few pen digits of each side
    std::mt19937 r2(7);
    std::shuffle(d.pen_train.begin(), d.pen_train.end(), r2);
    std::shuffle(d.pen_val.begin(), d.pen_val.end(), r2);
    d.pen_train.resize(std::min<std::size_t>(d.pen_train.size(), std::max(30, opt.train_limit / 3)));
    d.pen_val.resize(std::min<std::size_t>(d.pen_val.size(), std::max(100, opt.train_limit / 10)));
    std::sort(d.pen_val.begin(), d.pen_val.end());
  }
  std::fprintf(stderr,
               "pen digits: %zu (sha256 %s): %zu train, %zu validation (held-out sources), %ld dropped as "
               "mis-segmented\n",
               d.pen_samples.size(), d.pen_sha256.c_str(), d.pen_train.size(), d.pen_val.size(), d.pen_dropped);
  return d;
}

Splits make_splits(const Data& d, const Options& opt) {
  Splits s;
  std::vector<int> order(d.train_images.count);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 split_rng(12345);
  std::shuffle(order.begin(), order.end(), split_rng);
  int n_val = opt.validation, n_test = d.test_images.count;
  if (opt.train_limit > 0) {
    n_val = std::max(50, opt.train_limit / 3);
    n_test = std::min(d.test_images.count, std::max(100, opt.train_limit));
  }
  const std::vector<int> val_idx(order.begin(), order.begin() + n_val);
  s.train_idx.assign(order.begin() + n_val, order.end());
  if (opt.train_limit > 0) s.train_idx.resize(std::min<std::size_t>(s.train_idx.size(), opt.train_limit));

  std::vector<int> test_idx(n_test);
  std::iota(test_idx.begin(), test_idx.end(), 0);
  s.val_images = plain(d.train_images, val_idx, d.train_labels, s.val_labels);
  s.test_images = plain(d.test_images, test_idx, d.test_labels, s.test_labels);
  s.x_val = to_tensor(s.val_images), s.x_test = to_tensor(s.test_images);
  s.y_val = torch::tensor(std::vector<long>(s.val_labels.begin(), s.val_labels.end()));
  s.y_test = torch::tensor(std::vector<long>(s.test_labels.begin(), s.test_labels.end()));

  // Pen validation through the page's stroke path, as the product sees it.
  std::vector<long> pen_val_labels;
  for (std::size_t i : d.pen_val) {
    auto pre = digits::preprocess_strokes(d.pen_samples[i].strokes);
    if (!pre || pre.value().empty) continue;  // counted as errors by the core evaluation
    s.pen_val_images.push_back(pre.value().image);
    pen_val_labels.push_back(d.pen_samples[i].label);
  }
  if (d.with_pen()) s.x_pen_val = to_tensor(s.pen_val_images), s.y_pen_val = torch::tensor(pen_val_labels);

  for (std::size_t i = 0; i < std::min<std::size_t>(2000, s.train_idx.size()); ++i)
    s.calibration.push_back(preprocess_plain(d.train_images.pixels.data() + std::size_t(s.train_idx[i]) * 784));
  const std::size_t pen_calibration = std::min<std::size_t>(1000, d.pen_train.size());  // spread over all of them
  for (std::size_t k = 0; k < pen_calibration; ++k) {
    auto pre = digits::preprocess_strokes(d.pen_samples[d.pen_train[k * d.pen_train.size() / pen_calibration]].strokes);
    if (pre && !pre.value().empty) s.calibration.push_back(pre.value().image);
  }
  return s;
}

}  // namespace train
