// digits-studio — a Dear ImGui desktop inspector over the digits core: draw or open a digit and
// see the preprocessing stages, the probabilities, every layer's feature maps, and a second
// model's answer next to the first.
//
//   digits-studio [--model BLOB] [--compare BLOB] [--input FILE [--labels IDX] [--index N]]
//                 [--size WxH] [--screenshot OUT.png]
//
// --screenshot renders one frame, writes it as a PNG, prints one JSON line saying what it showed,
// and exits: for tests (under xvfb-run) and for the README's picture.
#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "app.h"
#include "flags.h"
#include "screenshot.h"
#include "textures.h"
#include "views.h"

namespace {

struct Flags {
  std::string model, compare, input, labels, screenshot;
  int index = 0;
  int width = 1440, height = 900;
};

int usage(int code) {
  std::fprintf(
      code ? stderr : stdout,
      "usage: digits-studio [--model BLOB] [--compare BLOB] [--input FILE.png|IDX [--labels IDX] [--index N]]\n"
      "                     [--size WxH] [--screenshot OUT.png]\n"
      "\n"
      "--model       weights blob for model A (default: the embedded one)\n"
      "--compare     a second weights blob, B, answered side by side with A\n"
      "--input       a PNG, or an MNIST idx images file to step through with the arrow keys\n"
      "--labels      the idx labels for --input (guessed for *-images-idx3-ubyte); errors are highlighted\n"
      "--index       which idx image to show first (0-based)\n"
      "--size        window size in pixels (default 1440x900)\n"
      "--screenshot  render one frame to this PNG, print a JSON line, and exit\n");
  return code;
}

bool parse_flags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--help" || std::string(argv[i]) == "-h") std::exit(usage(0));
  frontend::Flags flags;
  flags.text("model", &f.model).text("compare", &f.compare).text("input", &f.input).text("labels", &f.labels);
  flags.text("screenshot", &f.screenshot).number("index", &f.index, 0, 1 << 30);
  flags.custom("size", [&f](const std::string& v) -> std::optional<std::string> {
    int w = 0, h = 0;
    char tail = 0;
    if (std::sscanf(v.c_str(), "%dx%d%c", &w, &h, &tail) != 2 || w < 320 || h < 240 || w > 8192 || h > 8192)
      return "WIDTHxHEIGHT, at least 320x240 and at most 8192x8192";
    f.width = w, f.height = h;
    return std::nullopt;
  });
  auto rest = flags.parse(argc, argv, 1);
  if (!rest || !rest.value().empty()) {
    std::fprintf(stderr, "digits-studio: %s\n",
                 rest ? ("unexpected argument '" + rest.value()[0] + "'").c_str() : rest.error().c_str());
    return usage(2), false;
  }
  return true;
}

// What the screenshot shows, for a test to compare with the CLI's answer.
void print_shown(const studio::App& app, const Flags& f, int width, int height) {
  using json = nlohmann::ordered_json;
  const auto& an = app.analysis();
  const auto& p = an.answer.prediction;
  auto digit = [](const digits::Prediction& q) { return q.empty ? json(nullptr) : json(q.digit); };
  json j{{"screenshot", f.screenshot}, {"width", width},
         {"height", height},           {"input", f.input},
         {"index", app.image_index()}, {"digit", an.error.empty() ? digit(p) : json(nullptr)},
         {"confidence", p.confidence}, {"empty", p.empty},
         {"uncertain", p.uncertain}};
  j["text"] = an.reading.text;  // read as a number ("" when it could not be)
  if (auto l = app.label()) j["label"] = *l;
  if (an.compare_answer) j["compare_digit"] = digit(an.compare_answer->prediction);
  j["layers"] = an.layers.size();
  std::printf("%s\n", j.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
}

void on_glfw_error(int code, const char* what) {
  std::fprintf(stderr, "digits-studio: GLFW error %d: %s\n", code, what);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!parse_flags(argc, argv, flags)) return 2;

  // Models and input first: a wrong path is reported before any window opens.
  auto created = studio::App::create(flags.model);
  if (!created) {
    std::fprintf(stderr, "digits-studio: %s\n", created.error().c_str());
    return 1;
  }
  studio::App app = std::move(created.value());
  if (!flags.compare.empty()) {
    if (auto err = app.load_compare_model(flags.compare); !err.empty()) {
      std::fprintf(stderr, "digits-studio: %s\n", err.c_str());
      return 1;
    }
  }
  if (!flags.input.empty()) {
    if (auto err = app.open_file(flags.input, flags.labels); !err.empty()) {
      std::fprintf(stderr, "digits-studio: %s\n", err.c_str());
      return 1;
    }
    if (flags.index >= app.image_count()) {
      std::fprintf(stderr, "digits-studio: --index %d is past the last image (%d)\n", flags.index,
                   app.image_count() - 1);
      return 1;
    }
    app.seek(flags.index);
  }

  glfwSetErrorCallback(on_glfw_error);
  if (!glfwInit()) {
    std::fprintf(stderr, "digits-studio: cannot open a window (no display? run it under xvfb-run for headless use)\n");
    return 1;
  }
  // OpenGL 3.0 is all the ImGui backend needs, and what Mesa's software renderer gives everywhere.
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  glfwWindowHint(GLFW_RESIZABLE, flags.screenshot.empty() ? GLFW_TRUE : GLFW_FALSE);
  GLFWwindow* window = glfwCreateWindow(flags.width, flags.height, "Digits Studio", nullptr, nullptr);
  if (!window) {
    std::fprintf(stderr, "digits-studio: cannot create an OpenGL 3.0 window (is Mesa's libgl1-mesa-dri installed?)\n");
    glfwTerminate();
    return 1;
  }
  glfwMakeContextCurrent(window);
  glfwSwapInterval(1);

  IMGUI_CHECKVERSION();
  ImGui::CreateContext();
  ImGui::GetIO().IniFilename = nullptr;  // the layout is fixed; no imgui.ini next to the user's files
  ImGui::StyleColorsDark();
  ImGui_ImplGlfw_InitForOpenGL(window, true);
  ImGui_ImplOpenGL3_Init("#version 130");

  int rc = 0;
  {
    studio::TextureCache textures;  // destroyed while the GL context is still alive
    studio::UiState ui;
    std::snprintf(ui.input_path, sizeof ui.input_path, "%s", flags.input.c_str());
    std::snprintf(ui.labels_path, sizeof ui.labels_path, "%s", flags.labels.c_str());
    std::snprintf(ui.model_path, sizeof ui.model_path, "%s", flags.compare.c_str());
    // Headless: ImGui sizes some widgets from the previous frame, so settle for a few frames.
    int frames_left = flags.screenshot.empty() ? -1 : 3;
    while (!glfwWindowShouldClose(window)) {
      if (frames_left < 0)
        glfwWaitEventsTimeout(0.25);  // idle: no busy loop; wake to redraw
      else
        glfwPollEvents();
      ImGui_ImplOpenGL3_NewFrame();
      ImGui_ImplGlfw_NewFrame();
      ImGui::NewFrame();
      studio::draw_studio(app, textures, ui);
      ImGui::Render();
      int w, h;
      glfwGetFramebufferSize(window, &w, &h);
      glViewport(0, 0, w, h);
      glClearColor(0.08f, 0.08f, 0.1f, 1.0f);
      glClear(GL_COLOR_BUFFER_BIT);
      ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
      if (frames_left > 0 && --frames_left == 0) {
        glFinish();
        if (auto err = studio::save_screenshot(flags.screenshot, w, h); !err.empty()) {
          std::fprintf(stderr, "digits-studio: %s\n", err.c_str());
          rc = 1;
        } else {
          print_shown(app, flags, w, h);
        }
        break;
      }
      glfwSwapBuffers(window);
    }
  }

  ImGui_ImplOpenGL3_Shutdown();
  ImGui_ImplGlfw_Shutdown();
  ImGui::DestroyContext();
  glfwDestroyWindow(window);
  glfwTerminate();
  return rc;
}
