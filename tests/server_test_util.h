// Helpers shared by the server test suites (request parsing and the HTTP tests).
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "digits/digits.h"

namespace testutil {

// Strokes in the server's JSON form: [[[x, y], ...], ...].
inline nlohmann::json strokes_json(const std::vector<digits::Stroke>& strokes) {
  nlohmann::json ss = nlohmann::json::array();
  for (const auto& s : strokes) {
    nlohmann::json pts = nlohmann::json::array();
    for (const auto& p : s) pts.push_back({p.x, p.y});
    ss.push_back(pts);
  }
  return ss;
}

}  // namespace testutil
