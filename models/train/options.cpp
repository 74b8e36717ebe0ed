#include "options.h"

#include <cstdlib>
#include <iostream>
#include <optional>

#include "flags.h"

namespace train {

std::string Widths::architecture() const {
  if (shipped()) return "cnn3-bn-fc512";
  return "cnn3-bn-c" + std::to_string(c1) + "-" + std::to_string(c2) + "-" + std::to_string(c3) + "-fc" +
         std::to_string(fc);
}

Options parse_options(int argc, char** argv) {
  Options o;
  const char* usage =
      "usage: digits-train [--data DIR] [--out DIR] [--fixture FILE] [--epochs N] [--batch N]\n"
      "                    [--lr X] [--threads N] [--train-limit N] [--seed N]\n"
      "                    [--pen DIGITS.json] [--pen-share F] [--pen-png F] [--style F] [--gap F]\n"
      "                    [--writer-balance F]   (pen writers weigh n^F for n digits: 1 = by digit, 0 = by writer)\n"
      "                    [--touching F]   (F x the MNIST count of touching pairs per epoch, taught as no digit)\n"
      "                    [--init DIR]   (fine-tune a previous run's --out: its f32 blob, its curve)\n"
      "                    [--widths C1,C2,C3,FC]   (conv1-3 channels, fc1 units; default 32,64,128,512)\n"
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
  flags.custom("widths", [&o](const std::string& text) -> std::optional<std::string> {
    int* w[4] = {&o.widths.c1, &o.widths.c2, &o.widths.c3, &o.widths.fc};
    std::size_t at = 0;
    for (int k = 0; k < 4; ++k) {
      const std::size_t end = k < 3 ? text.find(',', at) : text.size();
      const std::string part = end == std::string::npos ? "" : text.substr(at, end - at);
      char* stop = nullptr;
      const long v = std::strtol(part.c_str(), &stop, 10);
      if (part.empty() || *stop || v < 1 || v > 4096) return "four counts 1-4096, e.g. 8,16,32,128";
      *w[k] = static_cast<int>(v);
      at = end + 1;
    }
    return std::nullopt;
  });
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

}  // namespace train
