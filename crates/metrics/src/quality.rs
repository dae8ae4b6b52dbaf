//! Sample-quality measures between a set of samples and a reference set:
//! PCA features, Gaussian feature statistics and their Fréchet distance
//! (the FID formula), and the sliced Wasserstein-2 distance.
//!
//! Inputs are row-major f32 matrices (n x d); every sum is in f64. Results
//! do not depend on the thread count.

use crate::linalg::{
    covariance, covariance_of, dot, matmul, sym_eigen, sym_eigenvalues, transpose,
};
use geotraj_data::rng::normal;
use rayon::prelude::*;

/// Principal components of a set of rows: the top-k eigenvectors of the
/// covariance (divisor n - 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Pca {
    /// Mean of the fitted rows (length d).
    pub mean: Vec<f64>,
    /// k x d row-major, unit rows, orthogonal; each row's largest-magnitude
    /// entry is positive (a deterministic sign).
    pub components: Vec<f64>,
    /// The k eigenvalues (variances along the components), descending,
    /// negative round-off clamped to 0.
    pub variances: Vec<f64>,
    pub d: usize,
    pub k: usize,
}

impl Pca {
    /// Fits the top `k` components (k clamped to d) of the n x d `rows`.
    /// With more dimensions than rows it works on the n x n Gram matrix
    /// instead of the d x d covariance (same components and variances, in
    /// O(n^2 d) time and O(n^2 + n d) memory, where d x d could not fit);
    /// components beyond the rows' rank have no variance and are zero.
    pub fn fit(rows: &[f32], n: usize, d: usize, k: usize) -> Pca {
        if d > n {
            Pca::fit_gram(rows, n, d, k)
        } else {
            Pca::fit_covariance(rows, n, d, k)
        }
    }

    fn fit_covariance(rows: &[f32], n: usize, d: usize, k: usize) -> Pca {
        let k = k.min(d);
        let (mean, cov) = covariance(rows, n, d);
        let (values, vectors) = sym_eigen(&cov, d);
        let mut components = vec![0.0f64; k * d];
        for (c, row) in components.chunks_exact_mut(d.max(1)).take(k).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = vectors[j * d + c];
            }
            lead_positive(row);
        }
        let variances = values[..k].iter().map(|v| v.max(0.0)).collect();
        Pca {
            mean,
            components,
            variances,
            d,
            k,
        }
    }

    /// The Gram route: with G = X Xᵀ / (n - 1) for the centred rows X and
    /// G u = λ u, v = Xᵀ u / sqrt((n - 1) λ) is a unit eigenvector of the
    /// covariance with the same λ.
    fn fit_gram(rows: &[f32], n: usize, d: usize, k: usize) -> Pca {
        assert_eq!(rows.len(), n * d, "Pca::fit: rows must be n x d");
        let k = k.min(d);
        let mut mean = vec![0.0f64; d];
        for row in rows.chunks_exact(d) {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += f64::from(x);
            }
        }
        mean.iter_mut().for_each(|m| *m /= n.max(1) as f64);
        let centred: Vec<f64> = rows
            .chunks_exact(d)
            .flat_map(|row| row.iter().zip(&mean).map(|(&x, m)| f64::from(x) - m))
            .collect();
        let div = n.saturating_sub(1).max(1) as f64;
        let mut gram = vec![0.0f64; n * n];
        gram.par_chunks_mut(n.max(1))
            .enumerate()
            .for_each(|(a, out)| {
                let ca = &centred[a * d..(a + 1) * d];
                for (b, g) in out.iter_mut().enumerate() {
                    *g = dot(ca, &centred[b * d..(b + 1) * d]) / div;
                }
            });
        let (values, vectors) = sym_eigen(&gram, n);
        let top = values.first().copied().unwrap_or(0.0).max(0.0);
        let mut components = vec![0.0f64; k * d];
        let mut variances = vec![0.0f64; k];
        for (c, row) in components
            .chunks_exact_mut(d.max(1))
            .take(k.min(n))
            .enumerate()
        {
            let lambda = values[c];
            // Round-off leaves null directions with |λ| ~ 1e-16 top: no component there.
            if !(lambda > top * 1e-12 && lambda > 0.0) {
                continue;
            }
            let scale = 1.0 / (div * lambda).sqrt();
            for a in 0..n {
                let u = vectors[a * n + c] * scale;
                for (v, x) in row.iter_mut().zip(&centred[a * d..(a + 1) * d]) {
                    *v += u * x;
                }
            }
            lead_positive(row);
            variances[c] = lambda;
        }
        Pca {
            mean,
            components,
            variances,
            d,
            k,
        }
    }

    /// Features of n rows (n x d): their centred coordinates along the
    /// components, n x k row-major.
    pub fn project(&self, rows: &[f32], n: usize) -> Vec<f64> {
        let (d, k) = (self.d, self.k);
        assert_eq!(rows.len(), n * d, "Pca::project: rows must be n x d");
        let mut out = vec![0.0f64; n * k];
        if k == 0 || d == 0 {
            return out;
        }
        out.par_chunks_mut(k).zip(rows.par_chunks(d)).for_each_init(
            || vec![0.0f64; d],
            |centred, (feat, row)| {
                for ((c, &x), m) in centred.iter_mut().zip(row).zip(&self.mean) {
                    *c = x as f64 - m;
                }
                for (f, comp) in feat.iter_mut().zip(self.components.chunks_exact(d)) {
                    *f = dot(centred, comp);
                }
            },
        );
        out
    }
}

/// Flips `row` so that its largest-magnitude entry is positive (a
/// deterministic sign for an eigenvector).
fn lead_positive(row: &mut [f64]) {
    let lead = row
        .iter()
        .copied()
        .reduce(|best, v| if v.abs() > best.abs() { v } else { best })
        .unwrap_or(0.0);
    if lead < 0.0 {
        row.iter_mut().for_each(|v| *v = -*v);
    }
}

/// Mean and covariance (divisor n - 1) of a set of k-dimensional features,
/// the Gaussian summary that the Fréchet distance compares.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureStats {
    /// Length k.
    pub mean: Vec<f64>,
    /// k x k row-major, symmetric.
    pub cov: Vec<f64>,
    pub k: usize,
}

impl FeatureStats {
    /// Statistics of n feature rows (n x k, row-major), e.g. from
    /// [`Pca::project`]. With n < 2 the covariance is zero.
    pub fn of(features: &[f64], n: usize, k: usize) -> FeatureStats {
        let (mean, cov) = covariance_of(features, n, k);
        FeatureStats { mean, cov, k }
    }
}

/// Fréchet distance between the Gaussians N(μa, Ca) and N(μb, Cb):
///
/// ‖μa − μb‖² + tr Ca + tr Cb − 2 tr((Ca^{1/2} Cb Ca^{1/2})^{1/2}).
///
/// This is the **squared** Fréchet (Wasserstein-2) distance, the quantity
/// FID reports; take its square root for a distance. Ca^{1/2} Cb Ca^{1/2}
/// is formed as Wᵀ Cb W with W = V Λ^{1/2} from Ca = V Λ Vᵀ (an orthogonal
/// similarity of it), and the trace of its square root is Σ √μ over its
/// eigenvalues μ; eigenvalues of either matrix below zero (round-off) are
/// clamped to 0, and so is a result below zero.
pub fn frechet_distance(a: &FeatureStats, b: &FeatureStats) -> f64 {
    let k = a.k;
    assert_eq!(b.k, k, "frechet_distance: feature dimensions differ");
    assert_eq!(a.mean.len(), k);
    assert_eq!(b.mean.len(), k);
    assert_eq!(a.cov.len(), k * k);
    assert_eq!(b.cov.len(), k * k);
    if k == 0 {
        return 0.0;
    }
    let mean_term: f64 = a
        .mean
        .iter()
        .zip(&b.mean)
        .map(|(x, y)| (x - y) * (x - y))
        .sum();
    let trace = |c: &[f64]| (0..k).map(|i| c[i * k + i]).sum::<f64>();

    let (lambda, v) = sym_eigen(&a.cov, k);
    let root: Vec<f64> = lambda.iter().map(|l| l.max(0.0).sqrt()).collect();
    let w: Vec<f64> = (0..k * k).map(|t| v[t] * root[t % k]).collect();
    let cb_w = matmul(&b.cov, &w, k, k, k);
    let mut m = matmul(&transpose(&w, k, k), &cb_w, k, k, k);
    for i in 0..k {
        for j in i + 1..k {
            let s = 0.5 * (m[i * k + j] + m[j * k + i]);
            m[i * k + j] = s;
            m[j * k + i] = s;
        }
    }
    let tr_sqrt: f64 = sym_eigenvalues(&m, k)
        .iter()
        .map(|mu| mu.max(0.0).sqrt())
        .sum();
    (mean_term + trace(&a.cov) + trace(&b.cov) - 2.0 * tr_sqrt).max(0.0)
}

/// Directions projected per pass over the data in [`sliced_w2`].
const DIRECTION_BATCH: usize = 64;

/// Sliced Wasserstein-2 distance between the empirical distributions of
/// the rows of `a` (na x d) and `b` (nb x d):
///
/// sqrt( (1/P) Σ_p W2²(a·θ_p, b·θ_p) ),
///
/// over P = `projections` random unit directions θ_p, where θ_p is the
/// normalised vector (normal(seed, p, j))_j of `geotraj_data::rng::normal`
/// (stream = projection index, counter = dimension). W2² between two 1-D
/// empirical distributions is ∫₀¹ (F_a⁻¹(u) − F_b⁻¹(u))² du, computed
/// exactly for the two quantile step functions (breakpoints i/na and
/// j/nb merged), so na and nb may differ.
///
/// Parallel over rows and directions; per-direction values are summed in
/// direction order, so the result does not depend on the thread count.
/// NaN when a set is empty or `projections` is 0; 0 when d = 0.
pub fn sliced_w2(
    a: &[f32],
    na: usize,
    b: &[f32],
    nb: usize,
    d: usize,
    projections: usize,
    seed: u64,
) -> f64 {
    assert_eq!(a.len(), na * d, "sliced_w2: a must be na x d");
    assert_eq!(b.len(), nb * d, "sliced_w2: b must be nb x d");
    if na == 0 || nb == 0 || projections == 0 {
        return f64::NAN;
    }
    if d == 0 {
        return 0.0;
    }
    let mut per_direction = Vec::with_capacity(projections);
    for start in (0..projections).step_by(DIRECTION_BATCH) {
        let count = DIRECTION_BATCH.min(projections - start);
        let dirs: Vec<f64> = (start..start + count)
            .flat_map(|p| unit_direction(seed, p as u64, d))
            .collect();
        let pa = project_rows(a, d, &dirs);
        let pb = project_rows(b, d, &dirs);
        let values: Vec<f64> = (0..count)
            .into_par_iter()
            .map(|t| {
                let xa = sorted_column(&pa, count, t);
                let xb = sorted_column(&pb, count, t);
                w2_squared_sorted(&xa, &xb)
            })
            .collect();
        per_direction.extend(values);
    }
    let total: f64 = per_direction.iter().sum();
    (total / projections as f64).sqrt()
}

/// θ_p: (normal(seed, p, j))_{j<d}, normalised (left at zero in the
/// probability-zero event that every draw is zero).
fn unit_direction(seed: u64, p: u64, d: usize) -> Vec<f64> {
    let mut theta: Vec<f64> = (0..d as u64).map(|j| normal(seed, p, j)).collect();
    let norm = dot(&theta, &theta).sqrt();
    if norm > 0.0 {
        theta.iter_mut().for_each(|v| *v /= norm);
    }
    theta
}

/// rows (n x d) times the directions (m x d, row-major) transposed:
/// n x m, in parallel over rows.
fn project_rows(rows: &[f32], d: usize, dirs: &[f64]) -> Vec<f64> {
    let m = dirs.len() / d;
    let n = rows.len() / d;
    let mut out = vec![0.0f64; n * m];
    out.par_chunks_mut(m).zip(rows.par_chunks(d)).for_each_init(
        || vec![0.0f64; d],
        |x, (proj, row)| {
            for (xi, &v) in x.iter_mut().zip(row) {
                *xi = v as f64;
            }
            for (p, theta) in proj.iter_mut().zip(dirs.chunks_exact(d)) {
                *p = dot(x, theta);
            }
        },
    );
    out
}

/// Column t of the n x m row-major `values`, sorted ascending.
fn sorted_column(values: &[f64], m: usize, t: usize) -> Vec<f64> {
    let mut col: Vec<f64> = values.chunks_exact(m).map(|r| r[t]).collect();
    col.sort_unstable_by(f64::total_cmp);
    col
}

/// ∫₀¹ (F_x⁻¹(u) − F_y⁻¹(u))² du for sorted samples x and y, whose
/// quantile functions are x_i on ((i)/nx, (i+1)/nx] and y_j on
/// ((j)/ny, (j+1)/ny]. Positions are counted exactly in units of
/// 1/(nx ny): breakpoint i/nx is i·ny units.
pub(crate) fn w2_squared_sorted(x: &[f64], y: &[f64]) -> f64 {
    let (nx, ny) = (x.len() as u128, y.len() as u128);
    if nx == 0 || ny == 0 {
        return f64::NAN;
    }
    let (mut i, mut j) = (0usize, 0usize);
    let mut pos = 0u128;
    let mut sum = 0.0f64;
    while i < x.len() && j < y.len() {
        let end_x = (i as u128 + 1) * ny;
        let end_y = (j as u128 + 1) * nx;
        let end = end_x.min(end_y);
        let diff = x[i] - y[j];
        sum += diff * diff * (end - pos) as f64;
        pos = end;
        if end_x == end {
            i += 1;
        }
        if end_y == end {
            j += 1;
        }
    }
    sum / (nx * ny) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use geotraj_data::rng::normal_rows;

    fn close(x: f64, y: f64, rel: f64) -> bool {
        (x - y).abs() <= rel * x.abs().max(y.abs()).max(1e-300)
    }

    #[test]
    fn gram_and_covariance_routes_agree_with_more_dimensions_than_rows() {
        // 12 rows in 40 dimensions with distinct variances along the axes.
        let (n, d, k) = (12, 40, 6);
        let noise = normal_rows(3, 0..n, d);
        let rows: Vec<f32> = noise
            .iter()
            .enumerate()
            .map(|(i, &z)| z * (1.0 + (i % d) as f32 * 0.25))
            .collect();
        let gram = Pca::fit(&rows, n, d, k);
        let cov = Pca::fit_covariance(&rows, n, d, k);
        for c in 0..k {
            assert!(close(gram.variances[c], cov.variances[c], 1e-9), "{c}");
            for j in 0..d {
                let (g, v) = (gram.components[c * d + j], cov.components[c * d + j]);
                assert!((g - v).abs() < 1e-8, "component {c}[{j}]: {g} vs {v}");
            }
        }
        // Beyond the rank (n - 1 = 11): nothing, rather than arbitrary directions.
        let wide = Pca::fit(&rows, n, d, 20);
        assert!(wide.variances[11..].iter().all(|&v| v == 0.0));
        assert!(wide.components[11 * d..].iter().all(|&v| v == 0.0));
        let features = wide.project(&rows, n);
        assert!(features.iter().all(|f| f.is_finite()));
    }

    fn diagonal_stats(mean: &[f64], sd: &[f64]) -> FeatureStats {
        let k = mean.len();
        let mut cov = vec![0.0; k * k];
        for (i, s) in sd.iter().enumerate() {
            cov[i * k + i] = s * s;
        }
        FeatureStats {
            mean: mean.to_vec(),
            cov,
            k,
        }
    }

    /// Q S Qᵀ and Q μ for a fixed orthogonal Q.
    fn rotate(stats: &FeatureStats, q: &[f64]) -> FeatureStats {
        let k = stats.k;
        let qt = transpose(q, k, k);
        let cov = matmul(&matmul(q, &stats.cov, k, k, k), &qt, k, k, k);
        let mean = matmul(q, &stats.mean, k, k, 1);
        FeatureStats { mean, cov, k }
    }

    fn orthogonal(k: usize, seed: u64) -> Vec<f64> {
        let mut a = vec![0.0; k * k];
        for i in 0..k {
            for j in i..k {
                let v = normal(seed, i as u64, j as u64);
                a[i * k + j] = v;
                a[j * k + i] = v;
            }
        }
        sym_eigen(&a, k).1
    }

    #[test]
    fn frechet_distance_of_diagonal_gaussians_is_closed_form() {
        let a = diagonal_stats(&[0.0, 1.0, -2.0, 0.5, 3.0], &[1.0, 2.0, 0.5, 1.5, 0.1]);
        let b = diagonal_stats(&[1.0, 1.0, 0.0, -0.5, 3.0], &[2.0, 0.5, 0.5, 1.0, 3.0]);
        let want: f64 = (0..5)
            .map(|i| {
                let dm = a.mean[i] - b.mean[i];
                let ds = a.cov[i * 6].sqrt() - b.cov[i * 6].sqrt();
                dm * dm + ds * ds
            })
            .sum();
        assert!(close(frechet_distance(&a, &b), want, 1e-12));
        assert!(close(frechet_distance(&b, &a), want, 1e-12));
        // An orthogonal change of basis applied to both changes nothing.
        let q = orthogonal(5, 3);
        let (ra, rb) = (rotate(&a, &q), rotate(&b, &q));
        assert!(close(frechet_distance(&ra, &rb), want, 1e-10));
        assert!(close(frechet_distance(&rb, &ra), want, 1e-10));
    }

    #[test]
    fn frechet_distance_of_non_commuting_2x2_covariances() {
        // For 2 x 2 positive definite M, tr √M = √(tr M + 2 √det M); with
        // M = Ca^½ Cb Ca^½, tr M = tr(Ca Cb) and det M = det Ca det Cb.
        let a = FeatureStats {
            mean: vec![0.5, -1.0],
            cov: vec![2.0, 0.7, 0.7, 1.0],
            k: 2,
        };
        let b = FeatureStats {
            mean: vec![-0.5, 2.0],
            cov: vec![0.3, -0.2, -0.2, 4.0],
            k: 2,
        };
        let (ca, cb) = (&a.cov, &b.cov);
        let tr_ab = ca[0] * cb[0] + ca[1] * cb[2] + ca[2] * cb[1] + ca[3] * cb[3];
        let det = (ca[0] * ca[3] - ca[1] * ca[2]) * (cb[0] * cb[3] - cb[1] * cb[2]);
        let tr_sqrt = (tr_ab + 2.0 * det.sqrt()).sqrt();
        let want = 1.0 + 9.0 + ca[0] + ca[3] + cb[0] + cb[3] - 2.0 * tr_sqrt;
        assert!(close(frechet_distance(&a, &b), want, 1e-12));
        assert!(close(frechet_distance(&b, &a), want, 1e-12));
    }

    #[test]
    fn frechet_distance_is_symmetric_and_zero_on_identical_stats() {
        let k = 20;
        let fa: Vec<f64> = normal_rows(1, 0..500, k)
            .iter()
            .map(|&v| v as f64)
            .collect();
        let fb: Vec<f64> = normal_rows(2, 0..300, k)
            .iter()
            .enumerate()
            .map(|(t, &v)| v as f64 * (1.0 + (t % k) as f64 * 0.1) + 0.2)
            .collect();
        let a = FeatureStats::of(&fa, 500, k);
        let b = FeatureStats::of(&fb, 300, k);
        let ab = frechet_distance(&a, &b);
        let ba = frechet_distance(&b, &a);
        assert!(ab > 0.1, "{ab}");
        assert!(close(ab, ba, 1e-10), "{ab} vs {ba}");
        // Zero up to round-off of the trace terms (a few ulps of tr C).
        let trace: f64 = (0..k).map(|i| a.cov[i * k + i]).sum();
        assert!(frechet_distance(&a, &a) <= 1e-12 * trace);
        assert!(frechet_distance(&b, &b) <= 1e-12 * trace);
        // A singular covariance (rank deficient) still works.
        let flat = diagonal_stats(&[0.0, 0.0, 0.0], &[1.0, 0.0, 0.0]);
        let other = diagonal_stats(&[0.0, 1.0, 0.0], &[2.0, 1.0, 0.0]);
        assert!(close(
            frechet_distance(&flat, &other),
            1.0 + 1.0 + 1.0,
            1e-12
        ));
        assert!(close(frechet_distance(&other, &flat), 3.0, 1e-12));
    }

    #[test]
    fn frechet_distance_between_samples_of_one_gaussian_shrinks_with_n() {
        let k = 4;
        let sample = |seed: u64, n: usize| -> FeatureStats {
            let f: Vec<f64> = normal_rows(seed, 0..n, k)
                .iter()
                .enumerate()
                .map(|(t, &v)| 3.0 + v as f64 * (1.0 + (t % k) as f64))
                .collect();
            FeatureStats::of(&f, n, k)
        };
        let small = frechet_distance(&sample(10, 200), &sample(11, 200));
        let large = frechet_distance(&sample(12, 20_000), &sample(13, 20_000));
        assert!(small > 0.0);
        assert!(large < small / 10.0, "n = 200: {small}, n = 20000: {large}");
    }

    /// n rows of N(mean, Q diag(sd²) Qᵀ) in d dims.
    fn anisotropic(n: usize, sd: &[f64], q: &[f64], mean: &[f64], seed: u64) -> Vec<f32> {
        let d = sd.len();
        let z = normal_rows(seed, 0..n, d);
        let mut out = vec![0.0f32; n * d];
        for (row, zr) in out.chunks_exact_mut(d).zip(z.chunks_exact(d)) {
            for (i, x) in row.iter_mut().enumerate() {
                let v: f64 = (0..d).map(|j| q[i * d + j] * sd[j] * zr[j] as f64).sum();
                *x = (mean[i] + v) as f32;
            }
        }
        out
    }

    #[test]
    fn pca_recovers_the_axes_of_an_anisotropic_gaussian() {
        let d = 5;
        let sd = [3.0, 2.0, 1.0, 0.5, 0.25];
        let q = orthogonal(d, 7);
        let mean = [1.0, -2.0, 0.5, 10.0, 0.0];
        let n = 40_000;
        let rows = anisotropic(n, &sd, &q, &mean, 8);
        let pca = Pca::fit(&rows, n, d, 3);
        assert_eq!((pca.d, pca.k), (d, 3));
        assert_eq!(pca.components.len(), 3 * d);
        for (m, w) in pca.mean.iter().zip(&mean) {
            assert!((m - w).abs() < 0.05, "{:?}", pca.mean);
        }
        for c in 0..3 {
            let comp = &pca.components[c * d..(c + 1) * d];
            let axis: Vec<f64> = (0..d).map(|i| q[i * d + c]).collect();
            assert!((dot(comp, comp) - 1.0).abs() < 1e-12);
            assert!(dot(comp, &axis).abs() > 0.995, "component {c}");
            let want = sd[c] * sd[c];
            assert!(close(pca.variances[c], want, 0.05), "{:?}", pca.variances);
        }
        // Features: centred, uncorrelated, with the fitted variances.
        let feats = pca.project(&rows, n);
        let stats = FeatureStats::of(&feats, n, 3);
        for i in 0..3 {
            assert!(stats.mean[i].abs() < 1e-9);
            for j in 0..3 {
                let want = if i == j { pca.variances[i] } else { 0.0 };
                assert!((stats.cov[i * 3 + j] - want).abs() < 1e-8 * pca.variances[0]);
            }
        }
        // k is clamped to d.
        let all = Pca::fit(&rows, n, d, 99);
        assert_eq!(all.k, d);
        assert_eq!(all.project(&rows[..2 * d], 2).len(), 2 * d);
    }

    #[test]
    fn w2_between_step_quantile_functions() {
        // {0, 1} vs {0, 1, 2}: breakpoints 1/3, 1/2, 2/3; the quantiles
        // differ by 1 on (1/3, 1/2] and (2/3, 1]: 1/6 + 1/3.
        assert!(close(
            w2_squared_sorted(&[0.0, 1.0], &[0.0, 1.0, 2.0]),
            0.5,
            1e-15
        ));
        assert!(close(
            w2_squared_sorted(&[0.0, 1.0, 2.0], &[0.0, 1.0]),
            0.5,
            1e-15
        ));
        // One point against two: (0-1)²/2 + (0-3)²/2.
        assert!(close(w2_squared_sorted(&[0.0], &[1.0, 3.0]), 5.0, 1e-15));
        // Equal sizes: the mean squared difference of sorted values.
        assert!(close(
            w2_squared_sorted(&[0.0, 2.0], &[1.0, 5.0]),
            5.0,
            1e-15
        ));
        // The same distribution with every point repeated.
        let x = [-1.0, 0.5, 2.0];
        let y = [-1.0, -1.0, 0.5, 0.5, 2.0, 2.0];
        assert_eq!(w2_squared_sorted(&x, &y), 0.0);
    }

    #[test]
    fn sliced_w2_of_a_set_with_itself_is_zero() {
        let (n, d) = (300, 6);
        let a = normal_rows(4, 0..n, d);
        assert_eq!(sliced_w2(&a, n, &a, n, d, 50, 1), 0.0);
        // Row order does not matter.
        let mut b = a.clone();
        b.reverse();
        let rev: Vec<f32> = b
            .chunks_exact(d)
            .flat_map(|r| r.iter().rev().copied())
            .collect();
        assert_eq!(sliced_w2(&a, n, &rev, n, d, 50, 1), 0.0);
    }

    #[test]
    fn sliced_w2_of_a_shifted_set_is_the_mean_projected_shift() {
        let (n, d) = (200, 4);
        let a = normal_rows(5, 0..n, d);
        let v = [0.5f32, -1.0, 2.0, 0.25];
        let b: Vec<f32> = a
            .chunks_exact(d)
            .flat_map(|r| r.iter().zip(&v).map(|(x, s)| x + s).collect::<Vec<_>>())
            .collect();
        for (projections, seed) in [(1, 3), (7, 4), (100, 5)] {
            let want: f64 = (0..projections as u64)
                .map(|p| {
                    let u = unit_direction(seed, p, d);
                    let uv: f64 = u.iter().zip(&v).map(|(x, &y)| x * y as f64).sum();
                    uv * uv
                })
                .sum::<f64>()
                / projections as f64;
            let got = sliced_w2(&a, n, &b, n, d, projections, seed);
            assert!(close(got, want.sqrt(), 1e-5), "{got} vs {}", want.sqrt());
        }
        // Many directions: E (u·v)² = |v|²/d for u uniform on the sphere.
        let norm = v.iter().map(|&x| (x as f64).powi(2)).sum::<f64>().sqrt();
        let got = sliced_w2(&a, n, &b, n, d, 4000, 6);
        let want = norm / (d as f64).sqrt();
        assert!(close(got, want, 0.03), "{got} vs {want}");
    }

    #[test]
    fn sliced_w2_with_different_sizes() {
        // In one dimension every direction is ±1, and W2² is the same for
        // both signs: {0, 1} vs {0, 1, 2} gives 1/2.
        let a = [1.0f32, 0.0];
        let b = [2.0f32, 0.0, 1.0];
        for seed in 0..5 {
            let got = sliced_w2(&a, 2, &b, 3, 1, 3, seed);
            assert!(close(got, 0.5f64.sqrt(), 1e-15), "{got}");
        }
        // Points on the line t (1, 1): every direction scales the 1-D
        // problem by u·(1, 1), so the answer is √(mean (u·(1,1))² · 1/2).
        let a2 = [0.0f32, 0.0, 1.0, 1.0];
        let b2 = [0.0f32, 0.0, 1.0, 1.0, 2.0, 2.0];
        let projections = 9;
        let scale: f64 = (0..projections as u64)
            .map(|p| {
                let u = unit_direction(2, p, 2);
                (u[0] + u[1]).powi(2)
            })
            .sum::<f64>()
            / projections as f64;
        let got = sliced_w2(&a2, 2, &b2, 3, 2, projections, 2);
        assert!(close(got, (0.5 * scale).sqrt(), 1e-12), "{got}");
        // The same set with every point duplicated is at distance 0.
        let twice: Vec<f32> = a2.iter().chain(&a2).copied().collect();
        assert_eq!(sliced_w2(&a2, 2, &twice, 4, 2, 10, 0), 0.0);
    }

    #[test]
    fn sliced_w2_edge_cases() {
        assert!(sliced_w2(&[], 0, &[1.0], 1, 1, 4, 0).is_nan());
        assert!(sliced_w2(&[1.0], 1, &[1.0], 1, 1, 0, 0).is_nan());
        assert_eq!(sliced_w2(&[], 3, &[], 2, 0, 4, 0), 0.0);
    }

    #[test]
    fn sliced_w2_does_not_depend_on_thread_count() {
        let d = 10;
        let a = normal_rows(7, 0..1000, d);
        let b: Vec<f32> = normal_rows(8, 0..700, d)
            .iter()
            .map(|v| v * 1.5 + 0.1)
            .collect();
        // More projections than one batch, and not a multiple of it.
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| sliced_w2(&a, 1000, &b, 700, d, 150, 42))
        };
        let one = run(1);
        assert!(one > 0.0);
        assert_eq!(one.to_bits(), run(2).to_bits());
        assert_eq!(one.to_bits(), run(3).to_bits());
    }

    /// Timing at Fashion-MNIST's size: `cargo test --release -p
    /// geotraj-metrics --lib -- --ignored --nocapture timing`.
    #[test]
    #[ignore]
    fn timing_quality_measures() {
        use std::time::Instant;
        let (n, d, k) = (60_000, 784, 64);
        let rows = normal_rows(1, 0..n, d);
        let t = Instant::now();
        let pca = Pca::fit(&rows, n, d, k);
        eprintln!("Pca::fit {n} x {d}: {:.3} s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let feats = pca.project(&rows, n);
        eprintln!(
            "Pca::project {n} x {d} -> {k}: {:.3} s",
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let stats = FeatureStats::of(&feats, n, k);
        let other = FeatureStats::of(&feats[..10_000 * k], 10_000, k);
        let fd = frechet_distance(&stats, &other);
        eprintln!(
            "stats + frechet_distance (k = {k}): {:.3} s, {fd:.4}",
            t.elapsed().as_secs_f64()
        );
        let b = normal_rows(2, 0..10_000, d);
        let t = Instant::now();
        let sw = sliced_w2(&rows, n, &b, 10_000, d, 128, 0);
        eprintln!(
            "sliced_w2 {n} vs 10000 x {d}, 128 directions: {:.3} s, {sw:.4}",
            t.elapsed().as_secs_f64()
        );
    }
}
