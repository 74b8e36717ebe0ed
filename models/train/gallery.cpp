#include "gallery.h"

#include <cairo.h>

#include <algorithm>
#include <iostream>

namespace train {

void write_gallery(const std::string& path, const std::vector<digits::Image28>& images,
                   const std::vector<std::string>& captions) {
  const int cols = 12, cell = 64, n = static_cast<int>(std::min<size_t>(images.size(), 120));
  const int rows = std::max(1, (n + cols - 1) / cols);
  cairo_surface_t* surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, cols * cell, rows * (cell + 14));
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 10);
  for (int i = 0; i < n; ++i) {
    const int x = (i % cols) * cell, y = (i / cols) * (cell + 14);
    for (int py = 0; py < 28; ++py)
      for (int px = 0; px < 28; ++px) {
        const double v = 1 - images[i][py * 28 + px];
        cairo_set_source_rgb(cr, v, v, v);
        cairo_rectangle(cr, x + 4 + 2 * px, y + 2 + 2 * py, 2, 2);
        cairo_fill(cr);
      }
    cairo_set_source_rgb(cr, 0.75, 0.1, 0.1);
    cairo_move_to(cr, x + 4, y + cell + 8);
    cairo_show_text(cr, captions[i].c_str());
  }
  cairo_destroy(cr);
  const cairo_status_t st = cairo_surface_write_to_png(surface, path.c_str());
  cairo_surface_destroy(surface);
  if (st != CAIRO_STATUS_SUCCESS)
    std::cerr << "digits-train: cannot write " << path << ": " << cairo_status_to_string(st) << "\n";
}

}  // namespace train
