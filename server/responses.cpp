#include "responses.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace server {

void set_body(httplib::Response& res, std::shared_ptr<const std::string> body, const std::string& content_type) {
  if (body->empty()) {
    // A zero-length provider would make httplib fall back to close-delimited bodies.
    res.set_content("", content_type);
    return;
  }
  const std::size_t size = body->size();
  res.set_content_provider(size, content_type,
                           [body = std::move(body)](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             return sink.write(body->data() + offset, length);
                           });
}

std::string dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void send_json(httplib::Response& res, int status, const nlohmann::ordered_json& body) {
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(dump(body), "application/json; charset=utf-8");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, nlohmann::ordered_json{{"error", message}});
}

}  // namespace server
