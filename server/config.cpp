#include "config.h"

#include <cerrno>
#include <cstdlib>
#include <thread>

namespace server {
namespace {

struct Flag {
  const char* name;  // without the leading --
  const char* env;   // fallback environment variable
};

// The flags parse() accepts, each with the environment variable it falls back to. A flag is
// written in three places: here, in apply() (its field and its check) and in usage(); a flag
// here but not in apply() would be accepted and ignored, so apply() ends by refusing it.
const Flag kFlags[] = {
    {"host", "DIGITS_HOST"},
    {"port", "DIGITS_PORT"},
    {"threads", "DIGITS_THREADS"},
    {"connections", "DIGITS_CONNECTIONS"},
    {"connections-per-ip", "DIGITS_CONNECTIONS_PER_IP"},
    {"max-buffered", "DIGITS_MAX_BUFFERED"},
    {"site", "DIGITS_SITE"},
    {"model", "DIGITS_MODEL"},
    {"precision", "DIGITS_PRECISION"},
    {"max-body", "DIGITS_MAX_BODY"},
    {"max-batch", "DIGITS_MAX_BATCH"},
    {"cors-origin", "DIGITS_CORS_ORIGIN"},
    {"request-timeout", "DIGITS_REQUEST_TIMEOUT"},
    {"idle-timeout", "DIGITS_IDLE_TIMEOUT"},
    {"access-log", "DIGITS_ACCESS_LOG"},
};

bool parse_long(const std::string& s, long long min, long long max, long long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return false;
  out = v;
  return true;
}

// "1048576", "512K", "1M", "1MiB": bytes with an optional binary suffix.
bool parse_size(std::string s, std::size_t& out) {
  long long mult = 1;
  auto strip = [&](const char* suffix, long long m) {
    const std::string suf = suffix;
    if (s.size() > suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0) {
      s.resize(s.size() - suf.size());
      mult = m;
      return true;
    }
    return false;
  };
  strip("KiB", 1024) || strip("K", 1024) || strip("MiB", 1 << 20) || strip("M", 1 << 20);
  long long v = 0;
  if (!parse_long(s, 1, (1LL << 40) / mult, v)) return false;
  out = static_cast<std::size_t>(v * mult);
  return true;
}

digits::Result<bool> apply(Config& c, const std::string& name, const std::string& v, const std::string& origin) {
  auto bad = [&](const char* expected) { return digits::Error{origin + " must be " + expected + ", not '" + v + "'"}; };
  long long n = 0;
  if (name == "host") {
    if (v.empty()) return bad("an address such as 127.0.0.1 or 0.0.0.0");
    c.host = v;
  } else if (name == "port") {
    if (!parse_long(v, 0, 65535, n)) return bad("a port number (0-65535; 0 picks a free one)");
    c.port = static_cast<int>(n);
  } else if (name == "threads") {
    if (!parse_long(v, 0, 1024, n)) return bad("a number of threads (1-1024, or 0 for automatic)");
    c.threads = static_cast<int>(n);
  } else if (name == "connections") {
    if (!parse_long(v, 1, 100000, n)) return bad("a number of connections (1-100000)");
    c.connections = static_cast<int>(n);
  } else if (name == "connections-per-ip") {
    if (!parse_long(v, 1, 100000, n)) return bad("a number of connections (1-100000)");
    c.connections_per_ip = static_cast<int>(n);
  } else if (name == "site") {
    c.site = v;
  } else if (name == "model") {
    c.model = v;
  } else if (name == "precision") {
    if (v != "f32" && v != "int8") return bad("f32 or int8");
    c.precision = v == "f32" ? digits::Precision::F32 : digits::Precision::Int8;
  } else if (name == "max-body") {
    if (!parse_size(v, c.max_body)) return bad("a size in bytes such as 1048576, 512K or 1M");
  } else if (name == "max-buffered") {
    if (!parse_size(v, c.max_buffered) || c.max_buffered < 65536) return bad("a size of at least 64K, such as 256M");
  } else if (name == "max-batch") {
    if (!parse_long(v, 1, 4096, n)) return bad("a number of items (1-4096)");
    c.max_batch = static_cast<std::size_t>(n);
  } else if (name == "cors-origin") {
    c.cors_origin = v;
  } else if (name == "request-timeout" || name == "idle-timeout") {
    if (!parse_long(v, 1, 3600, n)) return bad("a number of seconds (1-3600)");
    (name == "request-timeout" ? c.request_timeout_s : c.idle_timeout_s) = static_cast<int>(n);
  } else if (name == "access-log") {
    if (v == "stderr")
      c.access_log = AccessLog::Stderr;
    else if (v == "stdout")
      c.access_log = AccessLog::Stdout;
    else if (v == "off")
      c.access_log = AccessLog::Off;
    else
      return bad("stderr, stdout or off");
  } else {
    return digits::Error{"--" + name + " is listed in kFlags but apply() does not set it"};
  }
  return true;
}

}  // namespace

int default_threads() {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return cores < 1 ? 1 : cores;
}

std::string usage() {
  return "usage: digits-server [--host ADDR] [--port N] [--threads N] [--connections N]\n"
         "                     [--connections-per-ip N] [--max-buffered SIZE] [--site DIR]\n"
         "                     [--model BLOB] [--precision int8|f32] [--max-body SIZE] [--max-batch N]\n"
         "                     [--cors-origin ORIGIN] [--request-timeout S] [--idle-timeout S]\n"
         "                     [--access-log stderr|stdout|off]\n"
         "\n"
         "Serves the digit recogniser over HTTP (POST /api/v1/predict, /api/v1/predict/batch, /api/v1/read,\n"
         "/predict; GET /api/v1/model, /healthz, /readyz, /metrics, /openapi.json) and the web app's static\n"
         "files.\n"
         "\n"
         "  --host ADDR            address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)\n"
         "  --port N               TCP port (default 8080; 0 picks a free port and prints it)\n"
         "  --threads N            models, i.e. inferences at once (default: CPU cores; ~4 MB each)\n"
         "  --connections N        open connections at once (default 1000); more are answered 503\n"
         "  --connections-per-ip N  open connections at once from one address (default 100); more are\n"
         "                         answered 503. Behind a proxy every client shares its address: raise it\n"
         "  --max-buffered SIZE    memory all connections may hold for requests and answers (default\n"
         "                         256M); beyond it reading pauses until deadlines or readers free some\n"
         "  --site DIR             static files to serve (default build/site here or next to the binary)\n"
         "  --model BLOB           weights blob (default: the one built in)\n"
         "  --precision P          int8 (default, faster) or f32\n"
         "  --max-body SIZE        largest request body (default 1M); larger gets 413\n"
         "  --max-batch N          most items in one batch request (default 64)\n"
         "  --cors-origin ORIGIN   allow cross-origin API calls from ORIGIN (or *); default none\n"
         "  --request-timeout S    seconds to read a request or write a response (default 10)\n"
         "  --idle-timeout S       seconds an idle keep-alive connection is kept (default 5)\n"
         "  --access-log WHERE     one JSON line per request to stderr (default), stdout, or off\n"
         "\n"
         "Every flag also reads DIGITS_<FLAG> from the environment (DIGITS_PORT, DIGITS_MAX_BODY, ...);\n"
         "flags win. SIGTERM or SIGINT stops accepting, finishes requests in flight, then exits.\n";
}

digits::Result<Config> parse_config(const std::vector<std::string>& args,
                                    const std::function<const char*(const char*)>& env) {
  Config c;
  std::vector<std::string> given;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    if (a == "--help" || a == "-h") {
      c.help = true;
      continue;
    }
    if (a.rfind("--", 0) != 0) return digits::Error{"unexpected argument '" + a + "' (see --help)"};
    std::string name = a.substr(2), value;
    const auto eq = name.find('=');
    bool has_value = false;
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    bool known = false;
    for (const auto& f : kFlags) known = known || name == f.name;
    if (!known) return digits::Error{"unknown option --" + name + " (see --help)"};
    if (!has_value) {
      if (i + 1 >= args.size()) return digits::Error{"--" + name + " needs a value"};
      value = args[++i];
    }
    auto r = apply(c, name, value, "--" + name);
    if (!r) return digits::Error{r.error()};
    given.push_back(name);
  }
  for (const auto& f : kFlags) {
    bool flagged = false;
    for (const auto& g : given) flagged = flagged || g == f.name;
    const char* v = flagged ? nullptr : env(f.env);
    if (v == nullptr || *v == '\0') continue;  // set but empty (common in containers) = not set
    auto r = apply(c, f.name, v, f.env);
    if (!r) return digits::Error{r.error()};
  }
  return c;
}

}  // namespace server
