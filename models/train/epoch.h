// What the network trains on, one epoch at a time: every MNIST training image once (augmented),
// pen digits drawn at random with fresh augmentation so that they are --pen-share of the epoch,
// and --touching's pairs of touching MNIST digits taught as no digit. Each epoch is made from its
// own seed, so an epoch can be made on a worker thread while the previous one trains.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "digits/digits.h"
#include "digits/idx.h"
#include "options.h"
#include "pen_augment.h"
#include "pen_digits.h"

namespace train {

// One training sample from a pen digit: augmented strokes, then either the page's stroke path
// (with a pen width the page might not use: the network must not care) or a rendered PNG of a
// random upload style through the image path. Empty when preprocessing found nothing to read.
std::optional<digits::Image28> pen_sample(const pen::Sample& sample, std::mt19937& rng, double png_share,
                                          const PenAugmentOptions& augment);

class Epochs {
 public:
  // `mnist_train` indexes `mnist`; `pen_train` indexes `pen` (empty: MNIST only). The references
  // must outlive this object.
  Epochs(const digits::IdxImages& mnist, const std::vector<std::uint8_t>& mnist_labels, std::vector<int> mnist_train,
         const std::vector<pen::Sample>& pen, std::vector<std::size_t> pen_train, const PenAugmentOptions& augment,
         const Options& options);

  // Samples in an epoch (a pen digit or pair that preprocessing finds empty is left out).
  std::size_t size() const { return mnist_train_.size() + pen_per_epoch_ + touching_per_epoch_; }
  // Epoch `epoch`'s inputs (N x 1 x 28 x 28) and labels (-1: a touching pair, no digit), shuffled.
  std::pair<torch::Tensor, torch::Tensor> make(int epoch) const;

 private:
  const digits::IdxImages& mnist_;
  const std::vector<std::uint8_t>& mnist_labels_;
  std::vector<int> mnist_train_;
  const std::vector<pen::Sample>& pen_;
  std::vector<std::size_t> pen_train_;
  std::vector<double> pen_weights_;  // each pen digit's chance to be drawn (see --writer-balance)
  PenAugmentOptions augment_;
  unsigned seed_;  // an epoch's samples come from seed_ and its number
  double writer_balance_, pen_png_;
  std::size_t pen_per_epoch_ = 0, touching_per_epoch_ = 0;
};

}  // namespace train
