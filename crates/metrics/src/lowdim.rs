//! Low-dimensional structure of sampling trajectories (Chen et al., AMED,
//! GITS: a trajectory x_0 .. x_N lives near a 2-3 dimensional subspace).
//!
//! * [`trajectory_pca`]: PCA of one trajectory's states, explained-variance
//!   ratios of the top 1-3 components and the per-point error of the top-2
//!   reconstruction.
//! * [`view3d`]: a 3-D view of one trajectory anchored at x_0, axis 1 along
//!   the chord, axes 2-3 the top principal directions of what the chord
//!   does not explain.
//! * [`joint_view3d`]: the same view with axes shared by many trajectories.
//!
//! All sums are in f64. The principal directions of m points in R^d come
//! from the smaller of two symmetric eigenproblems: the m x m Gram matrix
//! G = R Rᵀ (directions Rᵀ v_k / sqrt(λ_k)) when m <= d, which is the usual
//! case (tens of points, hundreds or thousands of dimensions), else the
//! d x d second-moment matrix Rᵀ R, whose eigenvectors are the directions.
//! Both have the same nonzero eigenvalues; the smaller one is cheaper
//! (O(min(m, d)^3) for the eigensolver) and equally accurate here.

use crate::linalg::{matmul, sym_eigen, transpose};
use crate::vec::{dot, norm, unit};
use geotraj_sampling::Trajectories;

/// PCA of one trajectory's states x_0..x_N (N+1 points in R^d), computed
/// through the small (N+1)x(N+1) Gram matrix of the centred states, never
/// a d x d one (when d < N+1, through the even smaller d x d covariance
/// instead; the results are the same).
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryPca {
    /// Explained-variance ratios of the top 1, 2, 3 components
    /// (cumulative: top-1, top-1+2, top-1+2+3). Components that do not
    /// exist (fewer than 3 points or d < 3) count as zero variance; NaN
    /// when the total variance is zero.
    pub explained: [f64; 3],
    /// Per point n: |x_n - x~_n| / |x_n|, x~_n the reconstruction from the
    /// mean plus the top-2 components (NaN where |x_n| = 0).
    pub top2_error: Vec<f64>,
}

/// How the principal directions of a set of rows are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Eigenpairs of the m x m Gram matrix R Rᵀ.
    Gram,
    /// Eigenvectors of the d x d matrix Rᵀ R.
    Covariance,
}

impl Route {
    /// The smaller eigenproblem for m rows in R^d.
    fn smaller(m: usize, d: usize) -> Self {
        if m <= d {
            Route::Gram
        } else {
            Route::Covariance
        }
    }
}

/// Principal structure of m rows (m x d, f64, row-major) about the origin
/// (centre them first for ordinary PCA).
struct Principal {
    /// All eigenvalues of RᵀR that the route sees (min(m, d) of them),
    /// descending, negative rounding clamped to zero.
    values: Vec<f64>,
    /// trace(RᵀR) = Σ |r_n|^2, summed directly.
    trace: f64,
    /// Up to `k` orthonormal directions, leading first. A direction whose
    /// share of the spread is negligible (sqrt(λ) <= 1e-12 sqrt(trace)) is
    /// left out, so there may be fewer than k; coordinates on a missing
    /// direction are zero.
    dirs: Vec<Vec<f64>>,
}

/// Relative size (in norm) below which a principal direction is dropped.
const NEGLIGIBLE: f64 = 1e-12;

fn principal(rows: &[f64], m: usize, d: usize, k: usize, route: Route) -> Principal {
    debug_assert_eq!(rows.len(), m * d);
    let trace: f64 = rows.chunks_exact(d.max(1)).map(|r| dot(r, r)).sum();
    if m == 0 || d == 0 {
        return Principal {
            values: Vec::new(),
            trace,
            dirs: Vec::new(),
        };
    }
    let floor = NEGLIGIBLE * trace.sqrt();
    let mut dirs: Vec<Vec<f64>> = Vec::with_capacity(k);
    let values: Vec<f64>;
    match route {
        Route::Gram => {
            let g = matmul(rows, &transpose(rows, m, d), m, d, m);
            let (vals, vecs) = sym_eigen(&g, m);
            values = vals.iter().map(|&v| v.max(0.0)).collect();
            // Direction j ∝ Rᵀ v_j (norm sqrt(λ_j)); re-orthogonalised
            // against the earlier ones (twice, classical Gram-Schmidt) so
            // that projections stay orthogonal when λ_j is tiny.
            for j in 0..k.min(m) {
                if values[j] <= 0.0 {
                    break;
                }
                let mut e = vec![0.0f64; d];
                for (n, r) in rows.chunks_exact(d).enumerate() {
                    let w = vecs[n * m + j];
                    if w != 0.0 {
                        for (ei, &ri) in e.iter_mut().zip(r) {
                            *ei += w * ri;
                        }
                    }
                }
                for _ in 0..2 {
                    for prev in &dirs {
                        let p = dot(&e, prev);
                        for (ei, &qi) in e.iter_mut().zip(prev) {
                            *ei -= p * qi;
                        }
                    }
                }
                let len = norm(&e);
                if len <= floor || !len.is_finite() {
                    break;
                }
                e.iter_mut().for_each(|v| *v /= len);
                dirs.push(e);
            }
        }
        Route::Covariance => {
            let s = matmul(&transpose(rows, m, d), rows, d, m, d);
            let (vals, vecs) = sym_eigen(&s, d);
            values = vals.iter().map(|&v| v.max(0.0)).collect();
            for j in 0..k.min(d) {
                if values[j].sqrt() <= floor {
                    break;
                }
                dirs.push((0..d).map(|i| vecs[i * d + j]).collect());
            }
        }
    }
    Principal {
        values,
        trace,
        dirs,
    }
}

/// The states of trajectory `i` as f64 rows ((steps + 1) x d).
fn states64(t: &Trajectories, i: usize) -> Vec<f64> {
    (0..=t.steps())
        .flat_map(|n| t.state(i, n).iter().map(|&v| v as f64))
        .collect()
}

fn trajectory_pca_with(t: &Trajectories, i: usize, route: Option<Route>) -> TrajectoryPca {
    let (m, d) = (t.steps() + 1, t.d);
    let x = states64(t, i);
    let mut mean = vec![0.0f64; d];
    for r in x.chunks_exact(d.max(1)) {
        for (a, &v) in mean.iter_mut().zip(r) {
            *a += v;
        }
    }
    mean.iter_mut().for_each(|a| *a /= m as f64);
    let mut c = x.clone();
    for r in c.chunks_exact_mut(d.max(1)) {
        for (v, &a) in r.iter_mut().zip(&mean) {
            *v -= a;
        }
    }
    let route = route.unwrap_or(Route::smaller(m, d));
    let p = principal(&c, m, d, 2, route);

    let mut explained = [f64::NAN; 3];
    if p.trace > 0.0 {
        let mut acc = 0.0;
        for (k, e) in explained.iter_mut().enumerate() {
            acc += p.values.get(k).copied().unwrap_or(0.0);
            *e = acc / p.trace;
        }
    }

    let top2_error = (0..m)
        .map(|n| {
            let xn = &x[n * d..(n + 1) * d];
            let cn = &c[n * d..(n + 1) * d];
            let size = norm(xn);
            if size == 0.0 {
                return f64::NAN;
            }
            // The residual c_n - Σ <c_n, e_k> e_k, formed explicitly.
            let mut r = cn.to_vec();
            for e in &p.dirs {
                let a = dot(cn, e);
                for (ri, &ei) in r.iter_mut().zip(e) {
                    *ri -= a * ei;
                }
            }
            norm(&r) / size
        })
        .collect();
    TrajectoryPca {
        explained,
        top2_error,
    }
}

/// PCA of trajectory `i`'s states; see [`TrajectoryPca`].
pub fn trajectory_pca(t: &Trajectories, i: usize) -> TrajectoryPca {
    trajectory_pca_with(t, i, None)
}

/// Displacements x_n - x_0 of trajectory `i`, f64 rows.
fn displacements(t: &Trajectories, i: usize) -> Vec<f64> {
    let x0 = t.state(i, 0);
    (0..=t.steps())
        .flat_map(|n| {
            t.state(i, n)
                .iter()
                .zip(x0)
                .map(|(&a, &b)| a as f64 - b as f64)
        })
        .collect()
}

/// Splits each displacement row into its coordinate on `axis` (None: no
/// axis, coordinate 0) and, in place, the residual orthogonal to it.
fn split_on_axis(rows: &mut [f64], d: usize, axis: Option<&[f64]>) -> Vec<f64> {
    rows.chunks_exact_mut(d.max(1))
        .map(|r| match axis {
            Some(u) => {
                let c = dot(r, u);
                for (v, &ui) in r.iter_mut().zip(u) {
                    *v -= c * ui;
                }
                c
            }
            None => 0.0,
        })
        .collect()
}

/// Coordinates (c1, c2, c3) of the residual rows on the top-2 directions,
/// each direction's sign chosen so that its coordinate of largest
/// magnitude (the first such) is positive.
fn coordinates(c1: &[f64], residuals: &[f64], d: usize, p: &Principal) -> Vec<[f64; 3]> {
    let mut out: Vec<[f64; 3]> = c1.iter().map(|&a| [a, 0.0, 0.0]).collect();
    for (k, e) in p.dirs.iter().take(2).enumerate() {
        let mut best = 0.0f64;
        for (o, r) in out.iter_mut().zip(residuals.chunks_exact(d.max(1))) {
            let v = dot(r, e);
            o[k + 1] = v;
            if v.abs() > best.abs() {
                best = v;
            }
        }
        if best < 0.0 {
            for o in out.iter_mut() {
                o[k + 1] = -o[k + 1];
            }
        }
    }
    out
}

/// The 3-D view of the catalogue: axis 1 = the chord direction
/// u = (x_N - x_0)/|x_N - x_0| (coordinate <x_n - x_0, u>); axes 2 and 3 =
/// the top-2 principal components of the parts of x_n - x_0 orthogonal to
/// u (coordinates of that residual on them).
///
/// The residuals' principal directions are taken about x_0 (the origin of
/// the view), not about their mean: they are the 2-D subspace that loses
/// the least of the residuals, so the view misses as little of the path as
/// any 3-D subspace through x_0 containing u can. A zero chord
/// (x_N = x_0) has no axis 1: c1 = 0 and axes 2-3 describe the whole
/// displacement. Missing components (fewer points or dimensions than
/// needed, or no spread) give zero coordinates.
///
/// Returns per point n the (c1, c2, c3) coordinates. Sign convention: each
/// PC's coordinate of largest magnitude is positive, so results are
/// deterministic.
pub fn view3d(t: &Trajectories, i: usize) -> Vec<[f64; 3]> {
    let (m, d) = (t.steps() + 1, t.d);
    let mut rows = displacements(t, i);
    let axis = unit(&rows[(m - 1) * d..m * d]);
    let c1 = split_on_axis(&mut rows, d, axis.as_deref());
    let p = principal(&rows, m, d, 2, Route::smaller(m, d));
    coordinates(&c1, &rows, d, &p)
}

/// Joint PCA over many trajectories (shared-shape view): the same 3-D view
/// as [`view3d`] but with axes from all trajectories together: axis 1 = the
/// mean chord direction (normalised mean of the unit chords; trajectories
/// with a zero chord do not contribute, and if the mean is zero c1 = 0),
/// axes 2-3 = the top-2 principal directions (about each trajectory's x_0,
/// as in [`view3d`]) of all residuals (x_n - x_0 minus its component on
/// axis 1) pooled over trajectories.
///
/// With M = points x trajectories pooled residuals, the directions come
/// from the M x M Gram matrix when M <= d and otherwise from the d x d
/// matrix Σ r rᵀ built in f64: both give the same directions, and the
/// smaller matrix is the cheaper eigenproblem (the cost is
/// O(min(M, d)^3), plus O(M d min(M, d)) to form it).
///
/// Returns coordinates per trajectory per point, trajectory-major (the
/// order of `trajectories`). Signs as in [`view3d`], over all points.
pub fn joint_view3d(t: &Trajectories, trajectories: &[usize]) -> Vec<[f64; 3]> {
    let (m, d) = (t.steps() + 1, t.d);
    let mut rows: Vec<f64> = Vec::with_capacity(trajectories.len() * m * d);
    let mut chord_sum = vec![0.0f64; d];
    for &i in trajectories {
        let disp = displacements(t, i);
        if let Some(u) = unit(&disp[(m - 1) * d..m * d]) {
            for (s, v) in chord_sum.iter_mut().zip(&u) {
                *s += v;
            }
        }
        rows.extend_from_slice(&disp);
    }
    let axis = unit(&chord_sum);
    let c1 = split_on_axis(&mut rows, d, axis.as_deref());
    let total = trajectories.len() * m;
    let p = principal(&rows, total, d, 2, Route::smaller(total, d));
    coordinates(&c1, &rows, d, &p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::{covariance, sym_eigenvalues};
    use geotraj_data::rng::{normal, normal_rows};

    /// Trajectories from states (n x points x d, row-major).
    fn trajectories(n: usize, points: usize, d: usize, states: Vec<f32>) -> Trajectories {
        assert_eq!(states.len(), n * points * d);
        Trajectories {
            n,
            d,
            sigmas: (0..points).map(|k| (points - k) as f64).collect(),
            states,
            evals: vec![],
            eval_sigma: vec![],
            eval_step: vec![],
            eval_at_state: vec![],
        }
    }

    /// Orthonormal columns q_0..q_{k-1} in R^d from random normals.
    fn orthonormal(d: usize, k: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut qs: Vec<Vec<f64>> = Vec::new();
        for j in 0..k {
            let mut v: Vec<f64> = (0..d).map(|i| normal(seed, j as u64, i as u64)).collect();
            for _ in 0..2 {
                for q in &qs {
                    let p = dot(&v, q);
                    v.iter_mut().zip(q).for_each(|(a, b)| *a -= p * b);
                }
            }
            qs.push(unit(&v).unwrap());
        }
        qs
    }

    fn max_abs(v: impl IntoIterator<Item = f64>) -> f64 {
        v.into_iter().fold(0.0, |m, x| m.max(x.abs()))
    }

    #[test]
    fn pca_matches_the_covariance_eigenproblem() {
        let points = 8;
        for (d, seed) in [(5, 1), (40, 2), (3, 3), (8, 4)] {
            let mut states = normal_rows(seed, 0..points, d);
            // Unequal spread per coordinate and an offset.
            for (k, v) in states.iter_mut().enumerate() {
                *v = *v * (1.0 + (k % d) as f32 * 0.7) + 3.0;
            }
            let t = trajectories(1, points, d, states.clone());
            let (_, cov) = covariance(&states, points, d);
            let (vals, vecs) = sym_eigen(&cov, d);
            let all = sym_eigenvalues(&cov, d);
            let total: f64 = all.iter().sum();
            let mut want = [0.0; 3];
            let mut acc = 0.0;
            for (k, w) in want.iter_mut().enumerate() {
                acc += all.get(k).copied().unwrap_or(0.0).max(0.0);
                *w = acc / total;
            }
            // Top-2 reconstruction through the covariance's eigenvectors.
            let mean: Vec<f64> = (0..d)
                .map(|j| (0..points).map(|n| states[n * d + j] as f64).sum::<f64>() / points as f64)
                .collect();
            let e: Vec<Vec<f64>> = (0..2)
                .map(|k| (0..d).map(|i| vecs[i * d + k]).collect())
                .collect();
            assert!(vals[1] > 1e-6 * vals[0]);
            let want_err: Vec<f64> = (0..points)
                .map(|n| {
                    let x: Vec<f64> = states[n * d..(n + 1) * d]
                        .iter()
                        .map(|&v| v as f64)
                        .collect();
                    let c: Vec<f64> = x.iter().zip(&mean).map(|(a, b)| a - b).collect();
                    let (a0, a1) = (dot(&c, &e[0]), dot(&c, &e[1]));
                    let r: Vec<f64> = (0..d).map(|i| c[i] - a0 * e[0][i] - a1 * e[1][i]).collect();
                    norm(&r) / norm(&x)
                })
                .collect();
            for route in [None, Some(Route::Gram), Some(Route::Covariance)] {
                let got = trajectory_pca_with(&t, 0, route);
                for (g, w) in got.explained.iter().zip(&want) {
                    assert!((g - w).abs() <= 1e-9 * w, "d = {d}, {route:?}: {g} vs {w}");
                }
                assert_eq!(got.top2_error.len(), points);
                for (g, w) in got.top2_error.iter().zip(&want_err) {
                    assert!((g - w).abs() <= 1e-9 * w.max(1e-3), "d = {d}: {g} vs {w}");
                }
            }
            if d < 3 {
                assert_eq!(trajectory_pca(&t, 0).explained[2], 1.0);
            }
        }
    }

    #[test]
    fn planar_trajectory_has_two_components() {
        let (d, points) = (10, 9);
        let q = orthonormal(d, 3, 7);
        let mut states = Vec::new();
        for n in 0..points {
            let (a, b) = (normal(8, 0, n as u64), normal(8, 1, n as u64));
            for ((q0, q1), q2) in q[0].iter().zip(&q[1]).zip(&q[2]) {
                states.push((0.8 * q2 + a * q0 + 0.5 * b * q1) as f32);
            }
        }
        let t = trajectories(1, points, d, states);
        for route in [Route::Gram, Route::Covariance] {
            let p = trajectory_pca_with(&t, 0, Some(route));
            assert!(p.explained[0] < 0.99, "{:?}", p.explained);
            assert!((p.explained[1] - 1.0).abs() < 1e-12, "{:?}", p.explained);
            assert!((p.explained[2] - 1.0).abs() < 1e-12, "{:?}", p.explained);
            // f32 storage leaves a residual of the order of its rounding.
            assert!(
                max_abs(p.top2_error.iter().copied()) < 1e-6,
                "{:?}",
                p.top2_error
            );
        }
    }

    #[test]
    fn degenerate_pca_does_not_panic() {
        // One point: no variance.
        let t = trajectories(1, 1, 4, vec![1.0, 2.0, 0.0, 0.0]);
        let p = trajectory_pca(&t, 0);
        assert!(p.explained.iter().all(|v| v.is_nan()));
        assert_eq!(p.top2_error, vec![0.0]);
        // Constant trajectory, one at the origin.
        let t = trajectories(1, 3, 2, vec![0.0; 6]);
        let p = trajectory_pca(&t, 0);
        assert!(p.explained.iter().all(|v| v.is_nan()));
        assert!(p.top2_error.iter().all(|v| v.is_nan()));
        // Two points in d = 1: one component carries everything.
        let t = trajectories(1, 2, 1, vec![1.0, 3.0]);
        let p = trajectory_pca(&t, 0);
        assert_eq!(p.explained, [1.0, 1.0, 1.0]);
        assert_eq!(p.top2_error, vec![0.0, 0.0]);
        // Views of the same inputs.
        assert_eq!(view3d(&t, 0), vec![[0.0; 3], [2.0, 0.0, 0.0]]);
        let t = trajectories(1, 3, 2, vec![0.0; 6]);
        assert_eq!(view3d(&t, 0), vec![[0.0; 3]; 3]);
        assert_eq!(joint_view3d(&t, &[0, 0]), vec![[0.0; 3]; 6]);
        assert!(joint_view3d(&t, &[]).is_empty());
    }

    /// An arc x_n = x_0 + R (sin θ_n, 1 - cos θ_n) in coordinates (a, b),
    /// plus a random x_0 elsewhere: exactly planar in f32 arithmetic.
    fn arc(d: usize, points: usize, (a, b): (usize, usize), seed: u64) -> Vec<f32> {
        let x0 = normal_rows(seed, 0..1, d);
        let mut states = Vec::new();
        for n in 0..points {
            let theta = 2.0 * n as f64 / (points - 1) as f64;
            let mut x = x0.clone();
            x[a] += (3.0 * theta.sin()) as f32;
            x[b] += (3.0 * (1.0 - theta.cos())) as f32;
            states.extend(x);
        }
        states
    }

    #[test]
    fn view_of_a_planar_curve_is_flat() {
        let (d, points) = (12, 11);
        let states = arc(d, points, (3, 7), 5);
        let t = trajectories(1, points, d, states);
        let chord = norm(&displacements(&t, 0)[(points - 1) * d..]);
        let v = view3d(&t, 0);
        assert_eq!(v.len(), points);
        assert_eq!(v[0], [0.0; 3]);
        assert!((v[points - 1][0] - chord).abs() <= 1e-12 * chord);
        assert!(max_abs(v.iter().map(|c| c[2])) <= 1e-9 * chord, "{v:?}");
        // The bulge of the arc is on axis 2, positive by the sign rule.
        assert!(v[points / 2][1] > 0.5);
        assert!(v.iter().all(|c| c[1] >= -1e-9 * chord));
        // Distances from x_0 are preserved (the view loses nothing).
        let disp = displacements(&t, 0);
        for (n, c) in v.iter().enumerate() {
            let want = norm(&disp[n * d..(n + 1) * d]);
            let got = (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
            assert!((got - want).abs() <= 1e-9 * chord);
        }
        // A low-dimensional state space takes the d x d route.
        let t = trajectories(1, points, 3, arc(3, points, (0, 2), 6));
        let v = view3d(&t, 0);
        assert!(max_abs(v.iter().map(|c| c[2])) <= 1e-9, "{v:?}");
    }

    #[test]
    fn view_of_a_straight_line_has_no_bulge() {
        let (d, points) = (20, 7);
        let x0 = normal_rows(9, 0..1, d);
        let mut states = Vec::new();
        for n in 0..points {
            // Unevenly spaced points on the line through x_0 along e_4.
            let mut x = x0.clone();
            x[4] += (n * n) as f32 * 0.25;
            states.extend(x);
        }
        let t = trajectories(1, points, d, states);
        let v = view3d(&t, 0);
        let disp = displacements(&t, 0);
        for (n, c) in v.iter().enumerate() {
            // c1 is the (f32-rounded) displacement along e_4.
            assert!((c[0] - disp[n * d + 4]).abs() < 1e-12, "{v:?}");
            assert!((c[0] - (n * n) as f64 * 0.25).abs() < 1e-5, "{v:?}");
            assert_eq!((c[1], c[2]), (0.0, 0.0));
        }
    }

    #[test]
    fn joint_view_of_shared_shapes() {
        let (d, points) = (12, 11);
        let one = arc(d, points, (3, 7), 5);
        let mut states = one.clone();
        states.extend(&one);
        let t = trajectories(2, points, d, states);
        let single = view3d(&t, 0);
        let joint = joint_view3d(&t, &[0, 1]);
        assert_eq!(joint.len(), 2 * points);
        let chord = single[points - 1][0];
        for (j, s) in joint.iter().zip(single.iter().chain(&single)) {
            assert!(j[2].abs() <= 1e-9 * chord, "{joint:?}");
            for k in 0..3 {
                assert!((j[k] - s[k]).abs() <= 1e-9 * chord, "{j:?} vs {s:?}");
            }
        }
        // Two points x 2 trajectories > d = 3: the d x d route.
        let mut states = arc(3, points, (0, 1), 2);
        states.extend(arc(3, points, (0, 1), 3));
        let t = trajectories(2, points, 3, states);
        let joint = joint_view3d(&t, &[1, 0]);
        assert!(max_abs(joint.iter().map(|c| c[2])) <= 1e-9, "{joint:?}");
    }

    #[test]
    fn joint_view_of_rotated_copies_in_three_dimensions() {
        let (d, points, copies) = (16, 9, 4);
        let q = orthonormal(d, 3, 11);
        let mut states = Vec::new();
        for c in 0..copies {
            let phi = c as f64 * 0.7;
            let (cs, sn) = (phi.cos(), phi.sin());
            for n in 0..points {
                let s = n as f64 / (points - 1) as f64;
                // A bent path in the (u, v, w) frame, rotated about w.
                let (u, v, w) = (4.0 * s, (3.0 * s).sin(), s * (1.0 - s));
                let (u, v) = (cs * u - sn * v, sn * u + cs * v);
                for ((q0, q1), q2) in q[0].iter().zip(&q[1]).zip(&q[2]) {
                    states.push((1.0 + u * q0 + v * q1 + w * q2) as f32);
                }
            }
        }
        let t = trajectories(copies, points, d, states);
        let all: Vec<usize> = (0..copies).collect();
        let joint = joint_view3d(&t, &all);
        assert_eq!(joint.len(), copies * points);
        assert!(joint.iter().flatten().all(|v| v.is_finite()));
        // The three axes span the paths' subspace: distances from x_0 are
        // kept (to f32 rounding).
        for (k, c) in joint.iter().enumerate() {
            let (i, n) = (k / points, k % points);
            let disp = displacements(&t, i);
            let want = norm(&disp[n * d..(n + 1) * d]);
            let got = (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
            assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        }
        // Each copy's own view is finite too, and first points sit at 0.
        for i in 0..copies {
            let v = view3d(&t, i);
            assert_eq!(v[0], [0.0; 3]);
            assert!(v.iter().flatten().all(|x| x.is_finite()));
        }
    }
}
