// libFuzzer target: the event loop's HTTP framing (server/http_framing.h) — the first code that
// sees a client's bytes. Beyond not crashing, it must never claim more bytes than it was given,
// and a request it calls complete must contain a whole head.
#include <cstddef>
#include <cstdint>
#include <string>

#include "http_framing.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  const server::Framing f = server::frame_request(in, 4096, 1024);
  if (in.size() > size) __builtin_trap();  // it may only remove an Expect line
  switch (f.kind) {
    case server::Framing::Complete:
      if (f.length == 0 || f.length > in.size()) __builtin_trap();
      if (in.substr(0, f.length).find("\r\n\r\n") == std::string::npos) __builtin_trap();
      break;
    case server::Framing::Invalid:
      if (f.status < 400 || f.status > 499 || f.message.empty()) __builtin_trap();
      break;
    case server::Framing::NeedMore:
      if (size > 4096 + 1024 + 8192 + 1024) __builtin_trap();  // this much is never "wait for more"
      break;
  }
  return 0;
}
