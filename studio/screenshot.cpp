#include "screenshot.h"

#include <GLFW/glfw3.h>
#include <png.h>

#include <vector>

namespace studio {

std::string save_screenshot(const std::string& path, int width, int height) {
  if (width <= 0 || height <= 0) return path + ": the window has no pixels to save";
  std::vector<unsigned char> rgb(static_cast<size_t>(width) * height * 3);
  glReadBuffer(GL_BACK);
  glPixelStorei(GL_PACK_ALIGNMENT, 1);
  glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
  if (glGetError() != GL_NO_ERROR) return path + ": could not read the window's pixels back from OpenGL";

  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGB;
  // OpenGL's rows run bottom-up; a negative stride makes libpng write them top-down.
  const png_int_32 stride = -static_cast<png_int_32>(width * 3);
  if (!png_image_write_to_file(&image, path.c_str(), 0, rgb.data(), stride, nullptr))
    return path + ": cannot write the screenshot (" + image.message + ")";
  return {};
}

}  // namespace studio
