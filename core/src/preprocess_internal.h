// Internal pieces of preprocessing, shared by preprocess.cpp and the tests.
#pragma once

#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "digits/digits.h"

namespace digits {
namespace detail {

// std::allocator that leaves elements default-initialised (floats: not zeroed) when a vector is
// sized without a value, so a plane that is about to be overwritten is not cleared first.
template <class T>
struct NoInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = NoInitAllocator<U>;
  };
  NoInitAllocator() = default;
  template <class U>
  NoInitAllocator(const NoInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

// A float image: 0 = paper, 1 = full ink.
struct Plane {
  struct Uninitialised {};
  Plane(int w, int h);                 // all paper (0)
  Plane(int w, int h, Uninitialised);  // values undefined: for planes that are written in full
  float& at(int x, int y) { return v[static_cast<size_t>(y) * w + x]; }
  float at(int x, int y) const { return v[static_cast<size_t>(y) * w + x]; }
  int w, h;
  std::vector<float, NoInitAllocator<float>> v;
};

// The ink of a w x h picture, stored only over a window that holds all of it: pixel (x, y) of
// the picture is win.at(x - x0, y - y0) inside the window and paper (0) everywhere else. An image
// drawn on a large canvas mostly is paper, so the window is much smaller than the picture.
struct InkPlane {
  int w = 0, h = 0;
  int x0 = 0, y0 = 0;
  Plane win{0, 0};
  Plane full() const;  // the whole picture
};

// One step of grey-scale dilation (grow) or erosion over a 3x3 square or, if !square, a cross.
Plane morph_step(const Plane& p, bool grow, bool square);

Result<InkPlane> ink_plane(const ImageView& image, const PreprocessOptions& options);
Result<Plane> stroke_plane(const std::vector<Stroke>& strokes, const PreprocessOptions& options);
// When `stages` is given, also copies each intermediate picture into it (for the studio); the
// result is the same either way.
Result<Preprocessed> normalize(const Plane& ink, const PreprocessOptions& options, PreprocessStages* stages = nullptr);
Result<Preprocessed> normalize(const InkPlane& ink, const PreprocessOptions& options,
                               PreprocessStages* stages = nullptr);

}  // namespace detail
}  // namespace digits
