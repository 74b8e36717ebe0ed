#include "answer_json.h"

#include <cmath>

namespace answer {

using json = nlohmann::ordered_json;

double round6(float v) { return std::round(static_cast<double>(v) * 1e6) / 1e6; }

json prediction_json(const digits::Prediction& p) {
  json probs = json::array();
  for (float v : p.probabilities) probs.push_back(round6(v));
  return json{{"digit", p.empty ? json(nullptr) : json(p.digit)},
              {"confidence", round6(p.confidence)},
              {"probabilities", std::move(probs)},
              {"empty", p.empty},
              {"uncertain", p.uncertain}};
}

namespace {
json box_json(const digits::Box& b) {
  return json{{"x", round6(b.x)}, {"y", round6(b.y)}, {"width", round6(b.width)}, {"height", round6(b.height)}};
}
}  // namespace

json reading_json(const digits::Reading& r) {
  json list = json::array();
  for (const auto& d : r.digits) {
    json probs = json::array();
    for (float v : d.prediction.probabilities) probs.push_back(round6(v));
    list.push_back(json{{"digit", d.prediction.digit},
                        {"confidence", round6(d.prediction.confidence)},
                        {"probabilities", std::move(probs)},
                        {"uncertain", d.prediction.uncertain},
                        {"touching", d.touching},
                        {"box", box_json(d.box)}});
  }
  json separators = json::array();
  for (const auto& s : r.separators)
    separators.push_back(json{{"symbol", std::string(1, s.symbol)}, {"after", s.after}, {"box", box_json(s.box)}});
  return json{{"text", r.text}, {"digits", std::move(list)}, {"separators", std::move(separators)}, {"empty", r.empty}};
}

}  // namespace answer
