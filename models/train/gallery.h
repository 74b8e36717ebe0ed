// Pictures of 28x28 inputs as the network saw them, for the model card and for judging the
// augmentation by eye.
#pragma once

#include <string>
#include <vector>

#include "digits/digits.h"

namespace train {

// A picture of what still fails: each misread validation digit as the network saw it (28x28,
// doubled), with its label, the answer and its confidence.
// At most 120 images, 12 a row; a failure to write is reported, not fatal.
void write_gallery(const std::string& path, const std::vector<digits::Image28>& images,
                   const std::vector<std::string>& captions);

}  // namespace train
