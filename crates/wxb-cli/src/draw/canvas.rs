//! The PNG canvas every picture draws on: plotters' bitmap backend with its text drawn here.
//!
//! plotters 0.3.7 draws each glyph of a text with its ink box's left edge at the pen position
//! (`ab_glyph`'s `px_bounds().min.x` is dropped), so a glyph's left side bearing is lost: narrow
//! letters slide left and gaps open after them ("ep och", "accurac y", "0.061 86"). [`Canvas`]
//! draws text the way the font says — each glyph at the pen plus its bearing, the pen advanced by
//! the glyph's advance and kerning — and passes every other call to the bitmap backend.

use std::path::Path;

use ab_glyph::{Font, FontRef, ScaleFont};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind, FontStyle as BackendFontStyle,
};

/// The bitmap backend with correct text.
pub struct Canvas<'a>(BitMapBackend<'a>);

/// A PNG of `size` pixels at `path`, written by `present()`.
pub fn png(path: &Path, size: (u32, u32)) -> DrawingArea<Canvas<'_>, Shift> {
    crate::plot::init_fonts();
    Canvas(BitMapBackend::new(path, size)).into_drawing_area()
}

/// The embedded DejaVu Sans face of a style (bold, or regular for every other style).
fn face(style: BackendFontStyle) -> FontRef<'static> {
    let bytes = match style {
        BackendFontStyle::Bold => dejavu::sans::bold(),
        _ => dejavu::sans::regular(),
    };
    FontRef::try_from_slice(bytes).unwrap_or_else(|_| panic!("the embedded DejaVu Sans font is valid"))
}

/// Each pixel of `text` in `size`-pixel DejaVu Sans, with the pen starting at `(0, 0)`: `(x, y,
/// coverage)`, `y` measured as plotters does (the baseline at `size / 2` below the top).
fn glyph_pixels(text: &str, size: f32, style: BackendFontStyle) -> Vec<(i32, i32, f32)> {
    let face = face(style);
    let font = face.as_scaled(size);
    let mut pixels = Vec::new();
    let mut pen = 0f32;
    let mut previous = None;
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = previous {
            pen += font.kern(p, id);
        }
        previous = Some(id);
        let glyph = id.with_scale_and_position(size, ab_glyph::point(pen, 0.0));
        if let Some(outline) = font.outline_glyph(glyph) {
            let bounds = outline.px_bounds();
            // floor, not `as` (which truncates toward zero): a glyph whose top lies just above the
            // baseline offset and one just below would land a pixel apart ("u" beside "n").
            let (x0, y0) = (bounds.min.x.floor() as i32, (size / 2.0 + bounds.min.y).floor() as i32);
            outline.draw(|x, y, coverage| pixels.push((x0 + x as i32, y0 + y as i32, coverage)));
        }
        pen += font.h_advance(id);
    }
    pixels
}

impl DrawingBackend for Canvas<'_> {
    type ErrorType = <BitMapBackend<'static> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }

    /// plotters' own placement (the layout box anchored at `pos`, then rotated), with the glyphs of
    /// [`glyph_pixels`].
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) =
            style.layout_box(text).map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (w, h) = self.get_size();
        for (x, y, coverage) in glyph_pixels(text, style.size() as f32, style.style()) {
            let (x, y) = transform.transform(x + dx - min_x, y + dy - min_y);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                let alpha = color.alpha * f64::from(coverage.clamp(0.0, 1.0));
                self.0.draw_pixel((x, y), BackendColor { alpha, rgb: color.rgb })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns holding ink, as runs `[start, end)`.
    fn ink_runs(text: &str) -> Vec<(i32, i32)> {
        let mut columns: Vec<i32> =
            glyph_pixels(text, 20.0, BackendFontStyle::Normal).iter().filter(|p| p.2 > 0.3).map(|p| p.0).collect();
        columns.sort_unstable();
        columns.dedup();
        let mut runs: Vec<(i32, i32)> = Vec::new();
        for c in columns {
            match runs.last_mut() {
                Some(r) if r.1 == c => r.1 = c + 1,
                _ => runs.push((c, c + 1)),
            }
        }
        runs
    }

    #[test]
    fn letters_keep_their_side_bearings() {
        // "il": with the bearings kept, the gap between i and l is that of the font (a few pixels
        // at 20 px), never the ink boxes pushed against the pen.
        let runs = ink_runs("il");
        assert_eq!(runs.len(), 2, "{runs:?}");
        let gap = runs[1].0 - runs[0].1;
        assert!((2..=5).contains(&gap), "gap {gap} in {runs:?}");
        // The first glyph starts at its left side bearing (> 0 for "i"), not at the pen (0).
        assert!(runs[0].0 >= 1, "{runs:?}");
    }
}
