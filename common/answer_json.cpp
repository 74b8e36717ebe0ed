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
                        {"box",
                         {{"x", round6(d.box.x)},
                          {"y", round6(d.box.y)},
                          {"width", round6(d.box.width)},
                          {"height", round6(d.box.height)}}}});
  }
  return json{{"text", r.text}, {"digits", std::move(list)}, {"empty", r.empty}};
}

}  // namespace answer
