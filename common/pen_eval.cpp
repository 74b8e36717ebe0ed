#include "pen_eval.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "digits/png.h"

namespace pen {

const char* path_name(Path path) { return path == Path::Strokes ? "strokes" : "png"; }

RenderStyle upload_style(std::size_t i) {
  static const int sides[] = {64, 96, 140, 200, 280, 400};
  static const float pens[] = {0.035f, 0.05f, 0.07f, 0.1f};
  static const float extents[] = {0.5f, 0.65f, 0.8f};
  static const Ink inks[] = {Ink::DarkOnLight, Ink::LightOnDark, Ink::OnTransparent};
  RenderStyle s;
  s.ink = inks[i % 3];
  s.side = sides[(i / 3) % 6];
  s.pen = pens[(i / 2) % 4];
  s.extent = extents[(i / 5) % 3];
  const float room = (1 - s.extent - s.pen) / 2;  // keep the whole digit on the canvas
  s.dx = room * (static_cast<int>((i * 7) % 5) - 2) / 2.5f;
  s.dy = room * (static_cast<int>((i * 11) % 5) - 2) / 2.5f;
  return s;
}

std::vector<std::size_t> select(const std::vector<Sample>& samples, bool held_out) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < samples.size(); ++i)
    if (is_held_out(samples[i]) == held_out && !looks_missegmented(samples[i])) out.push_back(i);
  return out;
}

digits::Result<Report> evaluate(digits::Model& model, const std::vector<Sample>& samples,
                                const std::vector<std::size_t>& which_in, Path path, Inks inks) {
  std::vector<std::size_t> which = which_in;
  if (which.empty())
    for (std::size_t i = 0; i < samples.size(); ++i) which.push_back(i);
  // One job per picture: a sample (its k-th place in `which` picks the picture's geometry) and
  // the ink it is drawn with.
  struct Job {
    std::size_t k;
    RenderStyle style;
  };
  std::vector<Job> jobs;
  for (std::size_t k = 0; k < which.size(); ++k) {
    if (which[k] >= samples.size()) return digits::Error{"evaluate: sample index out of range"};
    if (path == Path::Png && inks == Inks::Every)
      for (Ink ink : {Ink::DarkOnLight, Ink::LightOnDark, Ink::OnTransparent}) {
        RenderStyle style = upload_style(k);
        style.ink = ink;
        jobs.push_back({k, style});
      }
    else
      jobs.push_back({k, upload_style(k)});
  }
  Report r;
  r.path = path;
  std::vector<digits::Image28> batch;
  std::vector<bool> has_ink(jobs.size(), false);
  batch.reserve(jobs.size());
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const Sample& s = samples[which[jobs[j].k]];
    digits::Result<digits::Preprocessed> pre = digits::Error{""};
    if (path == Path::Strokes) {
      pre = digits::preprocess_strokes(s.strokes);
    } else {
      auto png = render_png(s.strokes, jobs[j].style);
      if (!png) return digits::Error{png.error()};
      auto img = digits::decode_png(png.value().data(), png.value().size());
      if (!img) return digits::Error{"evaluate: decode_png of a rendered digit: " + img.error()};
      pre = digits::preprocess_image(img.value().view());
    }
    if (pre && !pre.value().empty) {
      batch.push_back(pre.value().image);
      has_ink[j] = true;
    }
  }
  const auto ran = model.predict_batch(batch);
  if (!ran) return digits::Error{"evaluate: " + ran.error()};
  const auto& preds = ran.value();
  std::size_t next = 0;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const std::size_t index = which[jobs[j].k];
    const Sample& s = samples[index];
    digits::Prediction p;  // empty
    if (has_ink[j])
      p = preds[next++];
    else
      ++r.empty;
    const bool ok = !p.empty && p.digit == s.label;
    r.all.add(ok);
    (p.uncertain ? r.uncertain : r.confident).add(ok);
    r.by_source[s.source].add(ok);
    if (path == Path::Png) {
      r.by_style[ink_name(jobs[j].style.ink)].add(ok);
      r.by_side[jobs[j].style.side].add(ok);
    }
    r.by_digit[s.label].add(ok);
    if (!p.empty) r.confusion[s.label][p.digit]++;
    if (!ok) r.misses.push_back({index, s.label, p.digit, p.confidence});
    r.predictions.push_back(p);
  }
  return r;
}

std::string summary(const Report& r) {
  std::string o;
  char buf[160];
  std::snprintf(buf, sizeof buf, "pen digits (%s path): %.2f%% (%ld/%ld), %ld errors, %ld empty\n", path_name(r.path),
                100 * r.all.accuracy(), r.all.correct, r.all.n, r.all.n - r.all.correct, r.empty);
  o += buf;
  for (const auto& kv : r.by_source) {
    std::snprintf(buf, sizeof buf, "  source %-5s %6.2f%% (%ld/%ld)\n", kv.first.c_str(), 100 * kv.second.accuracy(),
                  kv.second.correct, kv.second.n);
    o += buf;
  }
  for (const auto& kv : r.by_style) {
    std::snprintf(buf, sizeof buf, "  style %-15s %6.2f%% (%ld/%ld)\n", kv.first.c_str(), 100 * kv.second.accuracy(),
                  kv.second.correct, kv.second.n);
    o += buf;
  }
  for (const auto& kv : r.by_side) {
    std::snprintf(buf, sizeof buf, "  canvas %3d px          %6.2f%% (%ld/%ld)\n", kv.first, 100 * kv.second.accuracy(),
                  kv.second.correct, kv.second.n);
    o += buf;
  }
  std::snprintf(buf, sizeof buf, "  confident %.2f%% of %ld, uncertain %.2f%% of %ld\n", 100 * r.confident.accuracy(),
                r.confident.n, 100 * r.uncertain.accuracy(), r.uncertain.n);
  o += buf;
  o += "  per digit:";
  for (int d = 0; d < 10; ++d) {
    std::snprintf(buf, sizeof buf, " %d %.1f%%", d, 100 * r.by_digit[d].accuracy());
    o += buf;
  }
  o += "\n  confusion (rows: label, columns: predicted):\n      ";
  for (int c = 0; c < 10; ++c) o += "     " + std::to_string(c);
  o += "\n";
  for (int l = 0; l < 10; ++l) {
    std::snprintf(buf, sizeof buf, "   %d  ", l);
    o += buf;
    for (int c = 0; c < 10; ++c) {
      std::snprintf(buf, sizeof buf, "%6ld", r.confusion[l][c]);
      o += buf;
    }
    o += "\n";
  }
  return o;
}

std::string to_json(const Report& r) {
  using nlohmann::json;
  auto tally = [](const Tally& t) { return json{{"n", t.n}, {"correct", t.correct}, {"accuracy", t.accuracy()}}; };
  json j;
  j["path"] = path_name(r.path);
  j["all"] = tally(r.all);
  j["confident"] = tally(r.confident);
  j["uncertain"] = tally(r.uncertain);
  j["empty"] = r.empty;
  for (const auto& kv : r.by_source) j["sources"][kv.first] = tally(kv.second);
  for (const auto& kv : r.by_style) j["styles"][kv.first] = tally(kv.second);
  for (const auto& kv : r.by_side) j["canvas_px"][std::to_string(kv.first)] = tally(kv.second);
  for (int d = 0; d < 10; ++d) j["digits"].push_back(tally(r.by_digit[d]));
  j["confusion"] = r.confusion;
  return j.dump();
}

}  // namespace pen
