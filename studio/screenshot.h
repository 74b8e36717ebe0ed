// The current OpenGL framebuffer -> a PNG file (headless runs, tests, the README's picture).
#pragma once

#include <string>

namespace studio {

// Reads the back buffer (call after rendering, before swapping) and writes it as an RGB PNG.
// Returns an empty string on success, else a message naming the file and the problem.
std::string save_screenshot(const std::string& path, int width, int height);

}  // namespace studio
