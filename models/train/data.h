// What a run trains and is judged on: MNIST and the real pen digits, read once, then split and
// preprocessed once. The pen digits of pen::held_out_sources() are validation only — never
// trained on: they select, calibrate and judge.
#pragma once

#include <torch/torch.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "digits/digits.h"
#include "digits/idx.h"
#include "options.h"
#include "pen_digits.h"

namespace train {

struct Data {
  digits::IdxImages train_images, test_images;
  std::vector<std::uint8_t> train_labels, test_labels;
  std::vector<pen::Sample> pen_samples;         // empty without --pen
  std::vector<std::size_t> pen_train, pen_val;  // indexes pen_samples
  std::string pen_sha256;
  long pen_dropped = 0;  // left out of both sides: the data set's known segmentation flaw
  bool with_pen() const { return !pen_train.empty() && !pen_val.empty(); }
};

// --data's MNIST files and --pen's digits (a smoke run, --train-limit, keeps a few pen digits of
// each side). A file that cannot be read or parsed stops the trainer (exit 2), naming it.
Data load_data(const Options& opt);

// The fixed splits, preprocessed as core does (MNIST through preprocess_image, pen validation
// through the page's stroke path).
struct Splits {
  std::vector<int> train_idx;  // the MNIST training images trained on (a fixed, shuffled 5 000 held out)
  std::vector<digits::Image28> val_images, test_images;
  std::vector<std::uint8_t> val_labels, test_labels;
  torch::Tensor x_val, y_val, x_test, y_test;
  std::vector<digits::Image28> pen_val_images;  // a digit preprocessing finds empty is left out here
  torch::Tensor x_pen_val, y_pen_val;           // undefined without pen digits
  // Int8 calibration set: unaugmented training images (never validation or test), MNIST and pen.
  std::vector<digits::Image28> calibration;
};
Splits make_splits(const Data& data, const Options& opt);

}  // namespace train
