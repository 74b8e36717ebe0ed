#include "textures.h"

#include <GLFW/glfw3.h>  // pulls in <GL/gl.h>: the GL 1.1 texture calls are all this needs

#include <algorithm>
#include <cstdint>

namespace studio {

namespace {

unsigned char to_byte(float v) { return static_cast<unsigned char>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f); }

GLuint gl_name(ImTextureID id) { return static_cast<GLuint>(reinterpret_cast<std::intptr_t>(id)); }

}  // namespace

TextureCache::~TextureCache() {
  for (auto& [slot, t] : slots_) {
    GLuint name = gl_name(t.id);
    glDeleteTextures(1, &name);
  }
}

const Texture* TextureCache::current(const std::string& slot) const {
  auto it = slots_.find(slot);
  return it != slots_.end() && it->second.generation == generation_ ? &it->second : nullptr;
}

Texture TextureCache::upload_rgba(const std::string& slot, int width, int height,
                                  const std::vector<unsigned char>& rgba) {
  Texture& t = slots_[slot];
  GLuint name = gl_name(t.id);
  if (name == 0) {
    glGenTextures(1, &name);
    glBindTexture(GL_TEXTURE_2D, name);
    // Nearest: these are tiny pictures shown enlarged, and their pixels are the point.
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    t.id = reinterpret_cast<ImTextureID>(static_cast<std::intptr_t>(name));
  }
  glBindTexture(GL_TEXTURE_2D, name);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba.data());
  t.width = width;
  t.height = height;
  t.generation = generation_;
  return t;
}

Texture TextureCache::upload_plane(const std::string& slot, int width, int height, const float* values, Scale scale) {
  if (width <= 0 || height <= 0) return {};
  if (const Texture* t = current(slot)) return *t;
  const size_t n = static_cast<size_t>(width) * height;
  float peak = 1.0f;
  if (scale == Scale::MaxPerTile) peak = std::max(1e-6f, *std::max_element(values, values + n));
  std::vector<unsigned char> rgba(n * 4);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char g = to_byte(values[i] / peak);
    rgba[i * 4 + 0] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = g;
    rgba[i * 4 + 3] = 255;
  }
  return upload_rgba(slot, width, height, rgba);
}

Texture TextureCache::upload_feature_grid(const std::string& slot, int height, int width, int channels,
                                          const float* values, int columns) {
  if (height <= 0 || width <= 0 || channels <= 0 || columns <= 0) return {};
  if (const Texture* t = current(slot)) return *t;
  const int rows = (channels + columns - 1) / columns;
  const int gw = columns * (width + 1) - 1, gh = rows * (height + 1) - 1;
  std::vector<unsigned char> rgba(static_cast<size_t>(gw) * gh * 4, 96);  // grey separators
  for (int c = 0; c < channels; ++c) {
    float peak = 1e-6f;
    for (int i = 0; i < height * width; ++i) peak = std::max(peak, values[static_cast<size_t>(i) * channels + c]);
    const int ox = (c % columns) * (width + 1), oy = (c / columns) * (height + 1);
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        const float v = values[(static_cast<size_t>(y) * width + x) * channels + c] / peak;
        unsigned char* px = &rgba[(static_cast<size_t>(oy + y) * gw + ox + x) * 4];
        // Warm ramp (black -> orange -> white): tells activations apart from the grey ink stages.
        px[0] = to_byte(v * 1.6f);
        px[1] = to_byte(v * 1.6f - 0.45f);
        px[2] = to_byte(v * 2.0f - 1.0f);
        px[3] = 255;
      }
  }
  // Unused grid cells stay grey; fill them dark so they do not read as channels.
  for (int c = channels; c < rows * columns; ++c) {
    const int ox = (c % columns) * (width + 1), oy = (c / columns) * (height + 1);
    for (int y = 0; y < height; ++y)
      for (int x = 0; x < width; ++x) {
        unsigned char* px = &rgba[(static_cast<size_t>(oy + y) * gw + ox + x) * 4];
        px[0] = px[1] = px[2] = 30;
      }
  }
  for (size_t i = 3; i < rgba.size(); i += 4) rgba[i] = 255;
  return upload_rgba(slot, gw, gh, rgba);
}

}  // namespace studio
