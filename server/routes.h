// The HTTP routes: one handler per route (routes.cpp), plus the router-level rules every request
// passes through (method and body checks, static files, security headers, metrics, access log).
#pragma once

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "config.h"
#include "http_server.h"
#include "metrics.h"
#include "model_pool.h"
#include "requests.h"
#include "static_files.h"

namespace server {

// What the handlers share. Owned by Service; outlives the HttpServer using it.
struct Context {
  Config config;
  Limits limits;
  ModelPool* models = nullptr;
  StaticFiles* site = nullptr;  // null when there is no site directory
  Metrics metrics;
  std::atomic<bool> ready{false};  // /readyz: models loaded and not shutting down
  std::string model_name;          // e.g. "cnn3-bn-fc512/int8"
  std::FILE* access_log = nullptr;
  std::mutex access_log_mutex;  // one whole line at a time
};

// The routes for HttpServer: what is decided from the head (methods, body headers, OPTIONS,
// unknown API paths) and the handlers; every answer is counted, logged and given CORS headers.
HttpServer::Routes make_routes(Context& ctx);

// The OpenAPI document (server/openapi.json, embedded at build time).
std::string openapi_json();

}  // namespace server
