// libFuzzer target: a client's request head as the server reads it (Beast's parser, the URL
// decoded by Boost.URL into the Request the routes see), then the routes' decision from the head
// alone (methods, body headers, unknown routes). The parsing is the libraries'; what is ours is
// the conversion and the decision, checked beyond not crashing: a refusal is a 4xx with a
// message, an early answer is a 204 or a 4xx JSON error, and a request path is absolute.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http_server.h"
#include "routes.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static server::Context* ctx = [] {
    auto* c = new server::Context();  // no models, no site: the head's decision needs neither
    c->config.max_body = 1024;
    c->config.cors_origin = "https://example.org";
    return c;
  }();
  static const server::HttpServer::Routes routes = server::make_routes(*ctx);

  const auto head = server::parse_head(std::string_view(reinterpret_cast<const char*>(data), size), 4096);
  if (head.status != 0) {
    if (head.status < 400 || head.status > 499 || head.message.empty() || head.request) __builtin_trap();
    return 0;
  }
  if (!head.request) return 0;  // waits for more bytes
  const server::Request& r = *head.request;
  if (r.method.empty() || r.path.empty() || r.path[0] != '/') __builtin_trap();
  if (auto early = routes.before_body(r)) {
    const bool no_content = early->status == 204 && early->body->empty();
    const bool refused = early->status >= 400 && early->status <= 499 && early->body->rfind("{\"error\":\"", 0) == 0;
    if (!no_content && !refused) __builtin_trap();
  }
  return 0;
}
