// digits-server — the REST server over core, and the web app's static files.
//
//   digits-server [--host 127.0.0.1] [--port 8080] [--site build/site] ...   (see --help)
//
// SIGINT/SIGTERM: stop accepting, let requests in flight finish, exit 0.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "service.h"

int main(int argc, char** argv) {
  auto config = server::parse_config(std::vector<std::string>(argv + 1, argv + argc), std::getenv);
  if (!config) {
    std::fprintf(stderr, "digits-server: %s\n", config.error().c_str());
    return 2;
  }
  if (config.value().help) {
    std::fputs(server::usage().c_str(), stdout);
    return 0;
  }

  // Block the signals in every thread (workers inherit the mask) and take them in one thread
  // with sigwait, where calling into the server is safe (a signal handler could not).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server

  // A request allocates a few 300 kB buffers (a decoded 280x280 RGBA image, float planes). With
  // glibc's defaults they are mmapped or trimmed back to the kernel after every request, which
  // costs 50-140 page faults each (measured); keep them in the heap instead, for reuse.
  mallopt(M_MMAP_THRESHOLD, 16 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);

  // Every open connection is a file descriptor; the soft limit (often 1024) would refuse some of
  // the --connections long before the hard limit does.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  auto service = server::Service::create(config.value());
  if (!service) {
    std::fprintf(stderr, "digits-server: %s\n", service.error().c_str());
    return 1;
  }
  auto& s = *service.value();
  auto port = s.bind();
  if (!port) {
    std::fprintf(stderr, "digits-server: %s\n", port.error().c_str());
    return 1;
  }
  const std::string site = s.site_root();
  std::fprintf(stderr, "digits-server: listening on http://%s:%d/ (%d models, up to %d connections, %s)\n",
               s.config().host.c_str(), port.value(), s.threads(), s.config().connections,
               site.empty() ? "no site directory: API only (pass --site DIR)" : ("site " + site).c_str());

  std::thread waiter([&s, signals] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "digits-server: %s: finishing requests in flight, then exiting\n",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT");
    s.stop();  // sticky: also works if run() has not started yet
  });
  s.run();
  kill(getpid(), SIGTERM);  // if run() ended on its own, wake the waiter (else this stays pending)
  waiter.join();
  std::fprintf(stderr, "digits-server: stopped\n");
  return 0;
}
