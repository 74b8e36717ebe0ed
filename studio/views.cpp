#include "views.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>

namespace studio {

namespace {

// A named key pressed this frame. Dear ImGui 1.87 made ImGuiKey values real keys and later
// removed GetKeyIndex; Debian 12 ships 1.86, where they are indices into io.KeyMap.
bool key_pressed(ImGuiKey key, bool repeat = true) {
#if IMGUI_VERSION_NUM >= 18700
  return ImGui::IsKeyPressed(key, repeat);
#else
  return ImGui::IsKeyPressed(ImGui::GetKeyIndex(key), repeat);
#endif
}

constexpr float kPadSide = 280;   // pixels; strokes are kept in these units
constexpr float kPenWidth = 16;   // what the pad draws with (core normalises the width anyway)
constexpr float kStageBox = 100;  // each preprocessing stage is fitted into this square
const ImVec4 kBad(1.0f, 0.42f, 0.36f, 1.0f);
const ImVec4 kGood(0.45f, 0.85f, 0.45f, 1.0f);
const ImVec4 kDim(0.6f, 0.6f, 0.6f, 1.0f);

// Whether a reading is a number rather than one digit: several digits, or one with a point,
// comma, colon, hyphen or sign ("-7" is no "7").
bool is_number(const digits::Reading& r) { return r.digits.size() > 1 || !r.separators.empty(); }

void heading(const char* text) {
  ImGui::Spacing();
  ImGui::TextUnformatted(text);
  ImGui::Separator();
}

// The status line reports what the last action said; success clears it.
void report(UiState& ui, const std::string& error) { ui.status = error; }

void pad_panel(App& app, UiState& ui) {
  heading("Draw a digit");
  const ImVec2 origin = ImGui::GetCursorScreenPos();
  ImGui::InvisibleButton("pad", ImVec2(kPadSide, kPadSide));
  const bool active = ImGui::IsItemActive();
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  const digits::Point at{std::clamp(mouse.x - origin.x, 0.0f, kPadSide),
                         std::clamp(mouse.y - origin.y, 0.0f, kPadSide)};
  if (active && !ui.drawing) {
    app.begin_stroke(at);
    ui.drawing = true;
  } else if (active) {
    app.extend_stroke(at);
  } else if (ui.drawing) {
    ui.drawing = false;
    app.end_stroke();  // predict on each stroke
  }

  ImDrawList* dl = ImGui::GetWindowDrawList();
  const bool live = app.source() == InputSource::Pad;
  dl->AddRectFilled(origin, ImVec2(origin.x + kPadSide, origin.y + kPadSide),
                    live ? IM_COL32(12, 12, 16, 255) : IM_COL32(30, 30, 34, 255));
  dl->AddRect(origin, ImVec2(origin.x + kPadSide, origin.y + kPadSide), IM_COL32(110, 110, 120, 255));
  dl->PushClipRect(origin, ImVec2(origin.x + kPadSide, origin.y + kPadSide), true);
  const ImU32 ink = live ? IM_COL32(255, 255, 255, 255) : IM_COL32(120, 120, 120, 255);
  for (const auto& stroke : app.strokes()) {
    std::vector<ImVec2> pts;
    for (const auto& p : stroke) pts.emplace_back(origin.x + p.x, origin.y + p.y);
    for (const auto& p : pts) dl->AddCircleFilled(p, kPenWidth / 2, ink);  // round joints and dots
    if (pts.size() > 1) dl->AddPolyline(pts.data(), static_cast<int>(pts.size()), ink, 0, kPenWidth);
  }
  // A number: each digit's box, labelled with what it reads as (uncertain ones in amber).
  const auto& reading = app.analysis().reading;
  if (live && is_number(reading))
    for (const auto& d : reading.digits) {
      const ImU32 c = d.prediction.uncertain ? IM_COL32(240, 170, 40, 255) : IM_COL32(90, 160, 255, 255);
      const ImVec2 a(origin.x + d.box.x - 4, origin.y + d.box.y - 4);
      dl->AddRect(a, ImVec2(a.x + d.box.width + 8, a.y + d.box.height + 8), c);
      dl->AddText(ImVec2(a.x, a.y - 14), c, std::to_string(d.prediction.digit).c_str());
    }
  // And its points, commas, colons, hyphens and minus sign, boxed in grey.
  if (live)
    for (const auto& s : reading.separators) {
      const ImVec2 a(origin.x + s.box.x - 3, origin.y + s.box.y - 3);
      dl->AddRect(a, ImVec2(a.x + s.box.width + 6, a.y + s.box.height + 6), IM_COL32(170, 170, 180, 255));
    }
  dl->PopClipRect();
  if (!live && app.strokes().empty()) {
    dl->AddText(ImVec2(origin.x + 12, origin.y + 12), IM_COL32(150, 150, 150, 255), "showing the file; draw here");
  }

  if (ImGui::Button("Clear")) app.clear_pad();
  ImGui::SameLine();
  if (ImGui::Button("Undo")) app.undo_stroke();
  if (app.has_file()) {
    ImGui::SameLine();
    if (live && ImGui::Button("Back to file")) app.use_file();
  }
  ImGui::TextColored(kDim, "Ctrl+Z undo, Esc clear");
}

void input_panel(App& app, UiState& ui) {
  heading("Input file (PNG or MNIST idx)");
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##input", "path/to/image.png or t10k-images-idx3-ubyte", ui.input_path,
                           sizeof ui.input_path);
  ImGui::SetNextItemWidth(-60);
  ImGui::InputTextWithHint("##labels", "labels idx (optional)", ui.labels_path, sizeof ui.labels_path);
  ImGui::SameLine();
  if (ImGui::Button("Open")) report(ui, app.open_file(ui.input_path, ui.labels_path));

  if (!app.has_file()) return;
  ImGui::TextWrapped("%s", app.file_path().c_str());
  if (app.source() != InputSource::Idx) return;
  if (ImGui::ArrowButton("##prev", ImGuiDir_Left)) app.step(-1);
  ImGui::SameLine();
  // Numbered from 0, like `digits eval`'s error list and --index.
  int shown = app.image_index();
  ImGui::TextUnformatted("#");
  ImGui::SameLine(0, 2);
  ImGui::SetNextItemWidth(80);
  if (ImGui::InputInt("##index", &shown, 0, 0, ImGuiInputTextFlags_EnterReturnsTrue)) app.seek(shown);
  ImGui::SameLine();
  ImGui::Text("of %d", app.image_count());
  ImGui::SameLine();
  if (ImGui::ArrowButton("##next", ImGuiDir_Right)) app.step(+1);
  if (const auto l = app.label()) {
    ImGui::Text("label %d", *l);
    ImGui::SameLine();
    if (app.misclassified())
      ImGui::TextColored(kBad, "MISCLASSIFIED");
    else
      ImGui::TextColored(kGood, "correct");
    if (ImGui::Button("< previous error")) report(ui, app.seek_misclassified(-1));
    ImGui::SameLine();
    if (ImGui::Button("next error >")) report(ui, app.seek_misclassified(+1));
  } else {
    ImGui::TextColored(kDim, "no labels: give the labels idx to see errors");
  }
  ImGui::TextColored(kDim, "Left/Right arrows step");
}

void describe_model(const char* tag, const NamedModel& m) {
  const auto& info = m.model.info();
  ImGui::TextWrapped("%s: %s", tag, m.source.c_str());
  ImGui::TextColored(kDim, "   %s, %s weights", info.architecture.c_str(), info.storage.c_str());
}

void models_panel(App& app, UiState& ui) {
  heading("Models");
  describe_model("A", app.model());
  if (app.compare_model()) describe_model("B", *app.compare_model());
  ImGui::SetNextItemWidth(-1);
  ImGui::InputTextWithHint("##model", "path/to/weights.dgt", ui.model_path, sizeof ui.model_path);
  if (ImGui::Button("Load as A")) report(ui, app.load_model(ui.model_path));
  ImGui::SameLine();
  if (ImGui::Button("Load as B (compare)")) report(ui, app.load_compare_model(ui.model_path));
  if (app.compare_model()) {
    ImGui::SameLine();
    if (ImGui::Button("Drop B")) app.drop_compare_model();
  }
}

void verdict(const char* tag, const Answer& a) {
  const auto& p = a.prediction;
  ImGui::BeginGroup();
  ImGui::Text("%s", tag);
  const ImVec2 at = ImGui::GetCursorScreenPos();
  char big[8];
  std::snprintf(big, sizeof big, "%s", p.empty ? "-" : std::to_string(p.digit).c_str());
  ImGui::GetWindowDrawList()->AddText(ImGui::GetFont(), 64.0f, at, IM_COL32(255, 255, 255, 255), big);
  ImGui::Dummy(ImVec2(48, 64));
  ImGui::SameLine();
  ImGui::BeginGroup();
  if (p.empty) {
    ImGui::TextColored(kDim, "empty: no ink");
  } else {
    ImGui::Text("confidence %.1f %%", 100.0 * p.confidence);
    if (p.uncertain)
      ImGui::TextColored(kBad, "uncertain");
    else
      ImGui::TextColored(kGood, "sure");
  }
  ImGui::Text("%.2f ms", a.latency_ms);
  ImGui::EndGroup();
  ImGui::EndGroup();
}

// The answer in blue; the true label (when an idx labels file says it) in green, so a
// misclassified image shows where the probability should have gone.
void bars(const char* id, const Answer& a, std::optional<int> label, float width) {
  ImGui::BeginGroup();
  ImGui::PushID(id);
  for (int d = 0; d < digits::kNumClasses; ++d) {
    const float prob = a.prediction.probabilities[d];
    const bool top = !a.prediction.empty && d == a.prediction.digit;
    ImGui::TextColored(label == d ? kGood : ImGui::GetStyleColorVec4(ImGuiCol_Text), "%d", d);
    ImGui::SameLine();
    char overlay[16];
    std::snprintf(overlay, sizeof overlay, "%.1f%%", 100.0f * prob);
    const ImVec4 colour = top          ? ImVec4(0.25f, 0.6f, 1.0f, 1.0f)
                          : label == d ? ImVec4(0.3f, 0.7f, 0.3f, 1.0f)
                                       : ImVec4(0.55f, 0.55f, 0.6f, 1.0f);
    ImGui::PushStyleColor(ImGuiCol_PlotHistogram, colour);
    ImGui::ProgressBar(prob, ImVec2(width, 0), overlay);
    ImGui::PopStyleColor();
  }
  ImGui::PopID();
  ImGui::EndGroup();
}

void answer_panel(App& app) {
  const Analysis& an = app.analysis();
  heading("Answer");
  if (!an.error.empty()) {
    ImGui::TextColored(kBad, "%s", an.error.c_str());
    return;
  }
  const bool compare = an.compare_answer.has_value();
  // A number: what was written comes first, each digit with its confidence (uncertain ones in
  // amber); the whole input read as one digit below is what predict_* would answer.
  const bool number = is_number(an.reading);
  if (number) {
    ImGui::Text("Read as a number");
    const ImVec2 at = ImGui::GetCursorScreenPos();
    ImGui::GetWindowDrawList()->AddText(ImGui::GetFont(), 48.0f, at, IM_COL32(255, 255, 255, 255),
                                        an.reading.text.c_str());
    ImGui::Dummy(ImVec2(0, 48));
    for (std::size_t i = 0; i < an.reading.digits.size(); ++i) {
      const auto& d = an.reading.digits[i];
      if (i) ImGui::SameLine();
      ImGui::TextColored(d.prediction.uncertain ? kBad : kDim, "%d %.1f%%%s", d.prediction.digit,
                         100 * d.prediction.confidence, d.touching ? " (cut)" : "");
    }
  } else if (!an.reading_error.empty()) {
    ImGui::TextColored(kBad, "as a number: %s", an.reading_error.c_str());
  }
  verdict(compare ? "A" : number ? "the whole input as one digit" : "model", an.answer);
  if (compare) {
    ImGui::SameLine(0, 40);
    verdict("B", *an.compare_answer);
    const bool agree = an.answer.prediction.digit == an.compare_answer->prediction.digit;
    ImGui::TextColored(agree ? kGood : kBad, agree ? "A and B agree" : "A and B DISAGREE");
  }
  if (const auto l = app.label()) {
    if (app.misclassified())
      ImGui::TextColored(kBad, "MISCLASSIFIED: the label is %d", *l);
    else
      ImGui::TextColored(kGood, "label %d: correct", *l);
  }
  heading("Probabilities");
  const float avail = ImGui::GetContentRegionAvail().x - 30;
  bars("a", an.answer, app.label(), compare ? avail / 2 - 20 : avail);
  if (compare) {
    ImGui::SameLine();
    bars("b", *an.compare_answer, app.label(), avail / 2 - 20);
  }
}

// Where stage_image drew a picture: screen position of its (0, 0) and pixels per picture pixel.
struct Placement {
  ImVec2 origin;
  float scale = 1;
};

Placement stage_image(TextureCache& textures, const char* slot, const char* caption, int w, int h, const float* v) {
  ImGui::BeginGroup();
  ImGui::TextUnformatted(caption);
  // Every stage takes the same square, whatever its shape, so the row lines up.
  const ImVec2 at = ImGui::GetCursorScreenPos();
  ImGui::Dummy(ImVec2(kStageBox, kStageBox));
  ImDrawList* dl = ImGui::GetWindowDrawList();
  dl->AddRectFilled(at, ImVec2(at.x + kStageBox, at.y + kStageBox), IM_COL32(0, 0, 0, 255));
  Placement placed{at, 1};
  if (w > 0 && h > 0) {
    const Texture t = textures.upload_plane(slot, w, h, v, Scale::Unit);
    const float s = kStageBox / std::max(w, h);
    const ImVec2 p0(at.x + (kStageBox - w * s) / 2, at.y + (kStageBox - h * s) / 2);
    dl->AddImage(t.id, p0, ImVec2(p0.x + w * s, p0.y + h * s));
    placed = {p0, s};
  }
  ImGui::TextColored(kDim, "%dx%d", w, h);
  ImGui::EndGroup();
  return placed;
}

// A number read from a picture: its digits' boxes (uncertain ones in amber) and its points' and
// commas' (grey) over the raw ink, which is the picture at its own size.
void draw_segmentation(const digits::Reading& r, Placement at) {
  ImDrawList* dl = ImGui::GetWindowDrawList();
  auto rect = [&](const digits::Box& b, ImU32 c) {
    dl->AddRect(ImVec2(at.origin.x + b.x * at.scale - 1, at.origin.y + b.y * at.scale - 1),
                ImVec2(at.origin.x + (b.x + b.width) * at.scale + 1, at.origin.y + (b.y + b.height) * at.scale + 1), c);
  };
  for (const auto& d : r.digits)
    rect(d.box, d.prediction.uncertain ? IM_COL32(240, 170, 40, 255) : IM_COL32(90, 160, 255, 255));
  for (const auto& s : r.separators) rect(s.box, IM_COL32(170, 170, 180, 255));
}

void stages_panel(App& app, TextureCache& textures) {
  const Analysis& an = app.analysis();
  textures.set_generation(app.analysis_generation());  // a click above may have redone it
  heading("Preprocessing: what the network is given");
  if (!an.error.empty()) return;
  const auto& s = an.stages;
  const Placement raw =
      stage_image(textures, "raw", "raw ink", s.raw_ink.width, s.raw_ink.height, s.raw_ink.values.data());
  // The pad boxes a drawn number itself; a picture's raw ink is the picture, in its coordinates.
  if (app.source() != InputSource::Pad && is_number(an.reading)) draw_segmentation(an.reading, raw);
  ImGui::SameLine();
  stage_image(textures, "crop", "cropped", s.cropped.width, s.cropped.height, s.cropped.values.data());
  ImGui::SameLine();
  stage_image(textures, "s20", "20x20", s.scaled20.width, s.scaled20.height, s.scaled20.values.data());
  ImGui::SameLine();
  stage_image(textures, "c28", "centred 28x28", digits::kImageSide, digits::kImageSide, s.centred.data());
  // A number: the whole input above is not what the network reads; each digit's 28x28 is.
  const auto& digits_read = an.reading.digits;
  if (digits_read.size() > 1) {
    heading("Read as a number: each digit's 28x28");
    for (std::size_t i = 0; i < digits_read.size(); ++i) {
      if (i % 8) ImGui::SameLine();
      const std::string slot = "digit" + std::to_string(i);
      const std::string caption = std::to_string(digits_read[i].prediction.digit) + " (" +
                                  std::to_string(static_cast<int>(100 * digits_read[i].prediction.confidence)) + "%)";
      stage_image(textures, slot.c_str(), caption.c_str(), digits::kImageSide, digits::kImageSide,
                  digits_read[i].image.data());
    }
  }
}

void features_panel(App& app, TextureCache& textures) {
  const Analysis& an = app.analysis();
  textures.set_generation(app.analysis_generation());
  heading("Feature maps (after ReLU; each tile scaled to its own maximum)");
  if (an.layers.empty()) {
    ImGui::TextColored(kDim, "draw or open a digit to see the network's layers");
    return;
  }
  const float avail = ImGui::GetContentRegionAvail().x;
  for (const auto& layer : an.layers) {
    if (layer.name == "logits") {
      ImGui::Text("logits");
      for (int d = 0; d < static_cast<int>(layer.values.size()); ++d) {
        char text[32];
        std::snprintf(text, sizeof text, "%d:%.1f", d, layer.values[d]);
        // Wrap instead of running off a narrow window.
        const float spacing = ImGui::GetStyle().ItemSpacing.x;
        if (ImGui::GetItemRectMax().x + spacing + ImGui::CalcTextSize(text).x <
            ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x)
          ImGui::SameLine();
        ImGui::TextColored(d == an.answer.prediction.digit ? kGood : kDim, "%s", text);
      }
      continue;
    }
    Texture t;
    if (layer.height * layer.width > 1) {
      // Two rows for 32 channels, two or four for 64 and 128: wide strips that fit the column.
      const int columns = layer.channels <= 32 ? 16 : 32;
      t = textures.upload_feature_grid(layer.name, layer.height, layer.width, layer.channels, layer.values.data(),
                                       columns);
    } else {
      // A vector (fc1): one pixel per unit, 64 to a row.
      const int n = static_cast<int>(layer.values.size());
      const int w = std::min(64, n);
      std::vector<float> padded(static_cast<size_t>((n + w - 1) / w) * w, 0.0f);
      std::copy(layer.values.begin(), layer.values.end(), padded.begin());
      t = textures.upload_feature_grid(layer.name, static_cast<int>(padded.size()) / w, w, 1, padded.data(), 1);
    }
    ImGui::Text("%s  %dx%dx%d", layer.name.c_str(), layer.height, layer.width, layer.channels);
    const float scale = std::min(4.0f, avail / t.width);
    ImGui::Image(t.id, ImVec2(t.width * scale, t.height * scale));
  }
}

void handle_keys(App& app) {
  const ImGuiIO& io = ImGui::GetIO();
  if (io.WantTextInput) return;  // typing a path: arrows move the caret, not the dataset
  if (key_pressed(ImGuiKey_LeftArrow)) app.step(-1);
  if (key_pressed(ImGuiKey_RightArrow)) app.step(+1);
  if (io.KeyCtrl && key_pressed(ImGuiKey_Z)) app.undo_stroke();
  if (key_pressed(ImGuiKey_Escape, false)) app.clear_pad();
}

}  // namespace

void draw_studio(App& app, TextureCache& textures, UiState& ui) {
  handle_keys(app);
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->WorkPos);
  ImGui::SetNextWindowSize(vp->WorkSize);
  ImGui::Begin("Digits Studio", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus);
  const float status_height = ImGui::GetFrameHeightWithSpacing();
  const float h = ImGui::GetContentRegionAvail().y - status_height;

  ImGui::BeginChild("left", ImVec2(kPadSide + 20, h));
  pad_panel(app, ui);
  input_panel(app, ui);
  models_panel(app, ui);
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("middle", ImVec2(4 * (kStageBox + 8) + 20, h));
  answer_panel(app);
  stages_panel(app, textures);
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("right", ImVec2(0, h));
  features_panel(app, textures);
  ImGui::EndChild();

  if (!ui.status.empty())
    ImGui::TextColored(kBad, "%s", ui.status.c_str());
  else
    ImGui::TextColored(kDim, "Digits Studio: every number here comes from the digits core library");
  ImGui::End();
}

}  // namespace studio
