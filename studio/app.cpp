#include "app.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <utility>

#include "files.h"

namespace studio {

namespace {

// "cannot open PATH" etc., or "" with the bytes in `out`.
std::string read_file(const std::string& path, std::vector<std::uint8_t>& out) {
  auto r = frontend::read_file(path);
  if (!r) return r.error();
  out = std::move(r.value());
  return {};
}

digits::Result<NamedModel> load_named(const std::string& path) {
  auto m = frontend::load_model(path);
  if (!m) return digits::Error{m.error()};
  return NamedModel{path.empty() ? "embedded" : path, std::move(m.value())};
}

bool starts_with(const std::vector<std::uint8_t>& bytes, std::initializer_list<std::uint8_t> prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

// MNIST's files come in pairs named *-images-idx3-ubyte / *-labels-idx1-ubyte: guess the labels
// so that opening t10k-images shows errors without a second path.
std::string sibling_labels(const std::string& images_path) {
  const std::string from = "images-idx3", to = "labels-idx1";
  const auto at = images_path.rfind(from);
  if (at == std::string::npos) return {};
  std::string guess = images_path;
  guess.replace(at, from.size(), to);
  return std::ifstream(guess).good() ? guess : std::string();
}

}  // namespace

digits::Result<App> App::create(const std::string& model_path) {
  auto m = load_named(model_path);
  if (!m) return digits::Error{m.error()};
  App app(std::move(m.value()));
  app.analyse();
  return app;
}

std::string App::load_model(const std::string& path) {
  auto m = load_named(path);
  if (!m) return m.error();
  model_ = std::move(m.value());
  analyse();
  return {};
}

std::string App::load_compare_model(const std::string& path) {
  auto m = load_named(path);
  if (!m) return m.error();
  compare_ = std::move(m.value());
  analyse();
  return {};
}

void App::drop_compare_model() {
  compare_.reset();
  analyse();
}

std::string App::open_file(const std::string& path, const std::string& labels_path) {
  std::vector<std::uint8_t> bytes;
  if (auto err = read_file(path, bytes); !err.empty()) return err;
  if (starts_with(bytes, {0x89, 'P', 'N', 'G'})) {
    auto png = digits::decode_png(bytes.data(), bytes.size());
    if (!png) return path + ": " + png.error();
    png_ = std::move(png.value());
    idx_ = {};
    labels_.clear();
    source_ = InputSource::Png;
  } else if (starts_with(bytes, {0, 0, 8, 3})) {
    auto images = digits::parse_idx_images(bytes.data(), bytes.size());
    if (!images) return path + ": " + images.error();
    if (images.value().count == 0) return path + ": the idx file holds no images";
    std::vector<std::uint8_t> labels;
    const std::string lpath = labels_path.empty() ? sibling_labels(path) : labels_path;
    if (!lpath.empty()) {
      std::vector<std::uint8_t> lbytes;
      if (auto err = read_file(lpath, lbytes); !err.empty()) return err;
      auto parsed = digits::parse_idx_labels(lbytes.data(), lbytes.size());
      if (!parsed) return lpath + ": " + parsed.error();
      if (static_cast<int>(parsed.value().size()) != images.value().count)
        return lpath + " has " + std::to_string(parsed.value().size()) + " labels but " + path + " has " +
               std::to_string(images.value().count) + " images; give the matching labels file";
      labels = std::move(parsed.value());
    }
    idx_ = std::move(images.value());
    labels_ = std::move(labels);
    png_ = {};
    source_ = InputSource::Idx;
  } else {
    return path + ": neither a PNG nor an MNIST idx images file (magic 0x00000803)";
  }
  file_path_ = path;
  index_ = 0;
  analyse();
  return {};
}

void App::use_pad() {
  if (source_ == InputSource::Pad) return;
  source_ = InputSource::Pad;
  analyse();
}

void App::use_file() {
  if (!has_file() || source_ != InputSource::Pad) return;
  source_ = idx_.count > 0 ? InputSource::Idx : InputSource::Png;
  analyse();
}

void App::begin_stroke(digits::Point p) {
  use_pad();
  strokes_.push_back({p});
}

void App::extend_stroke(digits::Point p) {
  if (strokes_.empty()) return;
  const digits::Point& last = strokes_.back().back();
  // Mouse events repeat positions while the button is held still; they add nothing.
  if (last.x == p.x && last.y == p.y) return;
  strokes_.back().push_back(p);
}

void App::end_stroke() { analyse(); }

void App::undo_stroke() {
  if (strokes_.empty()) return;
  strokes_.pop_back();
  analyse();
}

void App::clear_pad() {
  strokes_.clear();
  analyse();
}

void App::step(int delta) {
  if (source_ != InputSource::Idx) return;
  seek(((index_ + delta) % idx_.count + idx_.count) % idx_.count);
}

void App::seek(int index) {
  if (source_ != InputSource::Idx || index < 0 || index >= idx_.count || index == index_) return;
  index_ = index;
  analyse();
}

std::optional<int> App::label() const {
  if (source_ != InputSource::Idx || labels_.empty()) return std::nullopt;
  return labels_[index_];
}

bool App::misclassified() const {
  const auto l = label();
  const auto& p = analysis_.answer.prediction;
  return l && analysis_.error.empty() && !p.empty && p.digit != *l;
}

std::string App::seek_misclassified(int direction) {
  if (source_ != InputSource::Idx) return "open an MNIST idx file first";
  if (labels_.empty()) return "no labels loaded, so no known errors";
  // Only the network's answer is needed here, so this skips stages and feature maps.
  for (int n = 1; n < idx_.count; ++n) {
    const int i = ((index_ + direction * n) % idx_.count + idx_.count) % idx_.count;
    auto p = model_.model.predict_image(idx_.view(i));
    if (p && !p.value().empty && p.value().digit != labels_[i]) {
      seek(i);
      return {};
    }
  }
  return "the model gets every other image right";
}

digits::ImageView App::file_view() const { return source_ == InputSource::Idx ? idx_.view(index_) : png_.view(); }

Answer App::ask(digits::Model& model) {
  Answer a;
  const auto t0 = std::chrono::steady_clock::now();
  auto p = source_ == InputSource::Pad ? model.predict_strokes(strokes_) : model.predict_image(file_view());
  a.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (p) a.prediction = p.value();
  return a;
}

void App::analyse() {
  ++generation_;
  analysis_ = {};
  auto stages = source_ == InputSource::Pad ? digits::preprocess_strokes_stages(strokes_)
                                            : digits::preprocess_image_stages(file_view());
  if (!stages) {
    analysis_.error = stages.error();
    return;
  }
  analysis_.stages = std::move(stages.value());
  analysis_.answer = ask(model_.model);
  if (compare_) analysis_.compare_answer = ask(compare_->model);
  auto reading =
      source_ == InputSource::Pad ? model_.model.read_strokes(strokes_) : model_.model.read_image(file_view());
  if (reading)
    analysis_.reading = std::move(reading.value());
  else
    analysis_.reading_error = reading.error();
  if (!analysis_.stages.empty) {
    auto layers = model_.model.inspect(analysis_.stages.centred);
    if (layers)
      analysis_.layers = std::move(layers.value());
    else
      analysis_.error = "feature maps: " + layers.error();
  }
}

}  // namespace studio
