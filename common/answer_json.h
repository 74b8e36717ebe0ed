// The JSON shape of an answer, one definition for every native front end (the REST server's
// bodies and `digits read`'s lines): a Prediction, and a Reading of a whole number.
#pragma once

#include <nlohmann/json.hpp>

#include "digits/digits.h"

namespace answer {

// Rounded to 6 decimals: enough for any use, and stable text across platforms.
double round6(float v);

// {"digit": 0-9 or null, "confidence", "probabilities": [10], "empty", "uncertain"}
nlohmann::ordered_json prediction_json(const digits::Prediction& p);

// {"text": "2026", "digits": [{"digit", "confidence", "probabilities", "uncertain", "touching",
//   "box": {"x", "y", "width", "height"}}, ...], "empty"}
nlohmann::ordered_json reading_json(const digits::Reading& r);

}  // namespace answer
