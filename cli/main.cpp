// digits — command-line front end over core.
//
//   digits predict FILE.png...                       one JSON line per file
//   digits read FILE.png...                          a whole number: one JSON line per file
//   digits eval --numbers N (--pen DIGITS.json [--sources …] | --images IDX --labels IDX) [--spacing …] [--marks]
//   [--seed N] digits eval --images IDX --labels IDX [--model BLOB] [--json] digits eval --pen DIGITS.json [--sources
//   held-out|train|all] [--as strokes|png|png-all-inks] [--json] digits bench [--threads N] [--iterations N]      see
//   bench/ for the side-by-side table
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "answer_json.h"
#include "digits/digits.h"
#include "digits/idx.h"
#include "digits/png.h"
#include "files.h"
#include "flags.h"
#include "numbers.h"
#include "pen_eval.h"
#include "timing.h"

namespace {

int usage(int code) {
  std::fprintf(
      code ? stderr : stdout,
      "usage: digits predict [--model BLOB] [--precision f32|int8] FILE.png...\n"
      "       digits read [--model BLOB] [--precision f32|int8] FILE.png...\n"
      "       digits eval --images IDX --labels IDX [--model BLOB] [--precision f32|int8] [--limit N] [--json]\n"
      "       digits eval --pen DIGITS.json [--sources held-out|train|all] [--as strokes|png|png-all-inks]\n"
      "                   [--every K] [--turn DEG] [--model BLOB] [--precision f32|int8] [--json]\n"
      "       digits eval --numbers N (--pen DIGITS.json [--sources held-out|train|all] [--as strokes|png] |\n"
      "                   --images IDX --labels IDX)\n"
      "                   [--spacing all|ordinary|apart|touching] [--marks] [--seed N] [--model BLOB]\n"
      "                   [--precision f32|int8]\n"
      "       digits info [--model BLOB]\n"
      "       digits bench [--model BLOB] [--precision f32|int8] [--threads N] [--iterations N]\n"
      "\n"
      "predict  prints one JSON line per file: file, digit, confidence, probabilities, empty, uncertain\n"
      "read     prints one JSON line per file: file, text (the number), digits (each with its box), empty\n"
      "eval     accuracy, confusion matrix and errors on an MNIST-style IDX pair (e.g. t10k-*), or on real pen\n"
      "         digits (UNIPEN-style JSON) per source, drawn as strokes or uploaded as PNGs of every style;\n"
      "         with --numbers, reading N synthetic numbers of 2-8 digits made of those digits (pen: each\n"
      "         number one writer's, of the --sources); --spacing ordinary: 2-6 digits 0.2-0.6 of a digit\n"
      "         apart (the target case), apart: 2-6 digits a digit apart, upright (what the single digits\n"
      "         allow), touching (images only): two digits touching by 1-3 px, to be split or flagged;\n"
      "         --marks (pen only): each number with a point, comma, colon, hyphen, minus sign or a\n"
      "         leading point (\".75\"); --every K (pen): only every K-th point of each stroke, as a tablet\n"
      "         that samples the pen K times more sparsely would record it; --turn DEG (pen): each digit\n"
      "         turned DEG degrees clockwise (-90 to 90; positive leans it right, as a more italic hand)\n"
      "info     what the weights blob says about itself\n"
      "bench    single-digit latency and batch throughput of this machine (bench/ compares engines)\n");
  return code;
}

using json = nlohmann::ordered_json;

// One JSON line: {"file", then the answer's fields}. A file name that is not UTF-8 is printed
// with U+FFFD for its bad bytes rather than failing the line.
std::string json_line(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }
std::string file_line(const std::string& file, const json& answer) {
  json line{{"file", file}};
  line.update(answer);
  return json_line(line);
}

struct Args {
  std::string model, images, labels, pen, sources = "held-out", as = "strokes", spacing = "all";
  bool json = false, marks = false;
  long limit = 0;
  int numbers = 0;
  int every = 1;    // --every: keep every K-th point of each pen stroke
  double turn = 0;  // --turn: each pen digit turned this many degrees clockwise
  long seed = 1;    // --numbers: which numbers are drawn (the tests draw with 3 for strokes, 4 for PNG)
  int threads = 1;
  int iterations = 2000;
  digits::Precision precision = digits::Precision::F32;
  std::vector<std::string> files;
};

bool parse_args(int argc, char** argv, Args& a) {
  std::string precision = "f32";
  frontend::Flags flags;
  flags.text("model", &a.model).text("images", &a.images).text("labels", &a.labels).text("pen", &a.pen);
  flags.choice("sources", &a.sources, {"held-out", "train", "all"})
      .choice("as", &a.as, {"strokes", "png", "png-all-inks"})
      .choice("spacing", &a.spacing, numbers::kSpacings);
  flags.number("limit", &a.limit, 0, 1L << 40)
      .number("numbers", &a.numbers, 1, 1000000)
      .number("every", &a.every, 1, 64)
      .number("seed", &a.seed, 0, (1L << 32) - 1)
      .real("turn", &a.turn, -90, 90);
  flags.number("threads", &a.threads, 1, 1024).number("iterations", &a.iterations, 1, 100000000);
  flags.choice("precision", &precision, {"f32", "int8"}).on("json", &a.json).on("marks", &a.marks);
  auto files = flags.parse(argc, argv, 2);
  if (!files) {
    std::fprintf(stderr, "digits: %s\n", files.error().c_str());
    return false;
  }
  a.files = std::move(files.value());
  a.precision = precision == "int8" ? digits::Precision::Int8 : digits::Precision::F32;
  return true;
}

digits::Result<digits::Model> load_model(const Args& a) {
  const std::string& path = a.model;
  digits::ModelOptions options;
  options.threads = a.threads;
  options.precision = a.precision;
  return frontend::load_model(path, options);
}

// A PNG file decoded, or a message that names the file and the problem.
digits::Result<digits::DecodedImage> decode_file(const std::string& file) {
  auto read = frontend::read_file(file);
  if (!read) return digits::Error{read.error()};
  const auto& bytes = read.value();
  auto img = digits::decode_png(bytes.data(), bytes.size());
  if (!img) return digits::Error{file + ": " + img.error()};
  return img;
}

// One JSON line per file from `answer` (Result<std::string>); a message per bad file, exit 1 if any.
template <typename Answer>
int per_file(const Args& a, Answer answer) {
  if (a.files.empty()) return usage(2);
  auto model = load_model(a);
  if (!model) {
    std::fprintf(stderr, "digits: %s\n", model.error().c_str());
    return 1;
  }
  int failures = 0;
  for (const auto& file : a.files) {
    auto img = decode_file(file);
    auto line =
        img ? answer(model.value(), file, img.value()) : digits::Result<std::string>(digits::Error{img.error()});
    if (line) {
      std::printf("%s\n", line.value().c_str());
    } else {
      std::fprintf(stderr, "digits: %s\n", line.error().c_str());
      ++failures;
    }
  }
  return failures ? 1 : 0;
}

int cmd_predict(const Args& a) {
  return per_file(
      a, [](digits::Model& m, const std::string& file, const digits::DecodedImage& img) -> digits::Result<std::string> {
        auto p = m.predict_image(img.view());
        if (!p) return digits::Error{file + ": " + p.error()};
        return file_line(file, answer::prediction_json(p.value()));
      });
}

int cmd_read(const Args& a) {
  return per_file(
      a, [](digits::Model& m, const std::string& file, const digits::DecodedImage& img) -> digits::Result<std::string> {
        auto r = m.read_image(img.view());
        if (!r) return digits::Error{file + ": " + r.error()};
        return file_line(file, answer::reading_json(r.value()));
      });
}

// The samples as --every and --turn draw them (selected before, on the samples as recorded):
// `samples` itself unless changed into `changed`.
const std::vector<pen::Sample>& drawn_samples(const std::vector<pen::Sample>& samples, const Args& a,
                                              std::vector<pen::Sample>& changed) {
  if (a.every <= 1 && a.turn == 0) return samples;
  if (a.every > 1) changed = pen::sparser(samples, a.every);
  if (a.turn != 0) changed = pen::turned(a.every > 1 ? changed : samples, a.turn);
  return changed;
}

// Synthetic numbers (common/numbers.h): pen digits of the --sources' writers, or MNIST images.
int cmd_eval_numbers(const Args& a, const std::vector<pen::Sample>* samples, const digits::IdxImages* images,
                     const std::vector<std::uint8_t>* labels) {
  auto model = load_model(a);
  if (!model) {
    std::fprintf(stderr, "digits: %s\n", model.error().c_str());
    return 1;
  }
  numbers::Style style = numbers::spacing(a.spacing);
  style.marks = a.marks;
  if (a.marks && !samples) {
    std::fprintf(stderr, "digits: --marks draws points, commas, colons, hyphens and signs with pen strokes (--pen)\n");
    return 2;
  }
  if (samples && style.touch) {
    std::fprintf(stderr,
                 "digits: --spacing touching composes MNIST images (--images, --labels); pen strokes do not touch\n");
    return 2;
  }
  numbers::Score score;
  if (samples) {
    std::vector<std::size_t> pool;
    if (a.sources == "all")
      for (std::size_t i = 0; i < samples->size(); ++i) pool.push_back(i);
    else
      pool = pen::select(*samples, a.sources == "held-out");
    std::vector<pen::Sample> changed;
    auto s = numbers::score_strokes(model.value(), drawn_samples(*samples, a, changed), pool, a.numbers,
                                    unsigned(a.seed), a.as == "png", style);
    if (!s) {
      std::fprintf(stderr, "digits: %s\n", s.error().c_str());
      return 1;
    }
    score = s.value();
  } else {
    std::vector<int> pool(static_cast<size_t>(images->count));
    for (int i = 0; i < images->count; ++i) pool[static_cast<size_t>(i)] = i;
    score = numbers::score_images(model.value(), *images, *labels, pool, a.numbers, unsigned(a.seed), style);
  }
  std::printf("%s", numbers::summary(score).c_str());
  return 0;
}

int cmd_eval_pen(const Args& a) {
  auto bytes = frontend::read_file(a.pen);
  if (!bytes) {
    std::fprintf(stderr, "digits: %s\n", bytes.error().c_str());
    return 1;
  }
  auto samples = pen::parse(bytes.value().data(), bytes.value().size());
  if (!samples) {
    std::fprintf(stderr, "digits: %s: %s\n", a.pen.c_str(), samples.error().c_str());
    return 1;
  }
  if (a.numbers && a.as == "png-all-inks") {
    std::fprintf(stderr, "digits: --as png-all-inks is for single digits; numbers take --as strokes or png\n");
    return 2;
  }
  if (a.numbers) return cmd_eval_numbers(a, &samples.value(), nullptr, nullptr);
  auto model = load_model(a);
  if (!model) {
    std::fprintf(stderr, "digits: %s\n", model.error().c_str());
    return 1;
  }
  std::vector<std::size_t> which;
  if (a.sources != "all") which = pen::select(samples.value(), a.sources == "held-out");
  if (which.empty() && a.sources != "all") {
    std::fprintf(stderr, "digits: %s has no samples of the %s sources\n", a.pen.c_str(), a.sources.c_str());
    return 1;
  }
  const auto t0 = std::chrono::steady_clock::now();
  // png: each digit drawn in one ink, the inks taking turns; png-all-inks: in all three.
  std::vector<pen::Sample> changed;
  auto report = pen::evaluate(model.value(), drawn_samples(samples.value(), a, changed), which,
                              a.as == "strokes" ? pen::Path::Strokes : pen::Path::Png,
                              a.as == "png-all-inks" ? pen::Inks::Every : pen::Inks::Rotate);
  if (!report) {
    std::fprintf(stderr, "digits: %s\n", report.error().c_str());
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s", pen::summary(report.value()).c_str());
  std::printf("  %.2f s (%.0f digits/s)\n", seconds, report.value().all.n / seconds);
  if (a.json) std::printf("%s\n", pen::to_json(report.value()).c_str());
  return 0;
}

int cmd_eval(const Args& a) {
  if (!a.pen.empty()) return cmd_eval_pen(a);
  if (a.images.empty() || a.labels.empty()) return usage(2);
  if (a.every > 1 || a.turn != 0) {
    std::fprintf(stderr, "digits: --every and --turn change pen strokes (--pen); images have none\n");
    return 2;
  }
  auto ib = frontend::read_file(a.images), lb = frontend::read_file(a.labels);
  if (!ib || !lb) {
    std::fprintf(stderr, "digits: %s\n", (ib ? lb : ib).error().c_str());
    return 1;
  }
  auto images = digits::parse_idx_images(ib.value().data(), ib.value().size());
  if (!images) {
    std::fprintf(stderr, "digits: %s: %s\n", a.images.c_str(), images.error().c_str());
    return 1;
  }
  auto labels = digits::parse_idx_labels(lb.value().data(), lb.value().size());
  if (!labels) {
    std::fprintf(stderr, "digits: %s: %s\n", a.labels.c_str(), labels.error().c_str());
    return 1;
  }
  if (labels.value().size() != static_cast<size_t>(images.value().count)) {
    std::fprintf(stderr, "digits: %s has %zu labels but %s has %d images\n", a.labels.c_str(), labels.value().size(),
                 a.images.c_str(), images.value().count);
    return 1;
  }
  if (a.numbers) return cmd_eval_numbers(a, nullptr, &images.value(), &labels.value());
  auto model = load_model(a);
  if (!model) {
    std::fprintf(stderr, "digits: %s\n", model.error().c_str());
    return 1;
  }
  const long n = a.limit > 0 ? std::min<long>(a.limit, images.value().count) : images.value().count;
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<digits::Image28> batch;
  std::vector<long> index;
  long empty = 0;
  for (long i = 0; i < n; ++i) {
    auto pre = digits::preprocess_image(images.value().view(static_cast<int>(i)));
    if (!pre || pre.value().empty) {
      ++empty;  // counted as an error below
      continue;
    }
    batch.push_back(pre.value().image);
    index.push_back(i);
  }
  auto ran = model.value().predict_batch(batch);
  if (!ran) {
    std::fprintf(stderr, "digits: %s\n", ran.error().c_str());
    return 1;
  }
  const auto& preds = ran.value();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long confusion[10][10] = {};
  long correct = 0;
  std::vector<std::string> errors;
  for (size_t k = 0; k < preds.size(); ++k) {
    const int truth = labels.value()[index[k]];
    confusion[truth][preds[k].digit]++;
    if (preds[k].digit == truth)
      ++correct;
    else if (errors.size() < 20) {
      char buf[96];
      std::snprintf(buf, sizeof buf, "#%ld: label %d, predicted %d (%.1f%%)", index[k], truth, preds[k].digit,
                    100.0 * preds[k].confidence);
      errors.push_back(buf);
    }
  }
  const double accuracy = n ? double(correct) / n : 0;
  std::printf("accuracy: %.2f%% (%ld/%ld), %ld errors, %ld empty, %.2f s (%.0f images/s)\n", 100 * accuracy, correct, n,
              n - correct, empty, seconds, n / seconds);
  std::printf("confusion (rows: label, columns: predicted):\n     ");
  for (int c = 0; c < 10; ++c) std::printf("%6d", c);
  std::printf("\n");
  for (int r = 0; r < 10; ++r) {
    std::printf("%4d ", r);
    for (int c = 0; c < 10; ++c) std::printf("%6ld", confusion[r][c]);
    std::printf("\n");
  }
  if (!errors.empty()) std::printf("first errors:\n");
  for (const auto& e : errors) std::printf("  %s\n", e.c_str());
  if (a.json) {
    json confusion_rows = json::array();
    for (const auto& row : confusion) confusion_rows.push_back(row);
    std::printf("%s\n", json_line({{"images", n},
                                   {"correct", correct},
                                   {"empty", empty},
                                   {"accuracy", answer::round6(static_cast<float>(accuracy))},
                                   {"seconds", std::round(seconds * 1000) / 1000},
                                   {"confusion", confusion_rows}})
                            .c_str());
  }
  return 0;
}

int cmd_info(const Args& a) {
  auto model = load_model(a);
  if (!model) {
    std::fprintf(stderr, "digits: %s\n", model.error().c_str());
    return 1;
  }
  const auto& info = model.value().info();
  json j{{"architecture", info.architecture},
         {"blob_version", info.blob_version},
         {"storage", info.storage},
         {"temperature", answer::round6(info.temperature)}};
  for (const auto& kv : info.metadata)
    if (!j.contains(kv.first)) j[kv.first] = kv.second;
  std::printf("%s\n", json_line(j).c_str());
  return 0;
}

int cmd_bench(const Args& a) {
  auto model = load_model(a);
  if (!model) {
    std::fprintf(stderr, "digits: %s\n", model.error().c_str());
    return 1;
  }
  // A real drawing: a 7 as pen strokes.
  const std::vector<digits::Stroke> seven = {{{20, 8}, {80, 8}, {62, 40}, {45, 95}}};
  auto pre = digits::preprocess_strokes(seven);
  const digits::Image28 img = pre.value().image;
  auto& m = model.value();
  auto single = timing::time_calls(a.iterations, [&] { m.predict(img); });
  std::vector<digits::Image28> batch(64, img);
  const double tp = timing::throughput(std::max(10, a.iterations / 40), 64, [&] { m.predict_batch(batch); });
  auto strokes = timing::time_calls(a.iterations, [&] { m.predict_strokes(seven); });
  auto one = [](double us) { return std::round(us * 10) / 10; };
  std::printf("%s\n", json_line({{"threads", a.threads},
                                 {"precision", a.precision == digits::Precision::Int8 ? "int8" : "f32"},
                                 {"storage", m.info().storage},
                                 {"single_median_us", one(single.median_us)},
                                 {"single_p99_us", one(single.p99_us)},
                                 {"strokes_median_us", one(strokes.median_us)},
                                 {"batch64_digits_per_s", std::round(tp)}})
                          .c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(2);
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") return usage(0);
  Args a;
  if (!parse_args(argc, argv, a)) return 2;
  if (cmd == "predict") return cmd_predict(a);
  if (cmd == "read") return cmd_read(a);
  if (cmd == "eval") return cmd_eval(a);
  if (cmd == "info") return cmd_info(a);
  if (cmd == "bench") return cmd_bench(a);
  std::fprintf(stderr, "digits: unknown command '%s'\n", cmd.c_str());
  return usage(2);
}
