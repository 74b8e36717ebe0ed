#include "flags.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace frontend {

namespace {

// "-90", "0.5": a bound as a person writes it (std::to_string would say "-90.000000").
std::string shortest(double d) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", d);
  return text;
}

bool parse_long(const std::string& s, long min, long max, long& out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return false;
  out = v;
  return true;
}

std::string range(long min, long max) {
  return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
}

}  // namespace

Flags& Flags::custom(const char* name, std::function<std::optional<std::string>(const std::string&)> set) {
  flags_.push_back({name, true, std::move(set)});
  return *this;
}

Flags& Flags::text(const char* name, std::string* to) {
  return custom(name, [to](const std::string& v) -> std::optional<std::string> {
    *to = v;
    return std::nullopt;
  });
}

Flags& Flags::choice(const char* name, std::string* to, std::vector<std::string> allowed) {
  return custom(name, [to, allowed = std::move(allowed)](const std::string& v) -> std::optional<std::string> {
    std::string list;
    for (std::size_t i = 0; i < allowed.size(); ++i) {
      if (v == allowed[i]) return *to = v, std::nullopt;
      list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
    }
    return list;
  });
}

Flags& Flags::number(const char* name, long* to, long min, long max) {
  return custom(name, [=](const std::string& v) -> std::optional<std::string> {
    if (!parse_long(v, min, max, *to)) return range(min, max);
    return std::nullopt;
  });
}

Flags& Flags::number(const char* name, int* to, int min, int max) {
  return custom(name, [=](const std::string& v) -> std::optional<std::string> {
    long n = 0;
    if (!parse_long(v, min, max, n)) return range(min, max);
    *to = static_cast<int>(n);
    return std::nullopt;
  });
}

Flags& Flags::real(const char* name, double* to, double min, double max) {
  return custom(name, [=](const std::string& v) -> std::optional<std::string> {
    char* end = nullptr;
    errno = 0;
    const double d = v.empty() ? 0 : std::strtod(v.c_str(), &end);
    if (v.empty() || errno != 0 || *end != '\0' || !(d >= min && d <= max))
      return "a number from " + shortest(min) + " to " + shortest(max);
    *to = d;
    return std::nullopt;
  });
}

Flags& Flags::on(const char* name, bool* to) {
  flags_.push_back({name, false, [to](const std::string&) -> std::optional<std::string> {
                      *to = true;
                      return std::nullopt;
                    }});
  return *this;
}

digits::Result<std::vector<std::string>> Flags::parse(int argc, char** argv, int first) const {
  std::vector<std::string> positional;
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positional.push_back(arg);
      continue;
    }
    const std::size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const Flag* flag = nullptr;
    for (const auto& f : flags_)
      if (f.name == name) flag = &f;
    if (!flag) return digits::Error{"unknown option --" + name};
    std::string value;
    if (!flag->takes_value) {
      if (eq != std::string::npos) return digits::Error{"--" + name + " takes no value"};
    } else if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return digits::Error{"--" + name + " needs a value"};
    }
    if (auto expected = flag->set(value))
      return digits::Error{"--" + name + " must be " + *expected + ", not '" + value + "'"};
  }
  return positional;
}

}  // namespace frontend
