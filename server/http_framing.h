// Where an HTTP/1.1 request ends, without parsing more of it than that: the end of the head
// (CRLF CRLF), Content-Length, chunked Transfer-Encoding and Expect: 100-continue. The event loop
// (event_server.h) uses it to know when a whole request has arrived; httplib parses the rest.
// Pure function over bytes from the network, so it has its own fuzz target (fuzz_http_framing).
#pragma once

#include <cstddef>
#include <string>

namespace server {

struct Framing {
  // NeedMore: wait for more bytes. Complete: `length` bytes are one request. Invalid: answer
  // `status` with `message` and close (the rest of the stream cannot be trusted).
  enum Kind { NeedMore, Complete, Invalid } kind = NeedMore;
  size_t length = 0;          // Complete: bytes of this request (head + body)
  bool close_after = false;   // Complete: the body is not part of `length`; close after answering
  bool send_continue = false; // NeedMore: the client waits for "100 Continue" before its body
  int status = 0;             // Invalid: what to answer
  std::string message;
};

// Looks at the request at the start of `in` (bytes received on a connection, possibly several
// pipelined requests). Heads over max_head are 431; bodies over max_body are not waited for:
// Complete with just the head and close_after, so the routes answer 413 from the headers. May
// remove the request's "Expect: 100-continue" line, which the caller then answers itself (the
// body arrives before httplib sees the request, so httplib must not answer it again).
Framing frame_request(std::string& in, std::size_t max_head, std::size_t max_body);

}  // namespace server
