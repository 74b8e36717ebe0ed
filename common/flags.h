// Command-line flags for the native front ends: a front end declares each --name with the
// variable it sets and what it accepts, and parse() does the rest, so no front end writes a
// parser of its own. "--name VALUE" and "--name=VALUE"; an argument not starting with "--" is
// positional.
//
//   frontend::Flags flags;
//   flags.text("model", &model).number("threads", &threads, 1, 1024).on("json", &json);
//   auto files = flags.parse(argc, argv, 2);   // error: "--threads must be ..., not 'x'"
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "digits/digits.h"

namespace frontend {

class Flags {
 public:
  // Any text.
  Flags& text(const char* name, std::string* to);
  // One of `allowed`.
  Flags& choice(const char* name, std::string* to, std::vector<std::string> allowed);
  // A whole number in [min, max].
  Flags& number(const char* name, long* to, long min, long max);
  Flags& number(const char* name, int* to, int min, int max);
  // A decimal number in [min, max].
  Flags& real(const char* name, double* to, double min, double max);
  // A value checked by `set`, which stores it and returns nullopt, or says what was expected
  // ("WIDTHxHEIGHT, at least 320x240").
  Flags& custom(const char* name, std::function<std::optional<std::string>(const std::string&)> set);
  // A switch without a value: present means true.
  Flags& on(const char* name, bool* to);

  // Reads argv[first..argc): the positional arguments, or an error that names the flag.
  digits::Result<std::vector<std::string>> parse(int argc, char** argv, int first = 1) const;

 private:
  struct Flag {
    std::string name;
    bool takes_value;
    std::function<std::optional<std::string>(const std::string&)> set;
  };
  std::vector<Flag> flags_;
};

}  // namespace frontend
