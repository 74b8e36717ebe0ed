// The JSON answers every route gives: the body, its type, and no caching.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "http.h"

namespace server {

void send_json(Response& res, int status, const nlohmann::ordered_json& body);
// {"error": message}, the shape of every error this server sends.
void send_error(Response& res, int status, const std::string& message);
// JSON text safe for any input (invalid UTF-8 from a client is replaced, never thrown on).
std::string dump(const nlohmann::ordered_json& j);

}  // namespace server
