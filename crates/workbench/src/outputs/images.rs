//! Image figures of trajectory runs on image data (the visual strips of
//! Chen et al. and Permenter & Yuan): a grid of final samples, and x_n above
//! D(x_n) at a few steps along the first trajectories. PNG only: these are
//! pixels, a vector copy would add nothing.

use crate::context::{LoadedData, image_shape};
use crate::execute::case::Case;
use geotraj_plots::{ImageGrid, image_grid};
use std::path::{Path, PathBuf};

/// Final samples shown, and per row.
const SAMPLES: usize = 64;
const SAMPLE_COLS: usize = 8;
/// Trajectories in the strip figure, and steps (columns) per trajectory.
const STRIP_TRAJECTORIES: usize = 4;
const STRIP_STEPS: usize = 10;
/// Images are enlarged to at least this many pixels on their longer side.
const MIN_CELL: usize = 64;

/// The data's value range, so samples and data share one grey/colour scale
/// (non-finite values ignored; a constant set gets a unit-wide range).
fn value_range(rows: &[f32]) -> (f32, f32) {
    let (lo, hi) = rows
        .iter()
        .filter(|v| v.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        (-1.0, 1.0)
    } else if lo < hi {
        (lo, hi)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

/// Up to `k` of `0..n`, evenly spread, first and last included.
fn spread(n: usize, k: usize) -> Vec<usize> {
    if n <= k {
        return (0..n).collect();
    }
    (0..k)
        .map(|j| (j * (n - 1) + (k - 1) / 2) / (k - 1))
        .collect()
}

/// Two significant digits, without exponent (sigma labels: 80, 2.5, 0.0020).
fn sigma_label(s: f64) -> String {
    if !(s > 0.0 && s.is_finite()) {
        return format!("{s}");
    }
    let digits = (1.0 - s.log10().floor()).clamp(0.0, 8.0) as usize;
    format!("{s:.digits$}")
}

/// The strip figure's images (row by row) and labels.
struct Strip<'a> {
    images: Vec<&'a [f32]>,
    rows: Vec<String>,
    cols: Vec<String>,
}

/// x_n above D(x_n) for the first trajectories of the case's first batch, at
/// up to `STRIP_STEPS` of the steps that have an evaluation at x_n. None if
/// no step has one.
fn strip(case: &Case) -> Option<Strip<'_>> {
    let t = &case.head;
    let picks = spread(t.denoised(0).len(), STRIP_STEPS);
    if picks.is_empty() {
        return None;
    }
    let (mut images, mut rows, mut steps) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..t.n.min(STRIP_TRAJECTORIES) {
        // All trajectories share the schedule, so the same steps have D(x_n).
        let denoised = t.denoised(i);
        let picked: Vec<(usize, &[f32])> = picks.iter().map(|&j| denoised[j]).collect();
        images.extend(picked.iter().map(|&(n, _)| t.state(i, n)));
        images.extend(picked.iter().map(|&(_, r)| r));
        rows.push(format!("#{} x_n", i + 1));
        rows.push(format!("#{} D(x_n)", i + 1));
        steps = picked.iter().map(|&(n, _)| n).collect();
    }
    let mut cols: Vec<String> = steps.iter().map(|&n| sigma_label(t.sigmas[n])).collect();
    // Name the column quantity once, on the first (largest, shortest) sigma.
    cols[0] = format!("σ={}", cols[0]);
    Some(Strip { images, rows, cols })
}

/// Writes `samples-{data}-{sampler}.png` and `denoised-{data}-{sampler}.png`
/// under `figures` for every case on image data; other cases get nothing.
pub fn write(
    all: &[Case],
    data_sets: &[LoadedData],
    figures: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    // One scan per image data set (a whole data set, so not once per case).
    let ranges: Vec<(&str, (f32, f32))> = data_sets
        .iter()
        .filter(|l| image_shape(&l.data.item_shape, l.data.d).is_some())
        .map(|l| (l.label.as_str(), value_range(&l.data.rows)))
        .collect();
    for c in all {
        let Some(shape) = image_shape(&c.item_shape, c.d()) else {
            continue;
        };
        // The data's range where the data is loaded (analyze may have none).
        let range = ranges
            .iter()
            .find(|(label, _)| *label == c.data)
            .map_or_else(|| value_range(&c.final_samples), |&(_, r)| r);
        let grid = ImageGrid {
            shape,
            scale: MIN_CELL.div_ceil(shape[1].max(shape[2])),
            range,
            ..ImageGrid::default()
        };
        let stem = |kind: &str| figures.join(format!("{kind}-{}-{}", c.data, c.sampler));
        let samples: Vec<&[f32]> = c.final_samples.chunks(c.d()).take(SAMPLES).collect();
        if !samples.is_empty() {
            let g = ImageGrid {
                cols: SAMPLE_COLS,
                ..grid.clone()
            };
            written.push(image_grid(&stem("samples"), &samples, &g)?);
        }
        if let Some(s) = strip(c) {
            let g = ImageGrid {
                cols: s.cols.len(),
                row_labels: s.rows,
                col_labels: s.cols,
                ..grid.clone()
            };
            written.push(image_grid(&stem("denoised"), &s.images, &g)?);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_shapes_are_one_or_three_channels_matching_d() {
        assert_eq!(image_shape(&[1, 16, 16], 256), Some([1, 16, 16]));
        assert_eq!(image_shape(&[3, 32, 32], 3072), Some([3, 32, 32]));
        assert_eq!(image_shape(&[28, 28], 784), Some([1, 28, 28]));
        assert_eq!(image_shape(&[2], 2), None);
        assert_eq!(image_shape(&[2, 4, 4], 32), None);
        assert_eq!(image_shape(&[1, 4, 4], 15), None);
    }

    #[test]
    fn spread_keeps_both_ends_and_stays_distinct() {
        assert_eq!(spread(3, 10), vec![0, 1, 2]);
        let s = spread(18, 10);
        assert_eq!((s[0], s[9], s.len()), (0, 17, 10));
        assert!(s.windows(2).all(|w| w[0] < w[1]), "{s:?}");
        assert!(spread(0, 10).is_empty());
    }

    #[test]
    fn ranges_and_labels() {
        assert_eq!(value_range(&[-1.0, f32::NAN, 0.5]), (-1.0, 0.5));
        assert_eq!(value_range(&[2.0, 2.0]), (1.5, 2.5));
        assert_eq!(value_range(&[]), (-1.0, 1.0));
        assert_eq!(sigma_label(80.0), "80");
        assert_eq!(sigma_label(2.53), "2.5");
        assert_eq!(sigma_label(0.002), "0.0020");
        assert_eq!(sigma_label(0.0), "0");
    }
}
