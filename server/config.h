// digits-server's settings: command-line flags, with DIGITS_* environment variables as fallbacks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "digits/digits.h"

namespace server {

enum class AccessLog { Stderr, Stdout, Off };

struct Config {
  std::string host = "127.0.0.1";
  int port = 8080;
  // Models, i.e. inferences at once (a Model is not thread-safe; ~4 MB each). 0 = CPU cores.
  int threads = 0;
  // Open connections at once (idle keep-alive ones included); one more is answered 503. A
  // connection costs a buffer, not a thread (see http_server.h).
  int connections = 1000;
  // Of those, open at once from one remote address: one client (or one slowloris) cannot take
  // them all. Behind a reverse proxy every client has the proxy's address: raise it to match.
  int connections_per_ip = 100;
  std::string site;   // static files; empty = build/site in the working directory or next to the binary
  std::string model;  // weights blob; empty = the blob embedded at build time
  digits::Precision precision = digits::Precision::Int8;
  std::size_t max_body = 1 << 20;         // bytes
  std::size_t max_batch = 64;             // items in one POST /api/v1/predict/batch
  std::size_t max_buffered = 256u << 20;  // bytes all connections may hold; see http_server.h
  std::string cors_origin;                // empty = no CORS headers; "*" or one origin
  int request_timeout_s = 10;             // reading a request / writing a response
  int idle_timeout_s = 5;                 // keep-alive connection with no request
  AccessLog access_log = AccessLog::Stderr;
  bool help = false;
};

// Reads flags from args (without argv[0]); a flag not given falls back to env("DIGITS_<NAME>").
// Errors name the flag or variable and say what is expected.
digits::Result<Config> parse_config(const std::vector<std::string>& args,
                                    const std::function<const char*(const char*)>& env);

std::string usage();

// What --threads 0 means on this machine.
int default_threads();

}  // namespace server
