//! Dense symmetric linear algebra in f64: the eigen-decomposition of a
//! symmetric matrix and the covariance of a set of rows.
//!
//! Everything here is deterministic: work is split into pieces that depend
//! only on the sizes of the problem, never on the number of threads, and
//! partial results are combined in a fixed order.

use rayon::prelude::*;

/// Eigenvalues (descending) and eigenvectors of the symmetric n x n matrix
/// `a` (row-major; only its symmetry is assumed, both triangles are read).
/// Column j of the returned row-major n x n matrix is the unit eigenvector
/// for eigenvalue j, and the columns are orthonormal.
///
/// Householder reduction to tridiagonal form followed by implicit QL
/// iterations with Wilkinson shifts (the tred2/tql2 pair), in parallel
/// over rows (reduction) and column blocks (rotations) for large n; the
/// result does not depend on the thread count. n = 1000 takes about 1.5 s
/// on two cores, n = 784 about 0.75 s.
pub fn sym_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(a.len(), n * n, "sym_eigen: a must be n x n");
    if n == 0 {
        return (Vec::new(), Vec::new());
    }
    let mut work = a.to_vec();
    let (mut diag, mut off) = tridiagonalise(&mut work, n);
    // Rows of `zt` are the columns of the orthogonal Q with A = Q T Qᵀ; the
    // QL rotations then turn them into the eigenvectors of A.
    let mut zt = accumulate_reflections(&work, n);
    tridiagonal_ql(&mut diag, &mut off, Some(&mut zt), n);

    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| diag[j].total_cmp(&diag[i]));
    let values = order.iter().map(|&i| diag[i]).collect();
    let mut vectors = vec![0.0; n * n];
    for (col, &src) in order.iter().enumerate() {
        for (row, &v) in zt[src * n..(src + 1) * n].iter().enumerate() {
            vectors[row * n + col] = v;
        }
    }
    (values, vectors)
}

/// The eigenvalues of the symmetric n x n matrix `a`, descending, without
/// the eigenvectors (about a third of the work of `sym_eigen`).
pub fn sym_eigenvalues(a: &[f64], n: usize) -> Vec<f64> {
    assert_eq!(a.len(), n * n, "sym_eigenvalues: a must be n x n");
    if n == 0 {
        return Vec::new();
    }
    let mut work = a.to_vec();
    let (mut diag, mut off) = tridiagonalise(&mut work, n);
    tridiagonal_ql(&mut diag, &mut off, None, n);
    diag.sort_by(|x, y| y.total_cmp(x));
    diag
}

/// Trailing blocks at least this wide are updated in parallel.
const PAR_MIN: usize = 96;

/// Reduces the symmetric `a` (n x n, row-major, overwritten) to a
/// tridiagonal T = Qᵀ A Q by n - 2 Householder reflections
/// H_k = I - 2 u_k u_kᵀ, where u_k is a unit vector supported on k+1..n.
/// Returns the diagonal of T and its off-diagonal (`off[i]` = T[i][i+1],
/// `off[n-1]` = 0). On return row k of `a` holds u_k in columns k+1..n
/// (zero where no reflection was needed).
fn tridiagonalise(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut diag = vec![0.0; n];
    let mut off = vec![0.0; n];
    let mut p = vec![0.0; n];
    for k in 0..n.saturating_sub(2) {
        let (head, tail) = a.split_at_mut((k + 1) * n);
        let row = &mut head[k * n..];
        diag[k] = row[k];
        let x = &mut row[k + 1..];
        // H x = alpha e_1 with alpha = -sign(x_0) |x| (no cancellation in
        // x_0 - alpha); u = (x - alpha e_1) / |x - alpha e_1|.
        let norm = scaled_norm(x);
        if norm == 0.0 {
            off[k] = 0.0;
            continue;
        }
        let alpha = if x[0] > 0.0 { -norm } else { norm };
        let vnorm = (2.0 * norm * (norm + x[0].abs())).sqrt();
        x[0] -= alpha;
        for v in x.iter_mut() {
            *v /= vnorm;
        }
        off[k] = alpha;
        let u: &[f64] = x;

        // A' <- H A' H = A' - u wᵀ - w uᵀ on the trailing block, with
        // p = 2 A' u and w = p - (uᵀp) u.
        let m = n - k - 1;
        let p = &mut p[..m];
        let matvec = |(pi, r): (&mut f64, &[f64])| *pi = 2.0 * dot(&r[k + 1..], u);
        if m < PAR_MIN {
            p.iter_mut().zip(tail.chunks(n)).for_each(matvec);
        } else {
            p.par_iter_mut()
                .with_min_len(ROWS_PER_TASK)
                .zip(tail.par_chunks(n).with_min_len(ROWS_PER_TASK))
                .for_each(matvec);
        }
        let up = dot(u, p);
        for (pi, &ui) in p.iter_mut().zip(u) {
            *pi -= up * ui;
        }
        let w: &[f64] = p;
        each_row(tail, n, m >= PAR_MIN, |i, r| {
            let (ui, wi) = (u[i], w[i]);
            for ((aij, &uj), &wj) in r[k + 1..].iter_mut().zip(u).zip(w) {
                *aij -= ui * wj + wi * uj;
            }
        });
    }
    if n >= 2 {
        diag[n - 2] = a[(n - 2) * n + n - 2];
        off[n - 2] = a[(n - 2) * n + n - 1];
        a[(n - 2) * n + n - 1] = 0.0;
    }
    diag[n - 1] = a[n * n - 1];
    (diag, off)
}

/// Rows per rayon task in the parallel row loops.
const ROWS_PER_TASK: usize = 16;

/// Calls `f(i, row_i)` for every n-wide row of `rows`: in parallel when
/// `parallel`, else on this thread (small blocks are not worth a trip to
/// the thread pool, which may be busy). Each row sees the same operations
/// either way.
fn each_row<F>(rows: &mut [f64], n: usize, parallel: bool, f: F)
where
    F: Fn(usize, &mut [f64]) + Sync,
{
    if parallel {
        rows.par_chunks_mut(n)
            .with_min_len(ROWS_PER_TASK)
            .enumerate()
            .for_each(|(i, r)| f(i, r));
    } else {
        rows.chunks_mut(n).enumerate().for_each(|(i, r)| f(i, r));
    }
}

/// Qᵀ = H_{n-3} ... H_1 H_0 from the Householder vectors stored in the rows
/// of `a` by `tridiagonalise`, formed by backward accumulation: starting
/// from I, M <- M H_k for k = n-3 down to 0, which only touches the
/// trailing block k+1..n (row-wise: m_i <- m_i - 2 (m_i·u) u).
fn accumulate_reflections(a: &[f64], n: usize) -> Vec<f64> {
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        m[i * n + i] = 1.0;
    }
    for k in (0..n.saturating_sub(2)).rev() {
        let u = &a[k * n + k + 1..(k + 1) * n];
        if u.iter().all(|&v| v == 0.0) {
            continue;
        }
        let width = n - k - 1;
        each_row(&mut m[(k + 1) * n..], n, width >= PAR_MIN, |_, r| {
            let r = &mut r[k + 1..];
            let s = 2.0 * dot(r, u);
            if s != 0.0 {
                for (rj, &uj) in r.iter_mut().zip(u) {
                    *rj -= s * uj;
                }
            }
        });
    }
    m
}

/// Eigenvalues of the symmetric tridiagonal matrix with diagonal `d` and
/// off-diagonal `e` (`e[i]` couples i and i+1; `e[n-1]` is ignored) by
/// implicit QL with Wilkinson shifts. On return `d` holds the eigenvalues
/// (unsorted) and `e` is zero. With `zt`, each plane rotation acting on
/// coordinates (i, i+1) is also applied to rows i and i+1 of `zt`, so if
/// the rows of `zt` were the columns of Q (A = Q T Qᵀ) they end as the
/// eigenvectors of A, row j belonging to `d[j]`.
fn tridiagonal_ql(d: &mut [f64], e: &mut [f64], mut zt: Option<&mut [f64]>, n: usize) {
    const MAX_SWEEPS: usize = 64;
    e[n - 1] = 0.0;
    let mut rotations: Vec<(f64, f64)> = Vec::with_capacity(n);
    for l in 0..n {
        let mut sweeps = 0;
        loop {
            // The first negligible coupling at or after l ends the
            // unreduced block l..=m.
            let mut m = l;
            while m + 1 < n && !negligible(e[m], d[m], d[m + 1]) {
                m += 1;
            }
            if m == l {
                break;
            }
            if sweeps == MAX_SWEEPS {
                // Not expected (QL with Wilkinson shifts converges on
                // symmetric tridiagonals); stop rather than loop forever,
                // e.g. on NaN input, and accept the current d[l].
                e[l] = 0.0;
                break;
            }
            sweeps += 1;

            // Wilkinson shift: the eigenvalue of the leading 2 x 2 block
            // [[d_l, e_l], [e_l, d_l+1]] nearer to d_l.
            let g0 = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let r0 = g0.hypot(1.0);
            let shift = d[l] - e[l] / (g0 + r0.copysign(g0));

            // One QL sweep on T - shift I, chasing the bulge from the
            // bottom of the block to the top. (c, s) rotate coordinates
            // (i, i+1); `p` is the running change of the diagonal.
            let mut g = d[m] - shift;
            let (mut c, mut s, mut p) = (1.0f64, 1.0f64, 0.0f64);
            let mut underflow = false;
            rotations.clear();
            for i in (l..m).rev() {
                let f = s * e[i];
                let b = c * e[i];
                let r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    // The coupling vanished mid-sweep: the block splits.
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    underflow = true;
                    break;
                }
                s = f / r;
                c = g / r;
                let h = d[i + 1] - p;
                let t = (d[i] - h) * s + 2.0 * c * b;
                p = s * t;
                d[i + 1] = h + p;
                g = c * t - b;
                rotations.push((c, s));
            }
            if let Some(zt) = zt.as_deref_mut() {
                apply_rotations(zt, n, m, &rotations);
            }
            if underflow {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
}

/// |e| is negligible next to its neighbours on the diagonal:
/// |e| <= eps (|d_i| + |d_i+1|), or it is below the smallest normal f64.
fn negligible(e: f64, di: f64, dj: f64) -> bool {
    let tst = di.abs() + dj.abs();
    e.abs() <= f64::EPSILON * tst || e.abs() <= f64::MIN_POSITIVE
}

/// Applies the rotations of one sweep (the first on rows m-1, m, the next
/// on m-2, m-1, ...) to the rows of `zt`: row i <- c row_i - s row_i+1,
/// row i+1 <- s row_i + c row_i+1. Columns are independent, so blocks of
/// columns go to rayon tasks, and each element sees the same operations in
/// the same order whatever the thread count.
fn apply_rotations(zt: &mut [f64], n: usize, m: usize, rotations: &[(f64, f64)]) {
    const COLS: usize = 64;
    if rotations.is_empty() {
        return;
    }
    let first = m - rotations.len();
    let rows = &mut zt[first * n..(m + 1) * n];
    let width = if rotations.len() * n < 32 * 1024 {
        n
    } else {
        COLS
    };
    // Column block b of every row, as disjoint slices.
    let mut blocks: Vec<Vec<&mut [f64]>> = (0..n.div_ceil(width)).map(|_| Vec::new()).collect();
    for row in rows.chunks_mut(n) {
        for (block, piece) in blocks.iter_mut().zip(row.chunks_mut(width)) {
            block.push(piece);
        }
    }
    let rotate = |block: &mut Vec<&mut [f64]>| {
        for (step, &(c, s)) in rotations.iter().enumerate() {
            let i = m - 1 - step - first;
            let (top, bottom) = block.split_at_mut(i + 1);
            for (a, b) in top[i].iter_mut().zip(bottom[0].iter_mut()) {
                let (x, y) = (*a, *b);
                *a = c * x - s * y;
                *b = s * x + c * y;
            }
        }
    };
    if blocks.len() == 1 {
        rotate(&mut blocks[0]);
    } else {
        blocks.par_iter_mut().for_each(rotate);
    }
}

/// Σ a_i b_i in four interleaved f64 partial sums (vectorisable, and a
/// fixed summation order).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for t in 0..4 {
            acc[t] += x[t] * y[t];
        }
    }
    let tail: f64 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Out = A B for row-major A (n x m) and B (m x p), in parallel over the
/// rows of the result.
pub(crate) fn matmul(a: &[f64], b: &[f64], n: usize, m: usize, p: usize) -> Vec<f64> {
    assert_eq!(a.len(), n * m);
    assert_eq!(b.len(), m * p);
    let mut out = vec![0.0f64; n * p];
    if p == 0 {
        return out;
    }
    out.par_chunks_mut(p)
        .zip(a.par_chunks(m.max(1)))
        .for_each(|(row, ai)| {
            for (l, &x) in ai.iter().enumerate() {
                if x != 0.0 {
                    for (o, &y) in row.iter_mut().zip(&b[l * p..(l + 1) * p]) {
                        *o += x * y;
                    }
                }
            }
        });
    out
}

/// Transpose of the row-major n x m matrix `a`.
pub(crate) fn transpose(a: &[f64], n: usize, m: usize) -> Vec<f64> {
    let mut out = vec![0.0f64; n * m];
    for i in 0..n {
        for j in 0..m {
            out[j * n + i] = a[i * m + j];
        }
    }
    out
}

/// |x| without overflow or underflow for extreme entries.
fn scaled_norm(x: &[f64]) -> f64 {
    let scale = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale
        * x.iter()
            .map(|v| (v / scale) * (v / scale))
            .sum::<f64>()
            .sqrt()
}

/// Rows centred and multiplied together at a time (one packed block).
const BLOCK_ROWS: usize = 256;
/// Side of the square tiles of the covariance accumulated in registers.
const TILE: usize = 4;
/// The rows are cut into at most this many parts, each summed on its own.
const MAX_PARTS: usize = 32;
/// Memory allowed for the per-part partial sums, in bytes.
const PARTS_BYTES: usize = 256 << 20;

/// Mean and covariance (divisor n - 1) of the n rows of `rows` (n x d,
/// row-major). Returns (mean, d x d covariance row-major). With n = 0 the
/// mean is zero; with n < 2 the covariance is zero.
///
/// Two passes in f64: the mean, then the upper triangle of XᵀX for the
/// centred rows, accumulated over blocks of rows in 4 x 4 register tiles
/// from a packed copy of each block, in parallel over fixed parts of the
/// rows. The parts depend only on (n, d), and their sums are added in
/// order, so the result does not depend on the thread count.
pub fn covariance(rows: &[f32], n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    covariance_of(rows, n, d)
}

/// `covariance` for any element type that widens to f64.
pub(crate) fn covariance_of<T>(rows: &[T], n: usize, d: usize) -> (Vec<f64>, Vec<f64>)
where
    T: Copy + Into<f64> + Sync,
{
    assert_eq!(rows.len(), n * d, "covariance: rows must be n x d");
    if d == 0 {
        return (Vec::new(), Vec::new());
    }
    let panels = d.div_ceil(TILE);
    let tiles = panels * (panels + 1) / 2;
    let part_bytes = tiles * TILE * TILE * 8;
    let max_parts = (PARTS_BYTES / part_bytes).clamp(1, MAX_PARTS);
    let parts = n.div_ceil(8 * BLOCK_ROWS).clamp(1, max_parts);
    let part_rows = n.div_ceil(parts).div_ceil(BLOCK_ROWS).max(1) * BLOCK_ROWS;
    let chunk = part_rows * d;

    let mut mean = vec![0.0f64; d];
    let sums: Vec<Vec<f64>> = rows
        .par_chunks(chunk)
        .map(|part| {
            let mut s = vec![0.0f64; d];
            for row in part.chunks_exact(d) {
                for (acc, &v) in s.iter_mut().zip(row) {
                    *acc += v.into();
                }
            }
            s
        })
        .collect();
    for s in &sums {
        for (m, v) in mean.iter_mut().zip(s) {
            *m += v;
        }
    }
    if n > 0 {
        for m in mean.iter_mut() {
            *m /= n as f64;
        }
    }
    let mut cov = vec![0.0f64; d * d];
    if n < 2 {
        return (mean, cov);
    }

    let partials: Vec<Vec<[f64; TILE * TILE]>> = rows
        .par_chunks(chunk)
        .map(|part| {
            let mut acc = vec![[0.0f64; TILE * TILE]; tiles];
            let mut packed = vec![0.0f64; panels * BLOCK_ROWS * TILE];
            for block in part.chunks(BLOCK_ROWS * d) {
                let r = block.len() / d;
                pack_centred(block, &mean, d, r, &mut packed);
                accumulate_tiles(&packed[..panels * r * TILE], panels, r, &mut acc);
            }
            acc
        })
        .collect();
    let mut total = vec![[0.0f64; TILE * TILE]; tiles];
    for part in &partials {
        for (t, p) in total.iter_mut().zip(part) {
            for (x, y) in t.iter_mut().zip(p) {
                *x += y;
            }
        }
    }

    let scale = 1.0 / (n - 1) as f64;
    let mut t = 0;
    for ip in 0..panels {
        for jp in ip..panels {
            let tile = &total[t];
            t += 1;
            for a in 0..TILE {
                let i = ip * TILE + a;
                if i >= d {
                    break;
                }
                for b in 0..TILE {
                    let j = jp * TILE + b;
                    if j >= d {
                        break;
                    }
                    if j >= i {
                        let v = tile[a * TILE + b] * scale;
                        cov[i * d + j] = v;
                        cov[j * d + i] = v;
                    }
                }
            }
        }
    }
    (mean, cov)
}

/// Copies `r` rows of `block` (r x d), centred, into panels of TILE
/// columns: panel p holds columns p*TILE.. as r consecutive TILE-vectors;
/// columns past d are zero.
fn pack_centred<T: Copy + Into<f64>>(
    block: &[T],
    mean: &[f64],
    d: usize,
    r: usize,
    out: &mut [f64],
) {
    let panels = d.div_ceil(TILE);
    for (row_idx, row) in block.chunks_exact(d).enumerate() {
        for p in 0..panels {
            let dst = &mut out[(p * r + row_idx) * TILE..(p * r + row_idx + 1) * TILE];
            for (t, slot) in dst.iter_mut().enumerate() {
                let j = p * TILE + t;
                *slot = if j < d { row[j].into() - mean[j] } else { 0.0 };
            }
        }
    }
}

/// acc[tile(ip, jp)] += (panel ip)ᵀ (panel jp) for ip <= jp, tiles in
/// row-major upper-triangular order.
fn accumulate_tiles(packed: &[f64], panels: usize, r: usize, acc: &mut [[f64; TILE * TILE]]) {
    let mut t = 0;
    for ip in 0..panels {
        let a = &packed[ip * r * TILE..(ip + 1) * r * TILE];
        for jp in ip..panels {
            let b = &packed[jp * r * TILE..(jp + 1) * r * TILE];
            let sum = tile_product(a, b);
            for (x, y) in acc[t].iter_mut().zip(&sum) {
                *x += y;
            }
            t += 1;
        }
    }
}

/// Σ_r a_r b_rᵀ for two panels of TILE-vectors, in 16 accumulators.
#[inline(always)]
fn tile_product(a: &[f64], b: &[f64]) -> [f64; TILE * TILE] {
    let mut acc = [0.0f64; TILE * TILE];
    for (x, y) in a.chunks_exact(TILE).zip(b.chunks_exact(TILE)) {
        for i in 0..TILE {
            for j in 0..TILE {
                acc[i * TILE + j] += x[i] * y[j];
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use geotraj_data::rng::{normal, normal_rows};
    use std::time::Instant;

    /// A random symmetric n x n matrix with standard-normal entries.
    fn random_symmetric(n: usize, seed: u64) -> Vec<f64> {
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in i..n {
                let v = normal(seed, i as u64, j as u64);
                a[i * n + j] = v;
                a[j * n + i] = v;
            }
        }
        a
    }

    fn max_abs(a: &[f64]) -> f64 {
        a.iter().fold(0.0f64, |m, v| m.max(v.abs()))
    }

    /// max |A - V diag(λ) Vᵀ| / max |A| and max |VᵀV - I|.
    fn check(a: &[f64], n: usize, values: &[f64], vectors: &[f64]) -> (f64, f64) {
        assert_eq!(values.len(), n);
        assert_eq!(vectors.len(), n * n);
        for w in values.windows(2) {
            assert!(w[0] >= w[1], "eigenvalues not descending: {values:?}");
        }
        let scale = max_abs(a).max(f64::MIN_POSITIVE);
        let mut recon = 0.0f64;
        let mut ortho = 0.0f64;
        for i in 0..n {
            for j in 0..n {
                let r: f64 = (0..n)
                    .map(|l| vectors[i * n + l] * values[l] * vectors[j * n + l])
                    .sum();
                recon = recon.max((r - a[i * n + j]).abs() / scale);
                let g: f64 = (0..n)
                    .map(|l| vectors[l * n + i] * vectors[l * n + j])
                    .sum();
                let want = if i == j { 1.0 } else { 0.0 };
                ortho = ortho.max((g - want).abs());
            }
        }
        (recon, ortho)
    }

    #[test]
    fn random_symmetric_matrices_reconstruct() {
        for (n, seed) in [(1, 1), (2, 2), (5, 3), (50, 4), (200, 5)] {
            let a = random_symmetric(n, seed);
            let (values, vectors) = sym_eigen(&a, n);
            let (recon, ortho) = check(&a, n, &values, &vectors);
            assert!(recon < 1e-10, "n = {n}: reconstruction error {recon:e}");
            assert!(ortho < 1e-10, "n = {n}: orthonormality error {ortho:e}");
            let only = sym_eigenvalues(&a, n);
            for (x, y) in only.iter().zip(&values) {
                assert!((x - y).abs() <= 1e-10 * max_abs(&values), "n = {n}");
            }
        }
    }

    #[test]
    fn trace_and_scale_of_a_large_matrix() {
        // Eigenvalues sum to the trace; scaling A scales them.
        let n = 120;
        let a = random_symmetric(n, 9);
        let (values, _) = sym_eigen(&a, n);
        let trace: f64 = (0..n).map(|i| a[i * n + i]).sum();
        let sum: f64 = values.iter().sum();
        assert!((trace - sum).abs() < 1e-10 * n as f64);
        let big: Vec<f64> = a.iter().map(|v| v * 1e12).collect();
        let (big_values, big_vectors) = sym_eigen(&big, n);
        for (x, y) in big_values.iter().zip(&values) {
            assert!((x / 1e12 - y).abs() < 1e-10 * max_abs(&values));
        }
        let (recon, ortho) = check(&big, n, &big_values, &big_vectors);
        assert!(recon < 1e-10 && ortho < 1e-10, "{recon:e} {ortho:e}");
    }

    #[test]
    fn second_difference_matrix_has_known_eigenvalues() {
        for n in [1, 2, 3, 10, 64, 101] {
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                a[i * n + i] = 2.0;
                if i + 1 < n {
                    a[i * n + i + 1] = -1.0;
                    a[(i + 1) * n + i] = -1.0;
                }
            }
            let (values, vectors) = sym_eigen(&a, n);
            let np1 = (n + 1) as f64;
            for (idx, v) in values.iter().enumerate() {
                // Descending order: the largest is k = n.
                let k = (n - idx) as f64;
                let want = 2.0 - 2.0 * (k * std::f64::consts::PI / np1).cos();
                assert!((v - want).abs() < 1e-12, "n = {n}, k = {k}: {v} vs {want}");
            }
            let (recon, ortho) = check(&a, n, &values, &vectors);
            assert!(
                recon < 1e-12 && ortho < 1e-12,
                "n = {n}: {recon:e} {ortho:e}"
            );
        }
    }

    #[test]
    fn repeated_eigenvalues() {
        // The identity: every unit basis is an eigenbasis.
        let n = 7;
        let mut id = vec![0.0; n * n];
        for i in 0..n {
            id[i * n + i] = 1.0;
        }
        let (values, vectors) = sym_eigen(&id, n);
        assert!(values.iter().all(|&v| (v - 1.0).abs() < 1e-15));
        let (recon, ortho) = check(&id, n, &values, &vectors);
        assert!(recon < 1e-14 && ortho < 1e-14);

        // A diagonal with repeats, then the same spectrum in a rotated basis.
        let diag = [3.0f64, 1.0, 3.0, -2.0, 1.0, 3.0, 0.0, 0.0];
        let n = diag.len();
        let mut a = vec![0.0; n * n];
        for (i, &v) in diag.iter().enumerate() {
            a[i * n + i] = v;
        }
        let mut want = diag.to_vec();
        want.sort_by(|x, y| y.total_cmp(x));
        let (values, vectors) = sym_eigen(&a, n);
        assert_eq!(values, want);
        let (recon, ortho) = check(&a, n, &values, &vectors);
        assert!(recon < 1e-14 && ortho < 1e-14);

        let (_, q) = sym_eigen(&random_symmetric(n, 11), n);
        let qd: Vec<f64> = (0..n * n).map(|t| q[t] * diag[t % n]).collect();
        let rotated = matmul(&qd, &transpose(&q, n, n), n, n, n);
        let (values, vectors) = sym_eigen(&rotated, n);
        for (v, w) in values.iter().zip(&want) {
            assert!((v - w).abs() < 1e-12, "{values:?}");
        }
        let (recon, ortho) = check(&rotated, n, &values, &vectors);
        assert!(recon < 1e-12 && ortho < 1e-12, "{recon:e} {ortho:e}");
    }

    #[test]
    fn zero_and_already_tridiagonal_matrices() {
        let n = 6;
        let (values, vectors) = sym_eigen(&vec![0.0; n * n], n);
        assert!(values.iter().all(|&v| v == 0.0));
        let (_, ortho) = check(&vec![0.0; n * n], n, &values, &vectors);
        assert!(ortho < 1e-15);
        // Block diagonal: the tridiagonal splits into independent blocks.
        let mut a = vec![0.0; n * n];
        for (i, j, v) in [
            (0, 1, 1.0),
            (1, 0, 1.0),
            (3, 4, 2.0),
            (4, 3, 2.0),
            (5, 5, 4.0),
        ] {
            a[i * n + j] = v;
        }
        let (values, vectors) = sym_eigen(&a, n);
        assert_eq!(values.len(), n);
        let (recon, ortho) = check(&a, n, &values, &vectors);
        assert!(recon < 1e-14 && ortho < 1e-14, "{recon:e} {ortho:e}");
        let want = [4.0, 2.0, 1.0, 0.0, -1.0, -2.0];
        for (v, w) in values.iter().zip(want) {
            assert!((v - w).abs() < 1e-14, "{values:?}");
        }
    }

    #[test]
    fn eigen_does_not_depend_on_thread_count() {
        let n = 300;
        let a = random_symmetric(n, 21);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| sym_eigen(&a, n))
        };
        assert_eq!(run(1), run(2));
    }

    /// Plain two-pass covariance for comparison.
    fn naive_covariance(rows: &[f32], n: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
        let mut mean = vec![0.0; d];
        for r in rows.chunks_exact(d) {
            for (m, &v) in mean.iter_mut().zip(r) {
                *m += v as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut cov = vec![0.0; d * d];
        for r in rows.chunks_exact(d) {
            for i in 0..d {
                for j in 0..d {
                    cov[i * d + j] += (r[i] as f64 - mean[i]) * (r[j] as f64 - mean[j]);
                }
            }
        }
        cov.iter_mut().for_each(|c| *c /= (n - 1) as f64);
        (mean, cov)
    }

    #[test]
    fn covariance_matches_the_plain_sum() {
        // Sizes that are not multiples of the tile or block, and one with
        // several parts.
        for (n, d) in [(2, 1), (3, 5), (257, 7), (1000, 13), (5000, 9)] {
            let mut rows = normal_rows(3, 0..n, d);
            // An offset far from zero checks the centring.
            for (t, v) in rows.iter_mut().enumerate() {
                *v = *v * (1.0 + (t % d) as f32) + 100.0;
            }
            let (mean, cov) = covariance(&rows, n, d);
            let (want_mean, want_cov) = naive_covariance(&rows, n, d);
            for (x, y) in mean.iter().zip(&want_mean) {
                assert!((x - y).abs() < 1e-10, "n = {n}, d = {d}");
            }
            for (x, y) in cov.iter().zip(&want_cov) {
                assert!((x - y).abs() < 1e-9, "n = {n}, d = {d}: {x} vs {y}");
            }
            for i in 0..d {
                for j in 0..d {
                    assert_eq!(cov[i * d + j], cov[j * d + i]);
                }
            }
        }
    }

    #[test]
    fn covariance_of_tiny_inputs() {
        let (mean, cov) = covariance(&[1.0, 2.0], 1, 2);
        assert_eq!(mean, vec![1.0, 2.0]);
        assert_eq!(cov, vec![0.0; 4]);
        let (mean, cov) = covariance(&[], 0, 3);
        assert_eq!(mean, vec![0.0; 3]);
        assert_eq!(cov, vec![0.0; 9]);
        let (mean, cov) = covariance(&[], 4, 0);
        assert!(mean.is_empty() && cov.is_empty());
    }

    #[test]
    fn covariance_does_not_depend_on_thread_count() {
        let (n, d) = (20_000, 30);
        let rows = normal_rows(5, 0..n, d);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| covariance(&rows, n, d))
        };
        assert_eq!(run(1), run(2));
    }

    /// Timing at Fashion-MNIST's size: `cargo test --release -p
    /// geotraj-metrics --lib -- --ignored --nocapture timing`.
    #[test]
    #[ignore]
    fn timing_covariance_and_eigen() {
        let (n, d) = (60_000, 784);
        let rows = normal_rows(1, 0..n, d);
        let t = Instant::now();
        let (_, cov) = covariance(&rows, n, d);
        eprintln!("covariance {n} x {d}: {:.3} s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        let (values, _) = sym_eigen(&cov, d);
        eprintln!("sym_eigen {d}: {:.3} s", t.elapsed().as_secs_f64());
        // Marchenko–Pastur: the spectrum of white noise at d / n = 0.013
        // lies in about [0.79, 1.24].
        assert!(
            values[0] < 1.3 && values[d - 1] > 0.7,
            "{} {}",
            values[0],
            values[d - 1]
        );
        for n in [500, 1000] {
            let a = random_symmetric(n, 7);
            let t = Instant::now();
            let _ = sym_eigen(&a, n);
            eprintln!("sym_eigen {n}: {:.3} s", t.elapsed().as_secs_f64());
            let t = Instant::now();
            let _ = sym_eigenvalues(&a, n);
            eprintln!("sym_eigenvalues {n}: {:.3} s", t.elapsed().as_secs_f64());
        }
    }
}
