#include "service.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdint>

#include "files.h"
#include "model_pool.h"
#include "routes.h"
#include "static_files.h"

namespace server {
namespace {

// For every answer but an HTML page that declares its own (the site's index.html allows its inline
// start script by hash: StaticFile::policy): the page needs only itself, plus 'wasm-unsafe-eval'
// to compile its model.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string default_site_dir() {
  if (is_dir("build/site")) return "build/site";
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    std::string dir(exe, static_cast<std::size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    if (is_dir(dir + "/../site")) return dir + "/../site";
  }
  return "";
}

Service::Service() = default;
Service::~Service() = default;

digits::Result<std::unique_ptr<Service>> Service::create(const Config& config) {
  std::unique_ptr<Service> s(new Service());
  s->ctx_ = std::make_unique<Context>();
  Context& ctx = *s->ctx_;
  ctx.config = config;
  if (ctx.config.threads <= 0) ctx.config.threads = default_threads();
  ctx.limits.max_batch = config.max_batch;
  if (config.access_log == AccessLog::Stderr) ctx.access_log = stderr;
  if (config.access_log == AccessLog::Stdout) ctx.access_log = stdout;

  std::vector<std::uint8_t> blob;
  if (!config.model.empty()) {
    auto b = frontend::read_file(config.model);
    if (!b) return digits::Error{"model file: " + b.error()};
    blob = std::move(b).value();
  }
  digits::ModelOptions options;
  options.threads = 1;  // one request = one thread; parallelism comes from the worker pool
  options.precision = config.precision;
  auto pool = ModelPool::create(blob, options, ctx.config.threads);
  if (!pool) return digits::Error{(config.model.empty() ? "built-in model: " : config.model + ": ") + pool.error()};
  s->models_ = std::move(pool).value();
  ctx.models = s->models_.get();
  ctx.model_name = s->models_->info().architecture + "/" +
                   (s->models_->info().precision == digits::Precision::Int8 ? "int8" : "f32");

  const std::string site = config.site.empty() ? default_site_dir() : config.site;
  if (!site.empty()) {
    auto files = StaticFiles::open(site);
    if (!files) return digits::Error{files.error()};
    s->site_ = std::move(files).value();
    ctx.site = s->site_.get();
  }

  HttpServer::Options front;
  front.workers = ctx.config.threads;  // one per model: a request never waits for a model
  front.max_connections = config.connections;
  front.max_connections_per_ip = config.connections_per_ip;
  front.max_body = config.max_body;
  front.max_buffered = config.max_buffered;
  front.request_timeout_s = config.request_timeout_s;
  front.idle_timeout_s = config.idle_timeout_s;
  front.headers = {
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
  };
  s->http_ = std::make_unique<HttpServer>(front, make_routes(ctx));
  ctx.metrics.connections = [http = s->http_.get()] { return http->stats(); };
  return s;
}

digits::Result<int> Service::bind() { return http_->bind(ctx_->config.host, ctx_->config.port); }

void Service::run() {
  ctx_->ready = true;
  http_->run();
  ctx_->ready = false;
}

void Service::stop() {
  ctx_->ready = false;
  http_->stop();
}

bool Service::running() const { return http_->running(); }
std::string Service::site_root() const { return site_ ? site_->root() : std::string(); }
int Service::threads() const { return ctx_->config.threads; }
const Config& Service::config() const { return ctx_->config; }

}  // namespace server
