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
