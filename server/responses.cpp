#include "responses.h"

#include <nlohmann/json.hpp>

namespace server {

std::string dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void send_json(Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_body(dump(body), "application/json; charset=utf-8");
}

void send_error(Response& res, int status, const std::string& message) {
  send_json(res, status, nlohmann::ordered_json{{"error", message}});
}

}  // namespace server
