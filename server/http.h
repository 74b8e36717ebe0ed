// One HTTP request and its answer, as the routes see them: plain values, no HTTP library in
// sight. http_server.cpp (Boost.Beast) fills a Request from the wire and writes the Response
// back; routes.cpp and static_files.cpp only read and fill these.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace server {

using Fields = std::vector<std::pair<std::string, std::string>>;

// The value of the first field named `name` (ASCII case-insensitive), or nullopt.
std::optional<std::string_view> find_field(const Fields& fields, std::string_view name);

struct Request {
  std::string method;                              // as sent: "GET", "POST", ...
  std::string path;                                // percent-decoded path of the target, e.g. "/api/v1/predict"
  Fields params;                                   // the query, decoded, in order
  Fields headers;                                  // as sent, in order
  std::string body;                                // empty until the body has been read
  std::string remote_addr;                         // the peer's IP address
  std::chrono::steady_clock::time_point received;  // when its head had arrived

  std::string header(std::string_view name) const;  // "" when absent
  bool has_header(std::string_view name) const { return find_field(headers, name).has_value(); }
  std::string param(std::string_view name) const;  // "" when absent
  // Whether a body follows the head (a Content-Length above 0, or Transfer-Encoding).
  bool has_body() const;
};

struct Response {
  int status = 200;
  Fields headers;  // besides Content-Length and Connection, which the server writes
  // Shared so that cached static files go out without a copy per request.
  std::shared_ptr<const std::string> body = std::make_shared<const std::string>();
  // Close the connection after this answer (the server also closes for its own reasons).
  bool close = false;

  void set_header(std::string name, std::string value);  // replaces a field of that name
  void set_body(std::string text, std::string content_type);
  void set_body(std::shared_ptr<const std::string> shared, std::string content_type);
};

}  // namespace server
