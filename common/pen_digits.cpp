#include "pen_digits.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace pen {

const std::vector<std::string>& held_out_sources() {
  static const std::vector<std::string> sources = {"apa", "val"};
  return sources;
}

bool is_held_out(const Sample& s) {
  const auto& h = held_out_sources();
  return std::find(h.begin(), h.end(), s.source) != h.end();
}

digits::Result<std::vector<Sample>> parse(const std::uint8_t* data, std::size_t size, const Limits& limits) {
  using nlohmann::json;
  json doc = json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return digits::Error{"pen digits: not valid JSON"};
  if (!doc.is_array()) return digits::Error{"pen digits: expected a JSON array of samples"};
  if (doc.size() > limits.max_samples)
    return digits::Error{"pen digits: " + std::to_string(doc.size()) + " samples, more than the limit of " +
                         std::to_string(limits.max_samples)};
  std::vector<Sample> out;
  out.reserve(doc.size());
  for (std::size_t i = 0; i < doc.size(); ++i) {
    const json& e = doc[i];
    auto bad = [&](const std::string& what) {
      return digits::Error{"pen digits: sample " + std::to_string(i) + ": " + what};
    };
    if (!e.is_object()) return bad("not an object");
    auto label = e.find("label");
    auto writer = e.find("writer");
    auto strokes = e.find("strokes");
    if (label == e.end() || !label->is_number_integer() || label->get<int>() < 0 || label->get<int>() > 9)
      return bad("\"label\" must be an integer 0-9");
    if (writer == e.end() || !writer->is_string()) return bad("\"writer\" must be a string");
    if (strokes == e.end() || !strokes->is_array()) return bad("\"strokes\" must be an array");
    std::size_t points = 0;
    for (const json& s : *strokes) {
      if (!s.is_array()) return bad("a stroke must be an array of points");
      points += s.size();
    }
    if (points > limits.max_points) return bad("more than " + std::to_string(limits.max_points) + " points");
    Sample sample;
    sample.label = label->get<int>();
    sample.writer = writer->get<std::string>();
    sample.source = sample.writer.substr(0, sample.writer.find('/'));
    sample.strokes.reserve(strokes->size());
    for (const json& s : *strokes) {
      digits::Stroke stroke;
      stroke.reserve(s.size());
      for (const json& p : s) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number())
          return bad("a point must be [x, y]");
        stroke.push_back({p[0].get<float>(), p[1].get<float>()});
      }
      sample.strokes.push_back(std::move(stroke));
    }
    out.push_back(std::move(sample));
  }
  return out;
}

Sample sparser(const Sample& s, int every) {
  Sample out = s;
  if (every <= 1) return out;
  for (auto& stroke : out.strokes) {
    digits::Stroke kept;
    for (std::size_t i = 0; i < stroke.size(); ++i)
      if (i % static_cast<std::size_t>(every) == 0 || i + 1 == stroke.size()) kept.push_back(stroke[i]);
    stroke = std::move(kept);
  }
  return out;
}

namespace {
// Every sample changed by `change`, in order.
template <class Change>
std::vector<Sample> each(const std::vector<Sample>& samples, Change change) {
  std::vector<Sample> out;
  out.reserve(samples.size());
  for (const auto& s : samples) out.push_back(change(s));
  return out;
}
}  // namespace

std::vector<Sample> sparser(const std::vector<Sample>& samples, int every) {
  return each(samples, [every](const Sample& s) { return sparser(s, every); });
}

Sample turned(const Sample& s, double degrees) {
  Sample out = s;
  const Bounds b(s.strokes);
  const double a = degrees * M_PI / 180, c = std::cos(a), sn = std::sin(a);
  const double cx = (double(b.x0) + b.x1) / 2, cy = (double(b.y0) + b.y1) / 2;
  for (auto& stroke : out.strokes)
    for (auto& p : stroke) {
      const double x = p.x - cx, y = p.y - cy;
      p = {static_cast<float>(cx + c * x - sn * y), static_cast<float>(cy + sn * x + c * y)};
    }
  return out;
}

std::vector<Sample> turned(const std::vector<Sample>& samples, double degrees) {
  return each(samples, [degrees](const Sample& s) { return turned(s, degrees); });
}

bool looks_missegmented(const Sample& s) {
  if (s.label != 0) return false;
  const Bounds b(s.strokes);
  return b.x1 - b.x0 > 2 * (b.y1 - b.y0);
}

const char* ink_name(Ink ink) {
  switch (ink) {
    case Ink::DarkOnLight:
      return "dark-on-light";
    case Ink::LightOnDark:
      return "light-on-dark";
    case Ink::OnTransparent:
      return "on-transparent";
  }
  return "?";
}

digits::Result<std::vector<std::uint8_t>> render_png(const std::vector<digits::Stroke>& strokes,
                                                     const RenderStyle& style) {
  if (style.side < 8 || style.side > 4096) return digits::Error{"render_png: side must be 8..4096 pixels"};
  const Bounds b(strokes);
  const float extent = std::max(b.x1 - b.x0, b.y1 - b.y0);
  if (!(extent > 0) || !std::isfinite(extent)) return digits::Error{"render_png: the strokes have no extent"};

  const bool alpha = style.ink == Ink::OnTransparent;
  cairo_surface_t* surface =
      cairo_image_surface_create(alpha ? CAIRO_FORMAT_ARGB32 : CAIRO_FORMAT_RGB24, style.side, style.side);
  cairo_t* cr = cairo_create(surface);
  const double side = style.side;
  if (!alpha) {
    const double paper = style.ink == Ink::DarkOnLight ? 1.0 : 0.0;
    cairo_set_source_rgb(cr, paper, paper, paper);
    cairo_paint(cr);
  }
  if (style.ink == Ink::DarkOnLight)
    cairo_set_source_rgb(cr, 0.05, 0.05, 0.1);
  else if (style.ink == Ink::LightOnDark)
    cairo_set_source_rgb(cr, 0.95, 0.95, 0.95);
  else
    cairo_set_source_rgba(cr, 0.1, 0.2, 0.6, 1.0);
  cairo_set_line_width(cr, style.pen * side);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  const double k = style.extent * side / extent;
  const double cx = side * (0.5 + style.dx) - (b.x0 + b.x1) / 2 * k;
  const double cy = side * (0.5 + style.dy) - (b.y0 + b.y1) / 2 * k;
  for (const auto& st : strokes) {
    if (st.empty()) continue;
    cairo_move_to(cr, cx + st[0].x * k, cy + st[0].y * k);
    if (st.size() == 1) cairo_line_to(cr, cx + st[0].x * k, cy + st[0].y * k);  // a dot
    for (std::size_t i = 1; i < st.size(); ++i) cairo_line_to(cr, cx + st[i].x * k, cy + st[i].y * k);
    cairo_stroke(cr);
  }
  cairo_destroy(cr);
  std::vector<std::uint8_t> png;
  auto write = [](void* closure, const unsigned char* data, unsigned int length) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(closure);
    out->insert(out->end(), data, data + length);
    return CAIRO_STATUS_SUCCESS;
  };
  const cairo_status_t status = cairo_surface_write_to_png_stream(surface, write, &png);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS)
    return digits::Error{std::string("render_png: cairo_surface_write_to_png_stream: ") +
                         cairo_status_to_string(status)};
  return png;
}

}  // namespace pen
