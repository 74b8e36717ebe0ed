#include "digits/digits.h"

namespace digits {

Result<Model> Model::load_default(const ModelOptions& options) {
  auto blob = default_model_blob();
  return load(blob.first, blob.second, options);
}

}  // namespace digits
