// cpp-httplib's routing and request parsing, served from one epoll loop and a few workers instead
// of httplib's thread per connection.
//
// Why: Debian's cpp-httplib (0.11.4) gives every open connection a worker thread for its whole
// life, idle keep-alive time included. 64 keep-alive clients then need 64 threads on a 2-core
// machine, all time-slicing one another, and 200 clients that send their headers a byte a second
// (slowloris) hold every worker while honest clients wait. Here a connection costs a buffer, not
// a thread, until its whole request (head and body) has arrived; then a worker hands exactly
// those bytes to httplib's own Server::process_request, and the loop sends the answer as fast as
// the client reads it. So workers only ever run complete requests (one per core is enough), and
// a slow client can only waste its own time — within the deadlines below.
//
// What the loop itself understands of HTTP is framing only: where the head ends (CRLF CRLF),
// Content-Length, chunked Transfer-Encoding (to find the end of the body, which httplib then
// decodes) and Expect: 100-continue. Everything else — request line, headers, routing, the
// answer — is httplib's.
#pragma once

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "digits/digits.h"

namespace server {

class EventServer {
 public:
  struct Options {
    int workers = 2;                // threads running requests (routes, decoding, inference)
    int max_connections = 1000;     // open at once; one more is answered 503 and closed
    std::size_t max_head = 16384;   // request line + headers; more is answered 431
    std::size_t max_body = 1 << 20; // larger bodies are not read: httplib's routes answer 413
    double request_timeout_s = 10;  // first byte of a request to its last, and sending the answer
    double idle_timeout_s = 5;      // keep-alive connection waiting for its next request
    // Bytes all connections may hold (requests being received, answers being sent). Over it,
    // reading pauses and no new request starts until deadlines or readers free some.
    std::size_t max_buffered = 256u << 20;
    // Header lines (each ending in CRLF) added to the few answers the loop writes itself
    // (408, 413, 431, 400 for broken framing, 503): the same security headers as the routes'.
    std::string error_headers;
  };

  // Connections by what they are doing; for /metrics.
  struct Stats {
    long idle = 0, reading = 0, processing = 0, writing = 0;
    unsigned long long buffered_in = 0, buffered_out = 0;  // bytes held (see max_buffered)
    unsigned long long accepted = 0, refused = 0, timed_out = 0;
  };

  explicit EventServer(Options options);
  ~EventServer();

  // Install routes and handlers here before run(); process_request is the only part of it used.
  httplib::Server& routes();

  // Listens on host:port (port 0 = a free port); returns the port.
  digits::Result<int> bind(const std::string& host, int port);
  // Serves until stop(): then stops accepting, closes idle connections, lets requests being
  // received, run or sent finish (each within its deadline), and returns.
  void run();
  // Callable from any thread, also before run() (which then returns at once).
  void stop();
  bool running() const { return running_.load(); }
  Stats stats() const;

 private:
  struct Loop;
  Options options_;
  std::unique_ptr<Loop> loop_;
  std::atomic<bool> running_{false};
};

}  // namespace server
