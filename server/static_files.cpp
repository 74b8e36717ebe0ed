#include "static_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>

#include "responses.h"

namespace server {
namespace {

constexpr std::int64_t kMaxFileBytes = 64 << 20;  // the site's largest file (digits.wasm) is < 1 MiB
constexpr std::size_t kMaxCachedFiles = 1024;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Only plain names: no empty, ".", ".." or hidden segments, no backslashes or NULs.
bool safe_url_path(const std::string& p) {
  if (p.empty() || p[0] != '/') return false;
  if (p.find('\0') != std::string::npos || p.find('\\') != std::string::npos) return false;
  std::size_t i = 1;
  while (i < p.size()) {
    const auto j = std::min(p.find('/', i), p.size());
    if (j == i) return false;       // "//"
    if (p[i] == '.') return false;  // ".", "..", ".git", ...
    i = j + 1;
  }
  return true;
}

std::string realpath_of(const std::string& p) {
  char buf[PATH_MAX];
  return ::realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

bool compressible(const std::string& mime) {
  return mime.rfind("text/", 0) == 0 || mime.rfind("application/javascript", 0) == 0 ||
         mime.rfind("application/json", 0) == 0 || mime == "application/manifest+json" || mime == "application/wasm" ||
         mime == "image/svg+xml";
}

std::string gzip(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(&out[0]);
  z.avail_out = static_cast<uInt>(out.size());
  const int r = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return r == Z_STREAM_END ? out : std::string();
}

std::string etag_of(const std::string& bytes) {
  std::uint64_t h = 1469598103934665603ULL;  // FNV-1a: content-addressed, so replicas agree
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "\"%016llx-%llx\"", static_cast<unsigned long long>(h),
                static_cast<unsigned long long>(bytes.size()));
  return buf;
}

// Does an If-None-Match header name this ETag? (Weak comparison, as RFC 9110 asks for 304s.)
bool etag_matches(const std::string& header, const std::string& etag) {
  std::size_t i = 0;
  while (i <= header.size()) {
    const auto j = std::min(header.find(',', i), header.size());
    std::string tag = trim(header.substr(i, j - i));
    if (tag.rfind("W/", 0) == 0) tag = tag.substr(2);
    if (tag == "*" || tag == etag) return true;
    i = j + 1;
  }
  return false;
}

}  // namespace

std::string mime_type(const std::string& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".wasm", "application/wasm"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  const std::string p = lower(path);
  for (const auto& t : kTypes)
    if (ends_with(p, t.first)) return t.second;
  return "application/octet-stream";
}

bool accepts_gzip(const std::string& accept_encoding) {
  std::size_t i = 0;
  const std::string a = lower(accept_encoding);
  while (i < a.size()) {
    const auto j = std::min(a.find(',', i), a.size());
    const std::string item = a.substr(i, j - i);
    const auto semi = item.find(';');
    const std::string name = trim(item.substr(0, semi));
    if (name == "gzip" || name == "*") {
      if (semi == std::string::npos) return true;
      std::string params = item.substr(semi + 1);
      params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
      if (params.rfind("q=", 0) != 0) return true;
      return std::strtod(params.c_str() + 2, nullptr) > 0;
    }
    i = j + 1;
  }
  return false;
}

std::string page_policy(const std::string& html) {
  const std::size_t tag = html.find("http-equiv=\"Content-Security-Policy\"");
  if (tag == std::string::npos) return "";
  const std::size_t end = html.find('>', tag);
  const std::size_t content = html.find("content=\"", tag);
  if (content == std::string::npos || content > end) return "";
  const std::size_t from = content + 9, to = html.find('"', from);
  if (to == std::string::npos || to > end || to == from) return "";
  const std::string policy = html.substr(from, to - from);
  for (unsigned char c : policy)
    if (c < 0x20 || c > 0x7e || c == '<' || c == '>' || c == '"') return "";
  return policy + "; frame-ancestors 'none'";
}

digits::Result<std::unique_ptr<StaticFiles>> StaticFiles::open(const std::string& root) {
  const std::string real = realpath_of(root);
  struct stat st {};
  if (real.empty() || ::stat(real.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return digits::Error{"site directory '" + root +
                         "' does not exist or is not a directory (build it with `make site`)"};
  return std::unique_ptr<StaticFiles>(new StaticFiles(real));
}

digits::Result<std::shared_ptr<const StaticFile>> StaticFiles::load(const std::string& real) {
  // O_NOFOLLOW: the path was just resolved; a symlink swapped in since is refused, not followed.
  const int fd = ::open(real.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return digits::Error{"cannot open"};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > kMaxFileBytes) {
    ::close(fd);
    return digits::Error{"not a servable file"};
  }
  const std::int64_t mtime = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = cache_.find(real);
    if (it != cache_.end() && it->second->mtime_ns == mtime && it->second->size == st.st_size &&
        it->second->inode == st.st_ino) {
      ::close(fd);
      return it->second;
    }
  }
  auto f = std::make_shared<StaticFile>();
  f->path = real;
  f->mtime_ns = mtime;
  f->size = st.st_size;
  f->inode = st.st_ino;
  f->bytes.resize(static_cast<std::size_t>(st.st_size));
  std::size_t got = 0;
  while (got < f->bytes.size()) {
    const ssize_t n = ::read(fd, &f->bytes[got], f->bytes.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got != f->bytes.size()) return digits::Error{"file changed while being read"};
  f->mime = mime_type(real);
  // The page and the service worker must be revalidated on every load, or an update never
  // reaches returning visitors; the rest may be reused for a few minutes, then revalidated.
  const bool always_check = ends_with(real, ".html") || ends_with(real, "/sw.js");
  f->cache_control = always_check ? "no-cache" : "public, max-age=300";
  f->etag = etag_of(f->bytes);
  // The page's policy allows its own inline script by hash (scripts/make-site.js writes both):
  // the server's policy, which allows none, would block it.
  if (f->mime.rfind("text/html", 0) == 0) f->policy = page_policy(f->bytes);
  if (compressible(f->mime) && f->bytes.size() >= 256) {
    std::string gz = gzip(f->bytes);
    if (!gz.empty() && gz.size() < f->bytes.size() * 9 / 10) f->gzipped = std::move(gz);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (cache_.size() >= kMaxCachedFiles) cache_.clear();
  cache_[real] = f;
  return std::shared_ptr<const StaticFile>(f);
}

StaticFiles::Lookup StaticFiles::lookup(const std::string& url_path) {
  Lookup out;
  if (!safe_url_path(url_path)) return out;
  std::string candidate = root_ + url_path;
  if (url_path.back() == '/') candidate += "index.html";
  const std::string real = realpath_of(candidate);
  if (real.empty() || real.compare(0, root_.size() + 1, root_ + "/") != 0) return out;  // missing or outside
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0) return out;
  if (S_ISDIR(st.st_mode)) {
    if (url_path.back() != '/') {
      out.status = 301;
      out.location = url_path + "/";
    }
    return out;
  }
  auto f = load(real);
  if (!f) return out;
  out.status = 200;
  out.file = f.value();
  return out;
}

void StaticFiles::serve(const Request& req, Response& res) {
  auto found = lookup(req.path);
  if (found.status == 301) {
    res.status = 301;
    res.set_header("Location", found.location);
    return;
  }
  if (found.status != 200) {
    send_error(res, 404, "no such file or route (see /openapi.json for the API)");
    return;
  }
  const auto& f = found.file;
  const bool gz = !f->gzipped.empty() && accepts_gzip(req.header("Accept-Encoding"));
  const std::string etag = gz ? f->etag.substr(0, f->etag.size() - 1) + "-gz\"" : f->etag;
  res.set_header("Cache-Control", f->cache_control);
  res.set_header("ETag", etag);
  // On a 304 too: a cache takes the revalidation's headers for the copy it keeps.
  if (!f->policy.empty()) res.set_header("Content-Security-Policy", f->policy);
  if (!f->gzipped.empty()) res.set_header("Vary", "Accept-Encoding");
  if (req.has_header("If-None-Match") && etag_matches(req.header("If-None-Match"), etag)) {
    res.status = 304;
    return;
  }
  res.status = 200;
  if (gz) res.set_header("Content-Encoding", "gzip");
  // Aliasing constructor: the body shares the cached entry's lifetime without copying it.
  std::shared_ptr<const std::string> body(f, gz ? &f->gzipped : &f->bytes);
  res.set_body(std::move(body), f->mime);
}

}  // namespace server
