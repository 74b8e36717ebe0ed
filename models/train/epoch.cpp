#include "epoch.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <string>

#include "augment.h"
#include "digits/png.h"
#include "net.h"
#include "numbers.h"
#include "pen_eval.h"

namespace train {

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

Epochs::Epochs(const digits::IdxImages& mnist, const std::vector<std::uint8_t>& mnist_labels,
               std::vector<int> mnist_train, const std::vector<pen::Sample>& pen, std::vector<std::size_t> pen_train,
               const PenAugmentOptions& augment, const Options& options)
    : mnist_(mnist),
      mnist_labels_(mnist_labels),
      mnist_train_(std::move(mnist_train)),
      pen_(pen),
      pen_train_(std::move(pen_train)),
      augment_(augment),
      seed_(options.seed),
      writer_balance_(options.writer_balance),
      pen_png_(options.pen_png) {
  touching_per_epoch_ = static_cast<std::size_t>(std::llround(options.touching * mnist_train_.size()));
  if (!pen_train_.empty())
    pen_per_epoch_ =
        static_cast<std::size_t>(std::llround(options.pen_share / (1 - options.pen_share) * mnist_train_.size()));
  // Each pen digit's chance to be drawn: its writer's n^writer_balance shared by their n digits.
  std::map<std::string, double> per_writer;
  for (std::size_t i : pen_train_) per_writer[pen_[i].writer] += 1;
  for (std::size_t i : pen_train_) {
    const double n = per_writer[pen_[i].writer];
    pen_weights_.push_back(std::pow(n, writer_balance_) / n);
  }
  if (pen_weights_.empty()) pen_weights_.push_back(1);
}

std::pair<torch::Tensor, torch::Tensor> Epochs::make(int epoch) const {
  std::mt19937 rng(seed_ * 1000003u + static_cast<unsigned>(epoch));
  std::vector<digits::Image28> images;
  std::vector<long> labels;
  images.reserve(mnist_train_.size() + pen_per_epoch_);
  AugmentOptions aug;
  for (int i : mnist_train_) {
    images.push_back(augment(mnist_.pixels.data() + std::size_t(i) * 784, rng, aug));
    labels.push_back(mnist_labels_[i]);
  }
  // Every digit alike (writer_balance 1) draws as it always has, so old recipes repeat.
  std::uniform_int_distribution<std::size_t> uniform(0, pen_train_.empty() ? 0 : pen_train_.size() - 1);
  std::discrete_distribution<std::size_t> weighted(pen_weights_.begin(), pen_weights_.end());
  for (std::size_t k = 0; k < pen_per_epoch_; ++k) {
    const std::size_t at = writer_balance_ == 1 ? uniform(rng) : weighted(rng);
    const pen::Sample& s = pen_[pen_train_[at]];
    auto img = pen_sample(s, rng, pen_png_, augment_);
    if (!img) continue;
    images.push_back(*img);
    labels.push_back(s.label);
  }
  // Two touching digits read as one are confidently wrong unless the network learns that such
  // ink is no digit: a flat target over the ten (in train.cpp's loss), so `uncertain` fires.
  const numbers::Style two = numbers::touching_pairs();
  for (std::size_t k = 0; k < touching_per_epoch_; ++k) {
    const auto pair = numbers::compose_images(mnist_, mnist_labels_, mnist_train_, rng, two);
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
}

}  // namespace train
