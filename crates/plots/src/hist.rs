//! Building blocks for a `Heatmap`: bin edges and 2-D binning.

/// `n + 1` evenly spaced edges from `lo` to `hi` (both exact), i.e. `n` bins
/// of equal width; no edges for `n == 0`.
pub fn linear_edges(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    (0..=n)
        .map(|i| match i {
            0 => lo,
            _ if i == n => hi,
            _ => lo + (hi - lo) * (i as f64 / n as f64),
        })
        .collect()
}

/// `n + 1` geometrically spaced edges from `lo` to `hi` (both exact), i.e.
/// `n` bins of equal width on a log axis; no edges for `n == 0`. Both bounds
/// must be positive: otherwise the inner edges are NaN (and a heatmap built
/// on them is rejected when rendered).
pub fn log_edges(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let (a, b) = (lo.ln(), hi.ln());
    (0..=n)
        .map(|i| match i {
            0 => lo,
            _ if i == n => hi,
            _ => (a + (b - a) * (i as f64 / n as f64)).exp(),
        })
        .collect()
}

/// The bin of `v` among `edges` (ascending): bins are half-open
/// `[e[i], e[i + 1])` except the last, which includes its right edge. None
/// for NaN and for values outside `[e[0], e[n]]`.
fn bin(edges: &[f64], v: f64) -> Option<usize> {
    let n = edges.len().checked_sub(1).filter(|&n| n > 0)?;
    if !(v >= edges[0] && v <= edges[n]) {
        return None;
    }
    // Number of edges <= v, minus one; v == e[n] falls into the last bin.
    // The clamps only matter for edges that are not sorted, where the
    // result is unspecified but must not panic.
    let i = edges.partition_point(|&e| e <= v);
    Some(i.saturating_sub(1).min(n - 1))
}

/// Counts the points `(x[i], y[i])` in the cells of the grid given by
/// `x_edges` (nx + 1 values) and `y_edges` (ny + 1 values), both strictly
/// increasing, and returns `ny * nx` counts in `Heatmap` order
/// (`counts[iy * nx + ix]`).
///
/// Bins are half-open `[lo, hi)` except the last one on each axis, which
/// also includes its right edge. Points with a NaN coordinate or outside the
/// grid are skipped; if `x` and `y` differ in length the extra values of the
/// longer one are ignored. Fewer than two edges on an axis means no bins
/// there, and an empty result.
pub fn histogram2d(x: &[f64], y: &[f64], x_edges: &[f64], y_edges: &[f64]) -> Vec<f64> {
    let nx = x_edges.len().saturating_sub(1);
    let ny = y_edges.len().saturating_sub(1);
    let mut counts = vec![0.0; nx * ny];
    for (&vx, &vy) in x.iter().zip(y) {
        if let (Some(ix), Some(iy)) = (bin(x_edges, vx), bin(y_edges, vy)) {
            counts[iy * nx + ix] += 1.0;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::{histogram2d, linear_edges, log_edges};

    #[test]
    fn edges_are_evenly_spaced_with_exact_ends() {
        assert_eq!(linear_edges(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(linear_edges(-3.0, 3.0, 1), vec![-3.0, 3.0]);
        assert!(linear_edges(0.0, 1.0, 0).is_empty());

        let e = log_edges(1e-3, 10.0, 4);
        assert_eq!(e.len(), 5);
        assert_eq!((e[0], e[4]), (1e-3, 10.0));
        for (v, want) in e.iter().zip([1e-3, 1e-2, 1e-1, 1.0, 10.0]) {
            assert!((v / want - 1.0).abs() < 1e-12, "{e:?}");
        }
        let fine = log_edges(0.002, 80.0, 300);
        assert!(fine.windows(2).all(|w| w[0] < w[1]));
        assert!(log_edges(1.0, 2.0, 0).is_empty());
        // Non-positive bounds cannot be spaced geometrically.
        assert!(log_edges(0.0, 1.0, 3)[1].is_nan());
    }

    #[test]
    fn histogram2d_matches_a_hand_count() {
        let nan = f64::NAN;
        let xe = [0.0, 1.0, 2.0, 3.0];
        let ye = [0.0, 10.0, 20.0];
        let pts = [
            (0.0, 0.0),               // lower-left corner: cell (0, 0)
            (0.999, 9.99),            // still cell (0, 0)
            (1.0, 0.0),               // an inner edge belongs to the bin above: (1, 0)
            (2.5, 10.0),              // (2, 1)
            (3.0, 20.0),              // the last bins include their right edges: (2, 1)
            (3.0, 5.0),               // (2, 0)
            (1.5, 15.0),              // (1, 1)
            (3.0001, 5.0),            // right of the grid: skipped
            (-0.1, 5.0),              // left of the grid: skipped
            (0.5, 20.5),              // above: skipped
            (0.5, -1e-9),             // below: skipped
            (nan, 5.0),               // NaN: skipped
            (1.5, nan),               // NaN: skipped
            (f64::INFINITY, 5.0),     // infinite: skipped
            (0.5, f64::NEG_INFINITY), // infinite: skipped
        ];
        let (x, y): (Vec<f64>, Vec<f64>) = pts.iter().copied().unzip();
        let counts = histogram2d(&x, &y, &xe, &ye);
        // counts[iy * nx + ix], nx = 3.
        assert_eq!(counts, vec![2.0, 1.0, 1.0, 0.0, 1.0, 2.0]);

        // Extra values of the longer slice are ignored.
        assert_eq!(
            histogram2d(&[0.5, 0.5, 0.5], &[5.0], &xe, &ye),
            vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        );
        // Fewer than two edges: no bins.
        assert!(histogram2d(&x, &y, &[1.0], &ye).is_empty());
        assert!(histogram2d(&x, &y, &xe, &[]).is_empty());
        // Uneven (log) edges: 0.05 is in [0.01, 0.1), 5 in [1, 10].
        let counts = histogram2d(
            &[0.05, 5.0, 10.0],
            &[1.0; 3],
            &log_edges(0.01, 10.0, 3),
            &[0.0, 2.0],
        );
        assert_eq!(counts, vec![1.0, 0.0, 2.0]);
        // Unsorted edges give unspecified counts, but never a panic.
        let _ = histogram2d(
            &[0.5, 1.5, 2.5],
            &[1.0; 3],
            &[0.0, 2.0, 1.0, 3.0],
            &[0.0, 2.0],
        );
    }
}
