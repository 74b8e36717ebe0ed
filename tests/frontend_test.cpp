// What the native front ends share (common/flags.h, common/files.h): flags declared once and
// parsed with errors that name the flag; files and models read with errors that name the path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "files.h"
#include "flags.h"
#include "test_util.h"

namespace {

digits::Result<std::vector<std::string>> parse(const frontend::Flags& flags, std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return flags.parse(static_cast<int>(argv.size()), argv.data(), 0);
}

}  // namespace

TEST(Flags, EveryKindSetsItsVariableAndPositionalsStayInOrder) {
  std::string model, as = "strokes";
  int threads = 1;
  long limit = 0;
  bool json = false;
  frontend::Flags flags;
  flags.text("model", &model).choice("as", &as, {"strokes", "png"}).number("threads", &threads, 1, 64);
  flags.number("limit", &limit, 0, 1000).on("json", &json);
  auto r = parse(flags, {"a.png", "--model", "m.dgt", "--as=png", "--threads", "8", "b.png", "--limit=7", "--json"});
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value(), (std::vector<std::string>{"a.png", "b.png"}));
  EXPECT_EQ(model, "m.dgt");
  EXPECT_EQ(as, "png");
  EXPECT_EQ(threads, 8);
  EXPECT_EQ(limit, 7);
  EXPECT_TRUE(json);
}

TEST(Flags, BadFlagsAreErrorsThatSayWhatWasExpected) {
  std::string as;
  int threads = 1;
  bool json = false;
  frontend::Flags flags;
  flags.choice("as", &as, {"strokes", "png", "pixels"}).number("threads", &threads, 1, 64).on("json", &json);
  auto error = [&](std::vector<std::string> args) {
    auto r = parse(flags, std::move(args));
    return r.ok() ? std::string("(accepted)") : r.error();
  };
  EXPECT_EQ(error({"--threads", "0"}), "--threads must be a whole number from 1 to 64, not '0'");
  EXPECT_EQ(error({"--threads", "8x"}), "--threads must be a whole number from 1 to 64, not '8x'");
  EXPECT_EQ(error({"--threads"}), "--threads needs a value");
  EXPECT_EQ(error({"--as", "svg"}), "--as must be strokes, png or pixels, not 'svg'");
  EXPECT_EQ(error({"--json=yes"}), "--json takes no value");
  EXPECT_EQ(error({"--colour", "red"}), "unknown option --colour");
  EXPECT_EQ(threads, 1);  // a refused value leaves the variable alone
}

TEST(Files, ErrorsNameThePathAndModelsLoadFromPathOrBuiltIn) {
  auto missing = frontend::read_file("/nonexistent/x.png");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "cannot open /nonexistent/x.png");
  auto png = frontend::read_file(testutil::source_path("tests/fixtures/blank.png"));
  ASSERT_TRUE(png.ok()) << png.error();
  EXPECT_GT(png.value().size(), 8u);

  auto built_in = frontend::load_model("");
  ASSERT_TRUE(built_in.ok()) << built_in.error();
  auto from_path = frontend::load_model(testutil::source_path("models/digits-f32.dgt"));
  ASSERT_TRUE(from_path.ok()) << from_path.error();
  const std::string not_a_blob = testutil::source_path("tests/fixtures/blank.png");
  auto bad = frontend::load_model(not_a_blob);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().rfind(not_a_blob + ": ", 0), 0u) << bad.error();
}
