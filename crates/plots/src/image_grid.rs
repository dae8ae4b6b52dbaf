//! A grid of small images (samples, or x_n and D(x_n) along trajectories)
//! written as one PNG: the visual strips of diffusion papers. Pixels are
//! copied, not drawn, so every image keeps its exact values up to the 8-bit
//! quantisation; only the optional labels go through the font.

use std::path::{Path, PathBuf};

use plotters::prelude::{BitMapBackend, DrawingBackend, IntoFont, TextStyle};
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::font::{self, FAMILY};
use crate::{PlotError, output};

/// Pixels between neighbouring cells and around the outside.
const GAP: usize = 2;
/// Largest label font size; smaller cells get smaller text.
const LABEL_SIZE: usize = 14;
/// Background (gaps, margins, empty cells) and label colour.
const BACKGROUND: u8 = 255;
/// Guards against a typo turning into gigabytes of pixels.
const MAX_PIXELS: usize = 1 << 26;

/// How to lay out `images` in `image_grid`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImageGrid {
    /// [channels, height, width] of every image, stored channel-major (CHW,
    /// as CIFAR and the data sets' rows are); 1 channel is grey, 3 are RGB.
    pub shape: [usize; 3],
    /// Images per row, filled left to right; the last row may be short.
    pub cols: usize,
    /// Every image is enlarged by this integer factor (nearest neighbour).
    pub scale: usize,
    /// Values mapped linearly onto 0..=255, clamped outside (NaN is black).
    pub range: (f32, f32),
    /// Empty, or one label per row, drawn in a margin on the left.
    pub row_labels: Vec<String>,
    /// Empty, or one label per column, drawn in a margin on top.
    pub col_labels: Vec<String>,
}

/// Writes `images` as a grid to `{stem}.png` (creating the parent directory,
/// through a temporary sibling renamed into place) and returns its path.
///
/// Cells are `scale * width` by `scale * height` pixels with a 2-pixel white
/// gap between and around them. Everything is checked before a file is
/// touched: no images, a shape other than 1 or 3 channels of a non-empty
/// height and width, zero `cols` or `scale`, an image of the wrong length,
/// a range that is not finite and increasing, a label count that does not
/// match the rows or columns, or a grid over 2^26 pixels are
/// `PlotError::Data`, naming what was expected.
pub fn image_grid(stem: &Path, images: &[&[f32]], grid: &ImageGrid) -> Result<PathBuf, PlotError> {
    let layout = Layout::new(images, grid)?;
    let png = output::with_suffix(stem, ".png")?;
    output::create_parent(&png)?;
    let pixels = layout.compose(images, grid);

    let tmp = output::TempFile::beside(&png);
    {
        let size = (layout.width as u32, layout.height as u32);
        let mut backend = BitMapBackend::new(&tmp.path, size);
        let fail = |e: String| PlotError::draw(&png, e);
        backend
            .blit_bitmap((0, 0), size, &pixels)
            .map_err(|e| fail(e.to_string()))?;
        let style = TextStyle::from((FAMILY, layout.font_size as f64).into_font());
        for (r, label) in grid.row_labels.iter().enumerate() {
            let pos = (GAP as i32, (layout.cell_y(r) + layout.cell_h / 2) as i32);
            let style = style.pos(Pos::new(HPos::Left, VPos::Center));
            backend
                .draw_text(label, &style, pos)
                .map_err(|e| fail(e.to_string()))?;
        }
        for (c, label) in grid.col_labels.iter().enumerate() {
            let pos = (
                (layout.cell_x(c) + layout.cell_w / 2) as i32,
                (layout.top / 2) as i32,
            );
            let style = style.pos(Pos::new(HPos::Center, VPos::Center));
            backend
                .draw_text(label, &style, pos)
                .map_err(|e| fail(e.to_string()))?;
        }
        // present() encodes and saves; dropping the backend would swallow errors.
        backend.present().map_err(|e| fail(e.to_string()))?;
    }
    tmp.commit()
}

/// Pixel geometry of a checked grid.
#[derive(Debug)]
pub(crate) struct Layout {
    pub width: usize,
    pub height: usize,
    pub cell_w: usize,
    pub cell_h: usize,
    /// Label margins (0 without labels).
    pub left: usize,
    pub top: usize,
    pub font_size: usize,
}

impl Layout {
    pub(crate) fn new(images: &[&[f32]], grid: &ImageGrid) -> Result<Layout, PlotError> {
        let bad = |m: String| Err(PlotError::Data(format!("image grid: {m}")));
        let [c, h, w] = grid.shape;
        if !(c == 1 || c == 3) || h == 0 || w == 0 {
            return bad(format!(
                "expected a shape [channels, height, width] with 1 or 3 channels and \
                 non-zero height and width, got {:?}",
                grid.shape
            ));
        }
        if images.is_empty() {
            return bad("expected at least one image, got none".into());
        }
        if grid.cols == 0 {
            return bad("expected cols >= 1, got 0".into());
        }
        if grid.scale == 0 {
            return bad("expected scale >= 1, got 0".into());
        }
        let (lo, hi) = grid.range;
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return bad(format!("expected a finite range lo < hi, got ({lo}, {hi})"));
        }
        let d = c * h * w;
        if let Some((i, im)) = images.iter().enumerate().find(|(_, im)| im.len() != d) {
            return bad(format!(
                "image {i}: expected {d} values (shape {:?}), got {}",
                grid.shape,
                im.len()
            ));
        }
        let cols = grid.cols.min(images.len());
        let rows = images.len().div_ceil(cols);
        for (what, labels, want) in [
            ("row", &grid.row_labels, rows),
            ("column", &grid.col_labels, cols),
        ] {
            if !labels.is_empty() && labels.len() != want {
                return bad(format!(
                    "expected no {what} labels or {want} (one per {what}), got {}",
                    labels.len()
                ));
            }
        }
        let too_big = || {
            PlotError::Data(format!(
                "image grid: expected at most {MAX_PIXELS} pixels, {} images of {h}x{w} \
                 at scale {} are more",
                images.len(),
                grid.scale
            ))
        };
        let cell_w = w.checked_mul(grid.scale).ok_or_else(too_big)?;
        let cell_h = h.checked_mul(grid.scale).ok_or_else(too_big)?;
        // Text no taller than a cell, so row labels never overlap.
        let font_size = LABEL_SIZE.min(cell_h).max(6);
        let (left, top) = if grid.row_labels.is_empty() && grid.col_labels.is_empty() {
            (0, 0)
        } else {
            font::ensure_registered().map_err(PlotError::Data)?;
            let font = (FAMILY, font_size as f64).into_font();
            let mut widest = 0;
            for l in &grid.row_labels {
                let (w, _) = font
                    .box_size(l)
                    .map_err(|e| PlotError::Data(format!("label {l:?}: {e}")))?;
                widest = widest.max(w as usize);
            }
            let left = if grid.row_labels.is_empty() {
                0
            } else {
                widest + 2 * GAP
            };
            let top = if grid.col_labels.is_empty() {
                0
            } else {
                font_size + 2 * GAP
            };
            (left, top)
        };
        let span = |n: usize, cell: usize| {
            cell.checked_add(GAP)
                .and_then(|s| s.checked_mul(n))
                .and_then(|s| s.checked_add(GAP))
        };
        let width = span(cols, cell_w)
            .and_then(|s| s.checked_add(left))
            .ok_or_else(too_big)?;
        let height = span(rows, cell_h)
            .and_then(|s| s.checked_add(top))
            .ok_or_else(too_big)?;
        if width.checked_mul(height).is_none_or(|p| p > MAX_PIXELS) {
            return Err(too_big());
        }
        Ok(Layout {
            width,
            height,
            cell_w,
            cell_h,
            left,
            top,
            font_size,
        })
    }

    pub(crate) fn cell_x(&self, col: usize) -> usize {
        self.left + GAP + col * (self.cell_w + GAP)
    }

    pub(crate) fn cell_y(&self, row: usize) -> usize {
        self.top + GAP + row * (self.cell_h + GAP)
    }

    /// The RGB buffer (row-major, 3 bytes a pixel) of a checked grid.
    pub(crate) fn compose(&self, images: &[&[f32]], grid: &ImageGrid) -> Vec<u8> {
        let [c, h, w] = grid.shape;
        let cols = grid.cols.min(images.len());
        let s = grid.scale;
        let (lo, hi) = grid.range;
        let to_byte = |v: f32| ((v - lo) / (hi - lo) * 255.0).round().clamp(0.0, 255.0) as u8;
        let mut buf = vec![BACKGROUND; self.width * self.height * 3];
        for (i, im) in images.iter().enumerate() {
            let (x0, y0) = (self.cell_x(i % cols), self.cell_y(i / cols));
            for y in 0..h * s {
                let row = (y0 + y) * self.width;
                for x in 0..w * s {
                    let at = (y / s) * w + x / s;
                    let px = &mut buf[(row + x0 + x) * 3..][..3];
                    for (k, p) in px.iter_mut().enumerate() {
                        // Grey repeats its one plane; RGB planes are h*w apart.
                        let plane = if c == 1 { 0 } else { k };
                        *p = to_byte(im[plane * h * w + at]);
                    }
                }
            }
        }
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use tempfile::tempdir;

    fn grid(shape: [usize; 3], cols: usize, scale: usize) -> ImageGrid {
        ImageGrid {
            shape,
            cols,
            scale,
            range: (-1.0, 1.0),
            ..ImageGrid::default()
        }
    }

    /// Width and height from the IHDR chunk, after checking the signature.
    fn png_size(path: &Path) -> (u32, u32) {
        let b = fs::read(path).unwrap();
        assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&b[12..16], b"IHDR");
        let be = |i: usize| u32::from_be_bytes(b[i..i + 4].try_into().unwrap());
        (be(16), be(20))
    }

    fn pixel(buf: &[u8], width: usize, x: usize, y: usize) -> [u8; 3] {
        buf[(y * width + x) * 3..][..3].try_into().unwrap()
    }

    #[test]
    fn grey_two_by_two_maps_values_and_scales_by_nearest() {
        // Four 1x2 images: [left, right] values.
        let ims: Vec<Vec<f32>> = vec![
            vec![-1.0, 1.0],
            vec![0.0, 5.0],
            vec![-3.0, f32::NAN],
            vec![0.5, -0.5],
        ];
        let refs: Vec<&[f32]> = ims.iter().map(|v| v.as_slice()).collect();
        let g = grid([1, 1, 2], 2, 3);
        let l = Layout::new(&refs, &g).unwrap();
        // Cells 6x3, gaps of 2 between and around: 2 + 2 * (6 + 2).
        assert_eq!((l.width, l.height), (18, 12));
        let buf = l.compose(&refs, &g);
        let want = |v: u8| [v, v, v];
        // Image 0 at (2, 2): left half black, right half white, 3x3 each.
        for y in 2..5 {
            assert_eq!(pixel(&buf, 18, 2, y), want(0));
            assert_eq!(pixel(&buf, 18, 4, y), want(0));
            assert_eq!(pixel(&buf, 18, 5, y), want(255));
            assert_eq!(pixel(&buf, 18, 7, y), want(255));
        }
        // Image 1 at (10, 2): 0 -> mid grey, 5 clamps to white.
        assert_eq!(pixel(&buf, 18, 10, 2), want(128));
        assert_eq!(pixel(&buf, 18, 13, 4), want(255));
        // Image 2 at (2, 7): -3 clamps to black, NaN is black.
        assert_eq!(pixel(&buf, 18, 2, 7), want(0));
        assert_eq!(pixel(&buf, 18, 7, 9), want(0));
        // Image 3 at (10, 7): 0.5 -> 191, -0.5 -> 64.
        assert_eq!(pixel(&buf, 18, 10, 7), want(191));
        assert_eq!(pixel(&buf, 18, 15, 9), want(64));
        // Gaps stay white.
        assert_eq!(pixel(&buf, 18, 0, 0), want(255));
        assert_eq!(pixel(&buf, 18, 8, 3), want(255));
        assert_eq!(pixel(&buf, 18, 3, 5), want(255));

        let tmp = tempdir().unwrap();
        let dir = tmp.path();
        let path = image_grid(&dir.join("grid"), &refs, &g).unwrap();
        assert_eq!(path, dir.join("grid.png"));
        assert_eq!(png_size(&path), (18, 12));
        // Only the target is left behind, no temporary sibling.
        assert_eq!(fs::read_dir(dir).unwrap().count(), 1);
    }

    #[test]
    fn rgb_reads_planes_channel_major_and_leaves_a_short_last_row_empty() {
        // 2x1 RGB images (CHW): pixel 0 then pixel 1 within each plane.
        let red_green = [1.0, -1.0, /* G */ -1.0, 1.0, /* B */ -1.0, -1.0];
        let blue_grey = [-1.0, 0.0, -1.0, 0.0, 1.0, 0.0];
        let a: &[f32] = &red_green;
        let b: &[f32] = &blue_grey;
        let refs = [a, b, a];
        let g = grid([3, 2, 1], 2, 1);
        let l = Layout::new(&refs, &g).unwrap();
        // Cells 1x2: width 2 + 2 * 3, height 2 + 2 * 4.
        assert_eq!((l.width, l.height), (8, 10));
        let buf = l.compose(&refs, &g);
        assert_eq!(pixel(&buf, 8, 2, 2), [255, 0, 0]);
        assert_eq!(pixel(&buf, 8, 2, 3), [0, 255, 0]);
        assert_eq!(pixel(&buf, 8, 5, 2), [0, 0, 255]);
        assert_eq!(pixel(&buf, 8, 5, 3), [128, 128, 128]);
        assert_eq!(pixel(&buf, 8, 2, 6), [255, 0, 0]);
        // The fourth cell (row 1, column 1) is background.
        assert_eq!(pixel(&buf, 8, 5, 6), [255, 255, 255]);
        assert_eq!(pixel(&buf, 8, 5, 7), [255, 255, 255]);

        let tmp = tempdir().unwrap();
        let dir = tmp.path();
        let path = image_grid(&dir.join("grid.v2"), &refs, &g).unwrap();
        assert_eq!(path, dir.join("grid.v2.png"));
        assert_eq!(png_size(&path), (8, 10));
    }

    #[test]
    fn labels_widen_the_margins_and_render() {
        let im = [0.0f32; 16 * 16];
        let refs = [&im[..]; 4];
        let g = ImageGrid {
            row_labels: vec!["x_n".into(), "D(x_n)".into()],
            col_labels: vec!["80".into(), "0.002".into()],
            ..grid([1, 16, 16], 2, 2)
        };
        let l = Layout::new(&refs, &g).unwrap();
        // "D(x_n)" is wider than "x_n"; both fit in the margin.
        assert!(l.left > 30 && l.top > 10, "{l:?}");
        assert_eq!(l.width, l.left + 2 + 2 * 34);
        let tmp = tempdir().unwrap();
        let dir = tmp.path();
        let path = image_grid(&dir.join("grid"), &refs, &g).unwrap();
        assert_eq!(
            png_size(&path),
            (l.width as u32, l.height as u32),
            "the file has the laid-out size"
        );
    }

    #[test]
    fn bad_input_is_an_error_naming_what_was_expected() {
        let im = [0.0f32; 4];
        let short = [0.0f32; 3];
        let tmp = tempdir().unwrap();
        // A directory that does not exist yet: a failed write must not create it.
        let dir = tmp.path().join("out");
        let err = |images: &[&[f32]], g: ImageGrid| {
            let e = image_grid(&dir.join("bad"), images, &g).unwrap_err();
            assert!(matches!(e, PlotError::Data(_)), "{e:?}");
            e.to_string()
        };
        let e = err(&[&im[..], &short[..]], grid([1, 2, 2], 2, 1));
        assert!(
            e.contains("image 1: expected 4 values") && e.contains("got 3"),
            "{e}"
        );
        let e = err(&[&im], grid([1, 2, 2], 0, 1));
        assert!(e.contains("expected cols >= 1, got 0"), "{e}");
        let e = err(&[&im], grid([1, 2, 2], 1, 0));
        assert!(e.contains("expected scale >= 1"), "{e}");
        let e = err(&[&im], grid([2, 1, 2], 1, 1));
        assert!(
            e.contains("1 or 3 channels") && e.contains("[2, 1, 2]"),
            "{e}"
        );
        let e = err(&[], grid([1, 2, 2], 1, 1));
        assert!(e.contains("at least one image"), "{e}");
        let e = err(
            &[&im],
            ImageGrid {
                range: (1.0, 1.0),
                ..grid([1, 2, 2], 1, 1)
            },
        );
        assert!(e.contains("lo < hi"), "{e}");
        let e = err(
            &[&im, &im, &im],
            ImageGrid {
                row_labels: vec!["one".into()],
                ..grid([1, 2, 2], 2, 1)
            },
        );
        assert!(e.contains("expected no row labels or 2"), "{e}");
        let e = err(&[&im], grid([1, 2, 2], 1, 1 << 20));
        assert!(e.contains("pixels"), "{e}");
        // Nothing was written, not even the directory.
        assert!(!dir.exists());
    }
}
