#include "model_pool.h"

namespace server {

digits::Result<std::unique_ptr<ModelPool>> ModelPool::create(const std::vector<std::uint8_t>& blob,
                                                             const digits::ModelOptions& options, int count) {
  std::unique_ptr<ModelPool> pool(new ModelPool());
  for (int i = 0; i < count; ++i) {
    auto m =
        blob.empty() ? digits::Model::load_default(options) : digits::Model::load(blob.data(), blob.size(), options);
    if (!m) return digits::Error{m.error()};
    pool->models_.push_back(std::make_unique<digits::Model>(std::move(m).value()));
    pool->idle_.push_back(pool->models_.back().get());
  }
  if (pool->models_.empty()) return digits::Error{"the model pool needs at least one model"};
  return pool;
}

ModelPool::Lease ModelPool::acquire() {
  std::unique_lock<std::mutex> lock(mutex_);
  returned_.wait(lock, [&] { return !idle_.empty(); });
  digits::Model* m = idle_.back();
  idle_.pop_back();
  return Lease(*this, m);
}

void ModelPool::give_back(digits::Model* m) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(m);
  }
  returned_.notify_one();
}

}  // namespace server
