// A fixed set of core Models shared by the worker threads.
//
// A digits::Model is not thread-safe (it owns XNNPACK runtimes and their scratch buffers), so each
// request checks a Model out for its inference only (decoding and preprocessing need none) and
// gives it back. The server runs exactly one worker thread per Model (service.cpp), so a checkout
// finds an idle Model; were that ever not so, it would wait for one to come back.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "digits/digits.h"

namespace server {

class ModelPool {
 public:
  // Loads `count` Models from one blob (the embedded one when blob is empty).
  static digits::Result<std::unique_ptr<ModelPool>> create(const std::vector<std::uint8_t>& blob,
                                                           const digits::ModelOptions& options, int count);

  // A checked-out Model; returns itself to the pool when destroyed.
  class Lease {
   public:
    Lease(ModelPool& pool, digits::Model* model) : pool_(pool), model_(model) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.give_back(model_); }
    digits::Model& operator*() const { return *model_; }
    digits::Model* operator->() const { return model_; }

   private:
    ModelPool& pool_;
    digits::Model* model_;
  };

  Lease acquire();
  const digits::ModelInfo& info() const { return models_.front()->info(); }
  std::size_t size() const { return models_.size(); }

 private:
  ModelPool() = default;
  void give_back(digits::Model* m);

  std::vector<std::unique_ptr<digits::Model>> models_;
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<digits::Model*> idle_;
};

}  // namespace server
