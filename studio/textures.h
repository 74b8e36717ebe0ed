// Float pictures -> OpenGL textures that ImGui can draw (ImGui::Image takes a texture id).
#pragma once

#include <imgui.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace studio {

// How values map to grey: ink planes are already 0..1; feature maps have no fixed range.
enum class Scale {
  Unit,        // 0..1 as is (clamped): preprocessing stages, the 28x28
  MaxPerTile,  // each tile divided by its own maximum, so a weak channel's pattern still shows
};

struct Texture {
  ImTextureID id = nullptr;
  int width = 0, height = 0;
  std::uint64_t generation = 0;  // of the picture it holds (see TextureCache::set_generation)
};

// Owns one GL texture per named slot, re-uploaded when the picture changes. Needs a current GL
// context for its whole life (create it after the window, destroy it before).
class TextureCache {
 public:
  TextureCache() = default;
  TextureCache(const TextureCache&) = delete;
  TextureCache& operator=(const TextureCache&) = delete;
  ~TextureCache();

  // Pictures only change when the analysis does: uploads with the same generation as a slot's
  // last one return that texture without converting or uploading again.
  void set_generation(std::uint64_t generation) { generation_ = generation; }

  // A single-channel picture, `width` x `height`, row-major, white = high.
  Texture upload_plane(const std::string& slot, int width, int height, const float* values, Scale scale);

  // A feature map (height x width x channels, channels last) as a grid of one tile per channel,
  // `columns` tiles per row, separated by a 1-pixel grey line so the tiles are told apart.
  Texture upload_feature_grid(const std::string& slot, int height, int width, int channels, const float* values,
                              int columns);

 private:
  Texture upload_rgba(const std::string& slot, int width, int height, const std::vector<unsigned char>& rgba);
  const Texture* current(const std::string& slot) const;
  std::map<std::string, Texture> slots_;
  std::uint64_t generation_ = 1;
};

}  // namespace studio
