#include "runs.h"

#include "files.h"

namespace train {

std::vector<std::string> start_dirs(const std::string& init, const std::string& soup) {
  std::vector<std::string> dirs;
  if (!init.empty()) dirs.push_back(init);
  for (std::size_t at = 0; !soup.empty() && at <= soup.size();) {
    const std::size_t comma = std::min(soup.find(',', at), soup.size());
    if (comma > at) dirs.push_back(soup.substr(at, comma - at));
    at = comma + 1;
  }
  return dirs;
}

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

}  // namespace train
