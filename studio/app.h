// Digits Studio's state, without any drawing: the models, the current input (the pad's strokes,
// a PNG, or one image of an MNIST idx file), and what core says about it. views.cpp shows it.
//
// Everything the studio shows comes from core's public API (preprocess_*_stages, predict_*,
// Model::inspect): there is no second copy of the preprocessing or the network here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "digits/digits.h"
#include "digits/idx.h"
#include "digits/png.h"

namespace studio {

// A loaded model and where it came from, for labels like "B: models/digits-int8.dgt".
struct NamedModel {
  std::string source;  // "embedded" or the blob's path
  digits::Model model;
};

// One model's answer about the current input.
struct Answer {
  digits::Prediction prediction;
  double latency_ms = 0;  // preprocessing + network, one predict_image / predict_strokes call
};

// What the studio shows about the current input.
struct Analysis {
  std::string error;                         // core refused the input (then nothing else is set)
  digits::PreprocessStages stages;           // raw ink .. the 28x28 the network saw
  Answer answer;                             // the main model ("A")
  std::optional<Answer> compare_answer;      // the second model ("B"), when one is loaded
  std::vector<digits::Model::Layer> layers;  // the main model's feature maps (empty input: none)
  // The input read as a number by the main model (read_strokes / read_image): its digits, boxes
  // and each digit's 28x28. A single digit is shown as above; the views show this from 2 digits.
  digits::Reading reading;
  std::string reading_error;  // why it could not be read as a number (e.g. over 32 digits)
};

enum class InputSource { Pad, Png, Idx };

class App {
 public:
  // model_path "" = the weights embedded in the binary.
  static digits::Result<App> create(const std::string& model_path);

  // Models. Each returns "" on success, else a message for the user; on failure nothing changes.
  std::string load_model(const std::string& path);
  std::string load_compare_model(const std::string& path);
  void drop_compare_model();
  const NamedModel& model() const { return model_; }
  const std::optional<NamedModel>& compare_model() const { return compare_; }

  // Inputs. open_file takes a PNG or an MNIST idx images file (told apart by their first bytes);
  // labels_path (idx only, optional) names the matching labels file.
  std::string open_file(const std::string& path, const std::string& labels_path = "");
  InputSource source() const { return source_; }
  const std::string& file_path() const { return file_path_; }
  bool has_file() const { return !file_path_.empty(); }
  void use_pad();
  void use_file();

  // The drawing pad, in pad pixels. A finished stroke is predicted at once.
  void begin_stroke(digits::Point p);
  void extend_stroke(digits::Point p);
  void end_stroke();
  void undo_stroke();
  void clear_pad();
  const std::vector<digits::Stroke>& strokes() const { return strokes_; }

  // idx files: which image, its label, stepping (wraps around), and finding errors.
  int image_count() const { return source_ == InputSource::Idx ? idx_.count : 1; }
  int image_index() const { return index_; }
  void step(int delta);
  void seek(int index);
  std::optional<int> label() const;  // the current idx image's label, if a labels file is loaded
  bool misclassified() const;        // label known, input not empty, main model disagrees
  // Moves to the next (direction +1) or previous (-1) image the main model gets wrong; returns
  // "" when found, else why not.
  std::string seek_misclassified(int direction);

  const Analysis& analysis() const { return analysis_; }
  // Grows by one each time the analysis is redone, so views can tell when pictures changed.
  std::uint64_t analysis_generation() const { return generation_; }

 private:
  explicit App(NamedModel model) : model_(std::move(model)) {}
  void analyse();
  Answer ask(digits::Model& model);
  digits::ImageView file_view() const;

  NamedModel model_;
  std::optional<NamedModel> compare_;
  InputSource source_ = InputSource::Pad;
  std::vector<digits::Stroke> strokes_;
  std::string file_path_;
  digits::DecodedImage png_;
  digits::IdxImages idx_;
  std::vector<std::uint8_t> labels_;
  int index_ = 0;
  Analysis analysis_;
  std::uint64_t generation_ = 0;
};

}  // namespace studio
