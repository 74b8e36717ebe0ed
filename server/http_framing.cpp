#include "http_framing.h"

#include <cctype>
#include <cstring>

namespace server {
namespace {

bool iequals(const char* a, size_t n, const char* b) {
  if (std::strlen(b) != n) return false;
  for (size_t i = 0; i < n; ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  return true;
}

std::string trim(const char* s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) ++s, --n;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) --n;
  return std::string(s, n);
}

Framing invalid(int status, std::string message) {
  Framing f;
  f.kind = Framing::Invalid;
  f.status = status;
  f.message = std::move(message);
  return f;
}

// End of a chunked body that starts at `pos` (one past its last CRLF); 0 = not all here yet;
// npos = malformed, or its data is larger than max_body.
size_t chunked_end(const std::string& in, size_t pos, size_t max_body, bool& too_large) {
  size_t data = 0;
  for (;;) {
    const size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos) return in.size() - pos > 1024 ? std::string::npos : 0;
    size_t size = 0, digits = 0;
    for (size_t i = pos; i < eol && std::isxdigit(static_cast<unsigned char>(in[i])); ++i, ++digits) {
      if (digits >= 8) return std::string::npos;  // > 4 GiB chunk: nobody sends that honestly
      const char h = static_cast<char>(std::tolower(static_cast<unsigned char>(in[i])));
      size = size * 16 + static_cast<size_t>(h <= '9' ? h - '0' : h - 'a' + 10);
    }
    if (digits == 0) return std::string::npos;
    if (size == 0) {  // last chunk, then optional trailer lines, then CRLF
      if (in.compare(eol + 2, 2, "\r\n") == 0) return eol + 4;
      const size_t trailers_end = in.find("\r\n\r\n", eol + 2);
      if (trailers_end == std::string::npos) return in.size() - eol > 8192 ? std::string::npos : 0;
      return trailers_end + 4;
    }
    data += size;
    if (data > max_body) {
      too_large = true;
      return std::string::npos;
    }
    const size_t next = eol + 2 + size + 2;
    if (in.size() < next) return 0;
    if (in.compare(next - 2, 2, "\r\n") != 0) return std::string::npos;
    pos = next;
  }
}

}  // namespace

Framing frame_request(std::string& in, size_t max_head, size_t max_body) {
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    if (in.size() > max_head) return invalid(431, "request headers are larger than " + std::to_string(max_head) + " bytes");
    return {};
  }
  if (head_end + 4 > max_head) return invalid(431, "request headers are larger than " + std::to_string(max_head) + " bytes");

  bool has_length = false, chunked = false, expect_continue = false;
  unsigned long long length = 0;
  size_t expect_line = 0, expect_line_len = 0;
  for (size_t line = in.find("\r\n") + 2; line < head_end + 2;) {
    const size_t eol = in.find("\r\n", line);
    const size_t colon = in.find(':', line);
    if (colon != std::string::npos && colon < eol) {
      const char* name = in.data() + line;
      const size_t name_len = colon - line;
      const std::string value = trim(in.data() + colon + 1, eol - colon - 1);
      if (iequals(name, name_len, "content-length")) {
        if (value.empty() || value.size() > 18 || value.find_first_not_of("0123456789") != std::string::npos)
          return invalid(400, "Content-Length is not a number");
        const unsigned long long v = std::stoull(value);
        if (has_length && v != length) return invalid(400, "two different Content-Length headers");
        has_length = true;
        length = v;
      } else if (iequals(name, name_len, "transfer-encoding")) {
        if (!iequals(value.data(), value.size(), "chunked"))
          return invalid(400, "Transfer-Encoding other than chunked is not supported");
        chunked = true;
      } else if (iequals(name, name_len, "expect") && iequals(value.data(), value.size(), "100-continue")) {
        expect_continue = true;
        expect_line = line;
        expect_line_len = eol + 2 - line;
      }
    }
    line = eol + 2;
  }
  if (has_length && chunked) return invalid(400, "both Content-Length and Transfer-Encoding: the body's end is ambiguous");

  const size_t body = head_end + 4;
  Framing f;
  if (has_length && length > max_body) {
    // Not read at all: httplib's routes answer 413 from the headers, then the connection closes
    // (the unread body must not be taken for the next request).
    f.kind = Framing::Complete;
    f.length = body;
    f.close_after = true;
    return f;
  }
  size_t end = body;
  if (chunked) {
    bool too_large = false;
    const size_t e = chunked_end(in, body, max_body, too_large);
    if (e == std::string::npos)
      return too_large ? invalid(413, "request body is larger than the limit of " + std::to_string(max_body) + " bytes")
                       : invalid(400, "malformed chunked body");
    end = e;  // 0 = not complete
  } else if (has_length) {
    end = in.size() >= body + length ? body + static_cast<size_t>(length) : 0;
  }
  if (end == 0) {
    if (expect_continue) {
      in.erase(expect_line, expect_line_len);
      f.send_continue = true;
    }
    return f;
  }
  if (expect_continue) {  // the body came anyway; httplib must not answer 100 after the fact
    in.erase(expect_line, expect_line_len);
    end -= expect_line_len;
  }
  f.kind = Framing::Complete;
  f.length = end;
  return f;
}


}  // namespace server
