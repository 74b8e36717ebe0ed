// The HTTP/1.1 server: Boost.Beast parses and writes HTTP, Boost.Asio runs one event loop, and a
// few worker threads run the requests. Beast does the framing (request line, headers,
// Content-Length, chunked bodies, their limits; it refuses a request with both Content-Length and
// Transfer-Encoding or with two different lengths). What is ours is policy:
//
// - A connection costs a buffer, not a thread, until its whole request has arrived; only then
//   does a worker run it, so a client that sends slowly (slowloris) wastes only its own time.
// - Deadlines, kept by one sweep of the loop every 100 ms rather than per-socket timers, so that
//   a request that misses its deadline can still be told 408 (Beast's own stream timeout would
//   close the socket): a request must arrive whole within request_timeout_s of its first byte,
//   an answer must be read within request_timeout_s, and an idle keep-alive connection closes
//   quietly after idle_timeout_s.
// - Limits: max_connections open at once and max_connections_per_ip from one address (one more
//   is answered 503 with Retry-After and closed); max_buffered bytes held by all connections
//   together (requests being received, answers being sent); over it, reading pauses and no new
//   request starts until deadlines or readers free some.
// - The routes decide from the head alone whether to read the body (so a body over the limit is
//   answered 413 without being read, also after "Expect: 100-continue").
// - After an answer that closes the connection, the rest of the request is read and dropped for
//   up to 2 s (a lingering close): closing with unread bytes would reset the connection, and a
//   reset can destroy the answer before the client has read it.
// - stop() stops accepting, closes idle connections, and lets requests being received, run or
//   sent finish within their deadlines; then run() returns.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "digits/digits.h"
#include "http.h"

namespace server {

class HttpServer {
 public:
  struct Options {
    int workers = 2;                   // threads running requests (routes, decoding, inference)
    int max_connections = 1000;        // open at once
    int max_connections_per_ip = 100;  // open at once from one remote address
    std::size_t max_head = 16384;      // request line + headers; more is answered 431
    std::size_t max_body = 1 << 20;    // a body over it that the routes let through is answered 413
    double request_timeout_s = 10;     // first byte of a request to its last, and sending the answer
    double idle_timeout_s = 5;         // keep-alive connection waiting for its next request
    std::size_t max_buffered = 256u << 20;
    Fields headers;  // added to every answer, the server's own errors included
  };

  // What the server asks of the application. `before_body` runs on the event loop's thread and
  // must be quick: `head` has no body yet, and answering it means the body is not read (the
  // connection closes after the answer if one was coming); nullopt means read the body, then
  // `answer` the whole request on a worker thread. Both must be thread-safe.
  struct Routes {
    std::function<std::optional<Response>(const Request& head)> before_body;
    std::function<Response(const Request& request)> answer;
  };

  // Connections by what they are doing; for /metrics.
  struct Stats {
    long idle = 0, reading = 0, processing = 0, writing = 0;
    unsigned long long buffered_in = 0, buffered_out = 0;  // bytes held (see max_buffered)
    unsigned long long accepted = 0, refused = 0, timed_out = 0;
  };

  HttpServer(Options options, Routes routes);
  ~HttpServer();

  // Listens on host:port (port 0 = a free port); returns the port.
  digits::Result<int> bind(const std::string& host, int port);
  // Serves until stop() (see above).
  void run();
  // Callable from any thread, also before run() (which then returns at once).
  void stop();
  bool running() const { return running_.load(); }
  Stats stats() const;

  struct Loop;  // the implementation (http_server.cpp)

 private:
  std::unique_ptr<Loop> loop_;
  std::atomic<bool> running_{false};
};

// A request head as the server reads it (Beast's parser, the head limit, the target decoded into
// a Request): for the fuzz target and tests. request: the head was whole and valid; status > 0:
// what the server would answer instead; neither: it waits for more bytes.
struct HeadParse {
  std::optional<Request> request;
  int status = 0;
  std::string message;
};
HeadParse parse_head(std::string_view bytes, std::size_t max_head);

}  // namespace server
