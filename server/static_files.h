// The web app's files (build/site): safe path resolution, MIME types, caching headers and gzip.
//
// A URL path maps to a file only if every segment is a plain name (no "..", ".", or dotfiles)
// and the file's realpath stays inside the root's realpath, so neither "%2e%2e" (the server decodes
// it before we see it) nor a symlink pointing outside can escape. Files are read once and kept in
// memory with their gzip form and ETag until their size, mtime or inode changes.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "digits/digits.h"
#include "http.h"

namespace server {

struct StaticFile {
  std::string path;  // resolved, inside the root
  std::string mime;
  std::string cache_control;
  std::string etag;  // quoted; the gzip form adds -gz inside the quotes
  std::string bytes;
  std::string gzipped;  // empty when the type does not compress or it would not be smaller
  std::string policy;   // an HTML page's own Content-Security-Policy, sent instead of the server's
  std::int64_t mtime_ns = 0, size = 0;
  std::uint64_t inode = 0;
};

class StaticFiles {
 public:
  // root must be a readable directory.
  static digits::Result<std::unique_ptr<StaticFiles>> open(const std::string& root);

  struct Lookup {
    int status = 404;                        // 200, 301 (directory without '/') or 404
    std::shared_ptr<const StaticFile> file;  // when 200
    std::string location;                    // when 301
  };
  // url_path is Request::path (already percent-decoded).
  Lookup lookup(const std::string& url_path);

  // Answers GET/HEAD for url_path: 200 (gzip if accepted), 304, 301 or a JSON 404.
  void serve(const Request& req, Response& res);

  const std::string& root() const { return root_; }

 private:
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  digits::Result<std::shared_ptr<const StaticFile>> load(const std::string& real_path);

  std::string root_;  // realpath of the site directory
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const StaticFile>> cache_;
};

// Exposed for tests: the MIME type for a file name, and whether an Accept-Encoding allows gzip.
std::string mime_type(const std::string& path);
bool accepts_gzip(const std::string& accept_encoding);
// The Content-Security-Policy a page declares in its <meta http-equiv> tag, plus what only a
// header can say (frame-ancestors 'none'); "" when it declares none, or one that cannot go into a
// header as written (anything but printable ASCII, or quotes and angle brackets).
std::string page_policy(const std::string& html);

}  // namespace server
