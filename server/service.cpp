#include "service.h"

#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <fstream>

#include "model_pool.h"
#include "routes.h"
#include "static_files.h"

namespace server {
namespace {

bool is_dir(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

digits::Result<std::vector<std::uint8_t>> read_blob(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return digits::Error{"cannot open model file " + path};
  std::vector<std::uint8_t> bytes(std::istreambuf_iterator<char>(f), {});
  if (f.bad()) return digits::Error{"cannot read model file " + path};
  return bytes;
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
    auto b = read_blob(config.model);
    if (!b) return digits::Error{b.error()};
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

  s->http_ = std::make_unique<httplib::Server>();
  auto& http = *s->http_;
  const auto workers = static_cast<std::size_t>(config.connections);
  http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  http.set_tcp_nodelay(true);  // headers and body are separate writes: no Nagle delay between them
  http.set_payload_max_length(config.max_body);
  http.set_read_timeout(config.request_timeout_s, 0);
  http.set_write_timeout(config.request_timeout_s, 0);
  http.set_keep_alive_timeout(config.idle_timeout_s);
  http.set_keep_alive_max_count(1000);
  // Debian's libcpp-httplib was compiled with a listen backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG
  // lives in the .so): 64 clients connecting at once overflow it, the kernel drops their SYNs and
  // they retry after 1 s, then 3 s — the whole p99 tail under wrk. This hook sees the listening
  // socket before bind (and must keep httplib's SO_REUSEADDR); bind() then listens again with the
  // system's maximum backlog.
  http.set_socket_options([svc = s.get()](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    svc->listen_socket_ = sock;
  });
  http.set_default_headers({
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
  });
  install_routes(http, ctx);
  return s;
}

digits::Result<int> Service::bind() {
  const auto& c = ctx_->config;
  int port = c.port;
  if (c.port == 0) {
    port = http_->bind_to_any_port(c.host);
    if (port <= 0) return digits::Error{"cannot listen on " + c.host + " (is the address valid on this machine?)"};
  } else if (!http_->bind_to_port(c.host, c.port)) {
    return digits::Error{"cannot listen on " + c.host + ":" + std::to_string(c.port) +
                         " (in use, or not an address of this machine?)"};
  }
  if (listen_socket_ >= 0) ::listen(listen_socket_, SOMAXCONN);  // see create(): backlog 5 -> max
  return port;
}

void Service::run() {
  ctx_->ready = true;
  http_->listen_after_bind();
  ctx_->ready = false;
}

void Service::stop() {
  ctx_->ready = false;
  http_->stop();
}

bool Service::running() const { return http_->is_running(); }
std::string Service::site_root() const { return site_ ? site_->root() : std::string(); }
int Service::threads() const { return ctx_->config.threads; }
const Config& Service::config() const { return ctx_->config; }

}  // namespace server
