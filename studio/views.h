// Digits Studio's ImGui panels: the pad, the input and models, the answer, the preprocessing
// stages and the feature maps. Reads App, changes it only through its methods.
#pragma once

#include <string>

#include "app.h"
#include "textures.h"

namespace studio {

// What the panels remember between frames that is not the App's business.
struct UiState {
  char model_path[512] = "";
  char input_path[512] = "";
  char labels_path[512] = "";
  std::string status;  // the last error or notice, shown under the panels
  bool drawing = false;
};

// Draws one frame's worth of panels filling the whole window, and handles the keys:
// Left/Right step through an idx file, Ctrl+Z undoes a stroke, Escape clears the pad.
void draw_studio(App& app, TextureCache& textures, UiState& ui);

}  // namespace studio
