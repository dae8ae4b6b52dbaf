//! A small built-in image set needing no files: 16x16 grayscale images of
//! four shape classes, for quick image-domain experiments and tests.

use crate::dataset::Dataset;
use crate::rng::Stream;
use rayon::prelude::*;

pub const SHAPES_SIDE: usize = 16;
pub const SHAPES_CLASSES: usize = 4;
/// Class names by label.
pub const SHAPES_CLASS_NAMES: [&str; SHAPES_CLASSES] = ["disc", "square", "plus", "stripes"];

const SHAPES_SEED: u64 = 0x5348_4150_4553_3136;
/// Sub-samples per pixel side: edges are anti-aliased by area coverage so
/// the images are not pure binary masks.
const SUPER: usize = 4;

/// Geometry of one item, drawn from its stream.
enum Shape {
    Disc {
        cx: f64,
        cy: f64,
        r: f64,
    },
    Square {
        cx: f64,
        cy: f64,
        h: f64,
    },
    Plus {
        cx: f64,
        cy: f64,
        arm: f64,
        w: f64,
    },
    Stripes {
        horizontal: bool,
        period: f64,
        phase: f64,
    },
}

impl Shape {
    fn draw(class: usize, s: &mut Stream) -> Shape {
        let side = SHAPES_SIDE as f64;
        let mut between = |lo: f64, hi: f64| lo + (hi - lo) * s.uniform();
        match class {
            0 => {
                let r = between(2.5, 6.0);
                Shape::Disc {
                    cx: between(r, side - r),
                    cy: between(r, side - r),
                    r,
                }
            }
            1 => {
                let h = between(2.0, 6.0);
                Shape::Square {
                    cx: between(h, side - h),
                    cy: between(h, side - h),
                    h,
                }
            }
            2 => {
                let arm = between(3.5, 7.0);
                // Arms at least 2 px wide, so some pixel is fully covered.
                let w = between(1.0, 1.75);
                Shape::Plus {
                    cx: between(arm, side - arm),
                    cy: between(arm, side - arm),
                    arm,
                    w,
                }
            }
            _ => {
                let horizontal = between(0.0, 1.0) < 0.5;
                let period = between(4.0, 7.0);
                Shape::Stripes {
                    horizontal,
                    period,
                    phase: between(0.0, period),
                }
            }
        }
    }

    fn contains(&self, x: f64, y: f64) -> bool {
        match *self {
            Shape::Disc { cx, cy, r } => (x - cx).hypot(y - cy) <= r,
            Shape::Square { cx, cy, h } => (x - cx).abs() <= h && (y - cy).abs() <= h,
            Shape::Plus { cx, cy, arm, w } => {
                let (dx, dy) = ((x - cx).abs(), (y - cy).abs());
                (dx <= w && dy <= arm) || (dy <= w && dx <= arm)
            }
            Shape::Stripes {
                horizontal,
                period,
                phase,
            } => {
                let t = if horizontal { y } else { x };
                (t + phase).rem_euclid(period) < period / 2.0
            }
        }
    }
}

/// Renders item `i` into `out` (16*16 values, row-major).
fn render(seed: u64, i: usize, out: &mut [f32]) {
    let class = i % SHAPES_CLASSES;
    let mut s = Stream::new(seed, i as u64);
    let shape = Shape::draw(class, &mut s);
    // Foreground brightness varies per item; background stays at -1.
    let fg = 0.2 + 0.8 * s.uniform();
    for (p, v) in out.iter_mut().enumerate() {
        let (px, py) = ((p % SHAPES_SIDE) as f64, (p / SHAPES_SIDE) as f64);
        let mut hits = 0;
        for a in 0..SUPER {
            for b in 0..SUPER {
                let x = px + (a as f64 + 0.5) / SUPER as f64;
                let y = py + (b as f64 + 0.5) / SUPER as f64;
                hits += usize::from(shape.contains(x, y));
            }
        }
        let coverage = hits as f64 / (SUPER * SUPER) as f64;
        *v = (-1.0 + coverage * (fg + 1.0)) as f32;
    }
}

/// n images of 16x16 in [-1, 1] with item shape [1, 16, 16]. Item i has
/// class i mod 4 (disc, square, plus, stripes; the label) and random size,
/// position and brightness depending only on (seed, i). `n` is raised to 1
/// if zero.
pub fn shapes(n: usize, seed: u64) -> Dataset {
    let n = n.max(1);
    let d = SHAPES_SIDE * SHAPES_SIDE;
    let mut rows = vec![0.0f32; n * d];
    rows.par_chunks_mut(d)
        .enumerate()
        .for_each(|(i, out)| render(seed ^ SHAPES_SEED, i, out));
    Dataset {
        rows,
        n,
        d,
        item_shape: vec![1, SHAPES_SIDE, SHAPES_SIDE],
        labels: Some((0..n).map(|i| (i % SHAPES_CLASSES) as u8).collect()),
        source: format!("shapes(n={n}, seed={seed})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_bg(v: f32) -> bool {
        v == -1.0
    }

    #[test]
    fn valid_range_and_shape() {
        let ds = shapes(400, 7);
        assert!(
            Dataset::new(
                ds.rows.clone(),
                ds.n,
                ds.d,
                ds.item_shape.clone(),
                ds.labels.clone(),
                "x"
            )
            .is_ok()
        );
        assert_eq!(ds.item_shape, vec![1, 16, 16]);
        assert!(ds.rows.iter().all(|v| (-1.0..=1.0).contains(v)));
        for i in 0..ds.n {
            let row = ds.row(i);
            let fg = row.iter().filter(|&&v| !is_bg(v)).count();
            assert!(fg >= 8, "item {i}: only {fg} foreground pixels");
            assert!(fg < 256, "item {i}: no background");
            assert!(row.iter().any(|&v| v > 0.19), "item {i}: no bright pixel");
        }
    }

    #[test]
    fn classes_balanced() {
        let ds = shapes(1000, 1);
        let mut counts = [0usize; SHAPES_CLASSES];
        for &l in ds.labels.as_ref().unwrap() {
            counts[usize::from(l)] += 1;
        }
        assert_eq!(counts, [250; 4]);
    }

    #[test]
    fn deterministic_and_prefix_stable() {
        let a = shapes(50, 3);
        assert_eq!(a, shapes(50, 3));
        assert_eq!(shapes(10, 3).rows[..], a.rows[..10 * 256]);
        assert_ne!(a.rows, shapes(50, 4).rows);
        // Items of one class still differ from each other.
        assert_ne!(a.row(0), a.row(4));
    }

    #[test]
    fn class_geometry() {
        let ds = shapes(200, 11);
        for i in 0..ds.n {
            let img = ds.row(i);
            let px = |x: usize, y: usize| img[y * 16 + x];
            match i % 4 {
                // Stripes run the full width or height: constant along them.
                3 => {
                    let rows_const = (0..16).all(|y| (0..16).all(|x| px(x, y) == px(0, y)));
                    let cols_const = (0..16).all(|x| (0..16).all(|y| px(x, y) == px(x, 0)));
                    assert!(rows_const ^ cols_const, "item {i}");
                }
                // A square's fully covered pixels form a (near-)square block.
                1 => {
                    let max = img.iter().cloned().fold(f32::MIN, f32::max);
                    let full: Vec<(usize, usize)> = (0..256)
                        .filter(|&p| img[p] == max)
                        .map(|p| (p % 16, p / 16))
                        .collect();
                    let w = full.iter().map(|p| p.0).max().unwrap()
                        - full.iter().map(|p| p.0).min().unwrap()
                        + 1;
                    let h = full.iter().map(|p| p.1).max().unwrap()
                        - full.iter().map(|p| p.1).min().unwrap()
                        + 1;
                    // Sub-pixel placement can cost one row or column.
                    assert!(w.abs_diff(h) <= 1, "item {i}: {w}x{h}");
                    assert_eq!(full.len(), w * h, "item {i}");
                }
                // Shapes other than stripes leave the image border mostly dark.
                _ => {
                    let corners = [px(0, 0), px(15, 0), px(0, 15), px(15, 15)];
                    assert!(
                        corners.iter().filter(|&&v| is_bg(v)).count() >= 3,
                        "item {i}"
                    );
                }
            }
        }
    }
}
