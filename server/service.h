// A whole digits-server: models, site, routes and the HTTP server, without flags or signals, so
// tests can run one in-process on a free port (main.cpp adds those).
#pragma once

#include <memory>
#include <string>

#include "config.h"
#include "digits/digits.h"
#include "http_server.h"

namespace server {

struct Context;
class ModelPool;
class StaticFiles;

class Service {
 public:
  // Loads the models and opens the site; nothing listens yet.
  static digits::Result<std::unique_ptr<Service>> create(const Config& config);
  ~Service();

  // Binds config.host:config.port (port 0 = a free port) and returns the port.
  digits::Result<int> bind();
  // Serves until stop(); returns once every worker has finished the request it was on.
  void run();
  // Stops accepting connections and marks the server not ready; requests in flight complete and
  // run() returns. Callable from any thread, also before run() (which then returns at once).
  void stop();
  bool running() const;

  // The site directory being served, or "" when there is none.
  std::string site_root() const;
  int threads() const;
  const Config& config() const;

 private:
  Service();
  std::unique_ptr<Context> ctx_;
  std::unique_ptr<ModelPool> models_;
  std::unique_ptr<StaticFiles> site_;
  std::unique_ptr<HttpServer> http_;
};

// build/site in the working directory, else ../site next to the binary; "" if neither exists.
std::string default_site_dir();

}  // namespace server
