#include "http.h"

#include <algorithm>
#include <cctype>

namespace server {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

}  // namespace

std::optional<std::string_view> find_field(const Fields& fields, std::string_view name) {
  for (const auto& f : fields)
    if (iequals(f.first, name)) return std::string_view(f.second);
  return std::nullopt;
}

std::string Request::header(std::string_view name) const { return std::string(find_field(headers, name).value_or("")); }

std::string Request::param(std::string_view name) const {
  for (const auto& p : params)
    if (p.first == name) return p.second;
  return "";
}

bool Request::has_body() const {
  if (has_header("Transfer-Encoding")) return true;
  const std::string length = header("Content-Length");
  return !length.empty() && length.find_first_not_of("0") != std::string::npos;
}

void Response::set_header(std::string name, std::string value) {
  for (auto& f : headers)
    if (iequals(f.first, name)) {
      f.second = std::move(value);
      return;
    }
  headers.emplace_back(std::move(name), std::move(value));
}

void Response::set_body(std::string text, std::string content_type) {
  set_body(std::make_shared<const std::string>(std::move(text)), std::move(content_type));
}

void Response::set_body(std::shared_ptr<const std::string> shared, std::string content_type) {
  body = std::move(shared);
  set_header("Content-Type", std::move(content_type));
}

}  // namespace server
