#include "measure.h"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <utility>

#include "calibration.h"
#include "gallery.h"
#include "pen_eval.h"

namespace train {

namespace {

digits::Model load(const std::vector<std::uint8_t>& blob, digits::Precision precision) {
  digits::ModelOptions options;
  options.precision = precision;
  auto model = digits::Model::load(blob.data(), blob.size(), options);
  if (!model) {
    std::cerr << "digits-train: the exported blob does not load in core: " << model.error() << "\n";
    std::exit(1);
  }
  return std::move(model.value());
}

}  // namespace

Exported load_exported(const std::vector<std::uint8_t>& f32_blob, const std::vector<std::uint8_t>& int8_blob) {
  return {load(f32_blob, digits::Precision::F32), load(int8_blob, digits::Precision::F32),
          load(int8_blob, digits::Precision::Int8)};
}

std::vector<digits::Prediction> predict_all(digits::Model& model, const std::vector<digits::Image28>& images) {
  auto ran = model.predict_batch(images);
  if (!ran) {
    std::cerr << "digits-train: core could not run the exported blob: " << ran.error() << "\n";
    std::exit(1);
  }
  return std::move(ran.value());
}

double accuracy(const std::vector<digits::Prediction>& predictions, const std::vector<std::uint8_t>& labels) {
  size_t ok = 0;
  for (size_t i = 0; i < predictions.size(); ++i) ok += predictions[i].digit == labels[i];
  return double(ok) / predictions.size();
}

nlohmann::json pen_report(const Data& data, const Options& opt, Exported& core) {
  nlohmann::json p = {{"data_sha256", data.pen_sha256},
                      {"samples", data.pen_samples.size()},
                      {"train_digits", data.pen_train.size()},
                      {"validation_digits", data.pen_val.size()},
                      {"dropped_missegmented", data.pen_dropped},
                      {"share", opt.pen_share},
                      {"writer_balance", opt.writer_balance},
                      {"png_share", opt.pen_png},
                      {"held_out_sources", pen::held_out_sources()}};
  std::vector<int> labels;
  for (size_t i : data.pen_val) labels.push_back(data.pen_samples[i].label);
  for (pen::Path path : {pen::Path::Strokes, pen::Path::Png}) {
    for (auto [name, model] : {std::pair<const char*, digits::Model*>{"f32", &core.f32},
                               {"int8", &core.int8},
                               {"int8_compute", &core.int8_compute}}) {
      auto r = pen::evaluate(*model, data.pen_samples, data.pen_val, path);
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
            const pen::Sample& s = data.pen_samples[miss.index];
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
  return p;
}

}  // namespace train
