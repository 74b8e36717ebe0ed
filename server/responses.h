// Writing response bodies, around one property of Debian's cpp-httplib: it is built with Brotli
// and compresses any "compressible" body (text/*, exactly application/json, ...) per request at
// Brotli's slowest quality when the client accepts br, as browsers do.
// - Static files go out through a sized content provider, which httplib never compresses: they
//   are gzipped once and cached instead (see static_files.h).
// - API answers are small; they are sent as "application/json; charset=utf-8", which httplib does
//   not recognise as compressible (the parameter is harmless: RFC 8259 says it has no effect).
//   They stay in Response::body, which httplib writes even while shutting down, so a request in
//   flight at SIGTERM still gets its whole answer (a content provider would be cut short).
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace httplib {
struct Response;
}

namespace server {

// Shares `body` with the response (no copy per request for cached files). Not for API answers.
void set_body(httplib::Response& res, std::shared_ptr<const std::string> body, const std::string& content_type);
void send_json(httplib::Response& res, int status, const nlohmann::ordered_json& body);
// {"error": message}, the shape of every error this server sends.
void send_error(httplib::Response& res, int status, const std::string& message);
// JSON text safe for any input (invalid UTF-8 from a client is replaced, never thrown on).
std::string dump(const nlohmann::ordered_json& j);

}  // namespace server
