// Reading a number: segment.cpp's atoms to digits, with the network deciding which neighbours
// are one digit (see read_atoms). Model::read_image and Model::read_strokes (model.cpp) call it.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "digits/digits.h"
#include "grouping.h"
#include "segment_internal.h"

namespace digits {
namespace {

using detail::Atoms;

// One prediction as a batch of one.
Result<std::vector<Prediction>> one(Result<Prediction> p) {
  if (!p) return Error{p.error()};
  return std::vector<Prediction>{p.value()};
}

// Ink too wide for one digit that segmentation did not cut: cut it in two where the network
// reads the halves best (the product of their confidences, over a few of the columns crossed by
// the least ink), when that is above the whole's own confidence. In a number, only ink the
// network is unsure of: it is trained to be unsure of two touching digits (digits-train
// --touching), while it reads the halves of one wide digit — a "6" as "6" and "0" — as surely
// as two digits. Alone, the same, or when far too wide for one digit (over 1.1 heights: a pair
// the network reads as one sure digit would otherwise pass silently). Returns whether it cut any.
Result<bool> split_wide(Model& model, Atoms& a, std::vector<Prediction>& p) {
  bool split = false;
  if (a.split)
    for (std::size_t i = 0; i < a.atoms.size(); ++i) {
      if (!a.atoms[i].may_split) continue;
      const bool far_too_wide = a.atoms[i].x1 - a.atoms[i].x0 > 1.1f * a.height;
      if (!p[i].uncertain && (a.atoms.size() > 1 || !far_too_wide)) continue;
      auto cuts = a.split(a.atoms[i]);
      if (!cuts) return Error{cuts.error()};
      if (cuts.value().empty()) continue;
      std::vector<Image28> halves;
      for (const auto& [left, right] : cuts.value())
        halves.push_back(left.segment.image), halves.push_back(right.segment.image);
      auto hp = model.predict_batch(halves);
      if (!hp) return Error{hp.error()};
      const std::vector<Prediction>& h = hp.value();
      std::size_t best = 0;
      for (std::size_t k = 1; k < cuts.value().size(); ++k)
        if (h[2 * k].confidence * h[2 * k + 1].confidence > h[2 * best].confidence * h[2 * best + 1].confidence)
          best = k;
      if (h[2 * best].confidence * h[2 * best + 1].confidence <= p[i].confidence) continue;
      auto& [left, right] = cuts.value()[best];
      a.atoms[i] = std::move(left);
      a.atoms.insert(a.atoms.begin() + static_cast<long>(i) + 1, std::move(right));
      p[i] = h[2 * best];
      p.insert(p.begin() + static_cast<long>(i) + 1, h[2 * best + 1]);
      split = true;
      ++i;
    }
  return split;
}

// Candidates to join: touching, overlapping or all but (upright or as written) and no wider
// than a digit; or one of them a part of a digit — shorter than the writing's digits (a "4"'s
// bar written apart from its stem, a "5"'s flag) — near the other (up to 0.3 of a digit apart:
// some write a "4" as a hook and, a gap away, its stem) and no wider than a wide digit. (The
// network reads the bigger of two real digits joined as that digit, confidently — "1" + "2"
// reads "2" — so the product rule alone over-joins; and it reads a part scaled up to a digit's
// size confidently too — a "4"'s hook as "4" or "6", its stem as "1" — so a part joins on a
// lower bar, and a part that floats, its foot above the lowest 30 % of its neighbour, on a far
// lower one: no digit of a number stands clear above the line the others stand on.) Thresholds
// chosen on synthetic numbers of the training writers' pen digits (common/numbers.h), then
// checked on the held-out writers'; the part's reach and the floating part were found in the
// held-out writers' misreads (two writers' "4"s read "41" and "61") and left the training
// writers' numbers as they were (docs/reading-numbers.md).
struct Pair {
  bool close, part, floating;
};
Pair pair(const Atoms& a, const Atoms::Atom& left, const Atoms::Atom& right) {
  const Box &lb = left.segment.box, &rb = right.segment.box;
  const float slack = 0.1f * a.height;
  const bool overlap = right.x0 < left.x1 + slack || rb.x < lb.x + lb.width + slack;
  const float gap = std::min(rb.x - (lb.x + lb.width), right.x0 - left.x1);
  const float width = std::max(lb.x + lb.width, rb.x + rb.width) - std::min(lb.x, rb.x);
  // A "5" whose flag floats above it is taller than the writing's digits: measure by it.
  const float tall = std::max(a.height, std::max(lb.y + lb.height, rb.y + rb.height) - std::min(lb.y, rb.y));
  const bool next_to = gap < 0.15f * a.height, near = gap < 0.3f * a.height;
  // A flat stroke over the top of the other mark — a "5"'s flag, a "7"'s bar written apart —
  // can reach far past it: such a digit may be up to twice as wide as tall.
  const Box &low = lb.height < rb.height ? lb : rb, &high = lb.height < rb.height ? rb : lb;
  const bool flat_top =
      low.height < 0.3f * a.height && low.width >= 2 * low.height && low.y + low.height <= high.y + 0.3f * high.height;
  return Pair{(overlap && width < 0.85f * tall) || (next_to && width < 0.9f * tall),
              near && low.height < 0.7f * a.height && width < (flat_top ? 2.0f : 1.4f) * tall,
              detail::floats(low.y + low.height, high.y, high.height)};
}

// Whether a point or a comma stands between two atoms: then they are two digits, whatever the
// network reads of them together ("1.1" is no "4").
bool separated(const Atoms& a, const Atoms::Atom& left, const Atoms::Atom& right) {
  return std::any_of(a.separators.begin(), a.separators.end(), [&](const Atoms::Separator& s) {
    return s.x > (left.x0 + left.x1) / 2 && s.x < (right.x0 + right.x1) / 2;
  });
}

// Joins neighbours into digits, greedily from the left, so a digit of three atoms can form too
// (see Pair). Returns whether it joined any.
Result<bool> join_neighbours(Model& model, Atoms& a, std::vector<Prediction>& p) {
  bool joined_any = false;
  for (std::size_t i = 0; i + 1 < a.atoms.size();) {
    const auto &left = a.atoms[i], &right = a.atoms[i + 1];
    const Pair here = pair(a, left, right);
    if ((here.close || here.part) && !left.segment.touching && !right.segment.touching && !separated(a, left, right)) {
      auto joined = a.join(left, right);
      if (!joined) return Error{joined.error()};
      auto pjr = model.predict(joined.value().segment.image);
      if (!pjr) return Error{pjr.error()};
      const Prediction pj = pjr.value();
      // A part between two digits joins the one it reads better with: "1" and then a "4" whose
      // bar comes before its stem is "14", where joining left to right took the bar for the 1's.
      bool rather_right = false;
      if (here.part && right.segment.box.height < left.segment.box.height && i + 2 < a.atoms.size() &&
          !a.atoms[i + 2].segment.touching && !separated(a, right, a.atoms[i + 2]) &&
          pair(a, right, a.atoms[i + 2]).part) {
        auto other = a.join(right, a.atoms[i + 2]);
        if (!other) return Error{other.error()};
        auto por = model.predict(other.value().segment.image);
        if (!por) return Error{por.error()};
        const float po = por.value().confidence;
        rather_right = po > pj.confidence && po > 0.8f * p[i + 1].confidence * p[i + 2].confidence;
      }
      // Two digits of full height, one a confident "1", that joined read as the other: a "1"
      // written close to its neighbour ("17" read "7"), not a digit's stroke (a "4"'s stem
      // beside its short bar is a part, and joins as a part).
      const auto tall_one_absorbed = [&](std::size_t one, std::size_t other) {
        return p[one].digit == 1 && p[one].confidence >= 0.9f && pj.digit == p[other].digit &&
               std::min(left.segment.box.height, right.segment.box.height) >= 0.8f * a.height;
      };
      const bool keep_apart = !here.part && (tall_one_absorbed(i, i + 1) || tall_one_absorbed(i + 1, i));
      if (!rather_right && !keep_apart &&
          pj.confidence > (here.part ? (here.floating ? 0.4f : 0.8f) : 1.0f) * p[i].confidence * p[i + 1].confidence) {
        a.atoms[i] = std::move(joined.value());
        p[i] = pj;
        a.atoms.erase(a.atoms.begin() + static_cast<long>(i) + 1);
        p.erase(p.begin() + static_cast<long>(i) + 1);
        joined_any = true;
        continue;
      }
    }
    ++i;
  }
  return joined_any;
}

// The whole input as one digit, when it is no wider than a digit and reads better so (a lone
// "4" whose stem lands beside its bar): what the pad meets most often is one digit. Never with a
// point or a comma between its atoms. Returns whether it did.
Result<bool> read_whole_if_better(Model& model, Atoms& a, std::vector<Prediction>& p) {
  if (a.atoms.size() > 1 && a.separators.empty()) {
    float x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    double product = 1;
    for (std::size_t k = 0; k < a.atoms.size(); ++k) {
      const Box& b = a.atoms[k].segment.box;
      x0 = std::min(x0, b.x), x1 = std::max(x1, b.x + b.width), y0 = std::min(y0, b.y),
      y1 = std::max(y1, b.y + b.height);
      product *= p[k].confidence;
    }
    if (x1 - x0 <= 0.9f * std::max(a.height, y1 - y0)) {
      auto pwr = model.predict(a.whole.image);
      if (!pwr) return Error{pwr.error()};
      const Prediction pw = pwr.value();
      if (pw.confidence > product) {
        a.atoms.resize(1);
        p.assign(1, pw);
        return true;
      }
    }
  }
  return false;
}

}  // namespace

namespace detail {

// Atoms to digits, the network deciding at each step: wide ink cut (split_wide), neighbours that
// read better as one digit joined (join_neighbours: its confidence in the joined digit above the
// product of its confidences in the two), or the whole input taken as one digit
// (read_whole_if_better). One digit answers with the whole input, exactly as predict_* does.
Result<Reading> read_atoms(Model& model, Result<Atoms> made, const ReadOptions& read, std::size_t strokes) {
  if (!made) return Error{made.error()};
  Atoms& a = made.value();
  Reading r;
  if (a.atoms.empty()) return r;
  // Refused before any prediction is made (segmentation has found them all).
  if (a.separators.size() > static_cast<std::size_t>(read.max_digits))  // as many as digits, at most
    return Error{"found " + std::to_string(a.separators.size()) +
                 " points, commas, colons or hyphens, more than the limit of " + std::to_string(read.max_digits)};
  std::vector<Image28> images;
  for (const auto& atom : a.atoms) images.push_back(atom.segment.image);
  // One digit alone is the whole input: predict it once, as predict_* does.
  auto first = a.one_digit(images.size()) ? one(model.predict(a.whole.image)) : model.predict_batch(images);
  if (!first) return Error{first.error()};
  std::vector<Prediction> p = std::move(first.value());
  bool whole_predicted = a.one_digit(images.size());
  auto split = split_wide(model, a, p);
  if (!split) return Error{split.error()};
  if (split.value()) whole_predicted = false;
  auto joined = join_neighbours(model, a, p);
  if (!joined) return Error{joined.error()};
  auto one_digit = read_whole_if_better(model, a, p);
  if (!one_digit) return Error{one_digit.error()};
  if (one_digit.value()) whole_predicted = true;
  if (a.atoms.size() > static_cast<std::size_t>(read.max_digits))
    return too_many_digits(a.atoms.size(), read.max_digits);
  if (a.one_digit(a.atoms.size())) {  // the whole input, exactly as predict_* reads it
    auto& seg = a.atoms[0].segment;
    seg.image = a.whole.image;
    seg.touching = false;  // a wide digit alone is just a wide digit
    seg.strokes.resize(strokes);
    for (std::size_t s = 0; s < strokes; ++s) seg.strokes[s] = static_cast<int>(s);
    if (!whole_predicted) {  // atoms joined into one: the whole's answer
      auto whole = model.predict(seg.image);
      if (!whole) return Error{whole.error()};
      p[0] = whole.value();
    }
  }
  r.empty = false;
  // Each separator (segmentation lists them left to right) after the digits left of it, a minus
  // sign or a decimal point before the first (after = -1); any other before the first digit or
  // after the last (their neighbour's ink did not make a digit) is left out.
  for (const auto& s : a.separators) {
    const auto left =
        std::count_if(a.atoms.begin(), a.atoms.end(), [&](const Atoms::Atom& at) { return (at.x0 + at.x1) / 2 < s.x; });
    if ((left >= 1 || s.symbol == '-' || s.symbol == '.') && static_cast<std::size_t>(left) < a.atoms.size())
      r.separators.push_back({s.symbol, s.box, static_cast<int>(left) - 1});
  }
  auto sep = r.separators.begin();
  for (; sep != r.separators.end() && sep->after < 0; ++sep) r.text += sep->symbol;
  for (std::size_t i = 0; i < a.atoms.size(); ++i) {
    auto& seg = a.atoms[i].segment;
    ReadDigit d{p[i], seg.box, std::move(seg.strokes), seg.touching, seg.image};
    if (d.touching) d.prediction.uncertain = true;
    r.text += static_cast<char>('0' + d.prediction.digit);
    for (; sep != r.separators.end() && sep->after == static_cast<int>(i); ++sep) r.text += sep->symbol;
    r.digits.push_back(std::move(d));
  }
  return r;
}

}  // namespace detail
}  // namespace digits
