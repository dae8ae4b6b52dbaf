//! Exact nearest and second-nearest data points of a batch of states, on any
//! burn device.
//!
//! The blocked score GEMM (shared with the optimal denoiser) only screens.
//! Let e bound every approximate score's error for the row, a and b be the
//! true nearest and second-nearest points (exact scores s_a >= s_b >= the
//! rest) and S2 the second-largest approximate score. S2 is at most the
//! largest approximate score of the points other than a, so S2 <= s_b + e,
//! and s~_a, s~_b >= s_b - e >= S2 - 2e: both lie in the window
//! [S2 - 2e, inf). Every point in it is re-scored as |x - y|^2 in f64, and
//! the two smallest win, ties going to the lower index: f32 cancellation
//! never picks a winner.

use crate::blocked::{Anchor, DataBlocks, Screened, exact_sq_dist};
use crate::prune::{KEEP, Proof, PruneCounts};
use geotraj_data::Dataset;
use geotraj_sampling::{Device, host};
use rayon::prelude::*;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The answer for one state; shared with the measures built on it.
pub use geotraj_data::Nearest;

/// Query rows per device pass: bounds device memory at MAX_ROWS x chunk
/// scores whatever the batch.
const MAX_ROWS: usize = 4096;

/// Largest score magnitude screened on the device; rows that could exceed
/// it (|x| within ~1e36 / |y| of overflowing f32) are searched on the host.
const SCORE_LIMIT: f64 = 1e36;

#[derive(Debug, Clone, PartialEq)]
pub enum NearestError {
    /// The states are not `rows` rows of the data's dimension.
    Shape { len: usize, rows: usize, d: usize },
    /// The first query row holding a NaN or infinite value.
    NonFinite {
        row: usize,
        column: usize,
        value: f32,
    },
}

impl fmt::Display for NearestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Shape { len, rows, d } => write!(
                f,
                "nearest-neighbour query: {len} values are not {rows} rows of dimension {d}"
            ),
            Self::NonFinite { row, column, value } => write!(
                f,
                "nearest-neighbour query: row {row} is not finite ({value} at column {column})"
            ),
        }
    }
}

impl std::error::Error for NearestError {}

/// Exact two-nearest-neighbour search over a data set held on a device.
pub struct NearestNeighbours {
    blocks: Arc<DataBlocks>,
    /// Rows answered and candidates re-scored exactly (diagnostics).
    rows: AtomicUsize,
    candidates: AtomicUsize,
}

impl NearestNeighbours {
    /// Uploads `data` to `device` in blocks of `chunk` rows.
    pub fn new(data: Arc<Dataset>, device: Device, chunk: usize) -> Self {
        Self::from_blocks(Arc::new(DataBlocks::new(data, device, chunk)))
    }

    /// Searches data already on a device (e.g. an optimal denoiser's).
    pub fn from_blocks(blocks: Arc<DataBlocks>) -> Self {
        Self {
            blocks,
            rows: AtomicUsize::new(0),
            candidates: AtomicUsize::new(0),
        }
    }

    /// (rows answered, candidates re-scored in f64) since construction.
    pub fn stats(&self) -> (usize, usize) {
        (
            self.rows.load(Ordering::Relaxed),
            self.candidates.load(Ordering::Relaxed),
        )
    }

    /// The data on the device, to share with other searchers.
    pub fn blocks(&self) -> Arc<DataBlocks> {
        self.blocks.clone()
    }

    pub fn data(&self) -> &Arc<Dataset> {
        self.blocks.data()
    }

    /// Data row `i` (proj_K of a state is the row of its `i1`).
    pub fn row(&self, i: usize) -> &[f32] {
        self.blocks.data().row(i)
    }

    /// Checks that `x` holds `rows` finite states of the data's dimension.
    fn check(&self, x: &[f32], rows: usize) -> Result<(), NearestError> {
        let d = self.blocks.data().d;
        if rows.checked_mul(d) != Some(x.len()) {
            return Err(NearestError::Shape {
                len: x.len(),
                rows,
                d,
            });
        }
        if let Some(pos) = x.iter().position(|v| !v.is_finite()) {
            return Err(NearestError::NonFinite {
                row: pos / d,
                column: pos % d,
                value: x[pos],
            });
        }
        Ok(())
    }

    /// The nearest and second-nearest data points of each of the `rows`
    /// states in `x` (rows x d, row-major, on the host).
    pub fn query(&self, x: &[f32], rows: usize) -> Result<Vec<Nearest>, NearestError> {
        self.check(x, rows)?;
        let d = self.blocks.data().d;
        let mut out = Vec::with_capacity(rows);
        for part in x.chunks(MAX_ROWS * d) {
            out.extend(self.pass(part, 0).into_iter().map(|(n, _)| n));
        }
        Ok(out)
    }

    /// The same answers for `paths` trajectories of `points` states each
    /// (x is paths x points x d, trajectory-major), walking each trajectory
    /// in order: a state close enough to one screened before is answered
    /// from that screen's proof (`prune`), without a GEMM. Also returns, per
    /// point index, how much of the data was scored.
    pub fn query_paths(
        &self,
        x: &[f32],
        paths: usize,
        points: usize,
    ) -> Result<(Vec<Nearest>, Vec<PruneCounts>), NearestError> {
        let rows = paths.checked_mul(points).ok_or(NearestError::Shape {
            len: x.len(),
            rows: usize::MAX,
            d: self.blocks.data().d,
        })?;
        self.check(x, rows)?;
        let data = self.blocks.data();
        let d = data.d;
        let row = |i: usize, n: usize| &x[(i * points + n) * d..(i * points + n + 1) * d];
        // Two nearest: nothing outside `near` may come within the second
        // smallest distance (the smallest, for a one-point data set).
        let need = data.n.min(2);
        let cutoff = |dists: &[f64]| {
            let mut two = [f64::INFINITY; 2];
            for &s in dists {
                if s < two[0] {
                    two = [s, two[0]];
                } else if s < two[1] {
                    two[1] = s;
                }
            }
            (dists.len() >= need).then_some(two[need - 1])
        };
        let mut proofs: Vec<Option<Proof>> = vec![None; paths];
        let mut out: Vec<Option<Nearest>> = vec![None; rows];
        let mut counts = Vec::with_capacity(points);
        for n in 0..points {
            let proved: Vec<Option<(Nearest, usize)>> = proofs
                .par_iter_mut()
                .enumerate()
                .map(|(i, p)| {
                    let (dists, next) = p.as_ref()?.reuse(row(i, n), data, cutoff)?;
                    let old = p.replace(next)?;
                    let pairs = old.near().iter().map(|&k| k as usize).zip(dists);
                    Some((two_smallest(pairs), old.near().len()))
                })
                .collect();
            let todo: Vec<usize> = (0..paths).filter(|&i| proved[i].is_none()).collect();
            let mut c = PruneCounts {
                rows: paths,
                screened: todo.len(),
                proved_points: 0,
            };
            for (i, p) in proved.into_iter().enumerate() {
                if let Some((found, k)) = p {
                    out[i * points + n] = Some(found);
                    c.proved_points += k;
                }
            }
            for part in todo.chunks(MAX_ROWS) {
                let mut sub = Vec::with_capacity(part.len() * d);
                for &i in part {
                    sub.extend_from_slice(row(i, n));
                }
                for (&i, (found, proof)) in part.iter().zip(self.pass(&sub, KEEP)) {
                    out[i * points + n] = Some(found);
                    proofs[i] = proof;
                }
            }
            counts.push(c);
        }
        let out = out
            .into_iter()
            .map(|o| o.expect("every state was proved or screened"))
            .collect();
        Ok((out, counts))
    }

    /// One device pass over at most MAX_ROWS finite states; with `keep`,
    /// each screened state also gets its pruning proof.
    fn pass(&self, x: &[f32], keep: usize) -> Vec<(Nearest, Option<Proof>)> {
        let data = self.blocks.data();
        let d = data.d;
        let b = x.len() / d;
        let y = self.blocks.max_norm();
        // (row, score error bound) of the rows the GEMM may screen: those
        // whose f32 scores cannot overflow (|s| <= |x||y| + |y|^2 / 2, every
        // partial sum included); the window argument needs finite scores.
        let (rows, errors): (Vec<usize>, Vec<f64>) = x
            .par_chunks(d)
            .enumerate()
            .filter_map(|(r, xr)| {
                let norm = xr.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
                (norm * y + 0.5 * y * y < SCORE_LIMIT)
                    .then(|| (r, self.blocks.score_error_bound(norm)))
            })
            .unzip();
        let windows: Vec<f64> = errors.iter().map(|e| 2.0 * e).collect();
        let mut cands: Vec<Option<Screened>> = vec![None; b];
        let mut error = vec![0.0; b];
        if !rows.is_empty() {
            let xt = host::upload(x, b, d, self.blocks.device());
            let screened = self
                .blocks
                .screen(&xt, &rows, &windows, Anchor::Second, keep);
            for ((&r, c), &e) in rows.iter().zip(screened).zip(&errors) {
                cands[r] = Some(c);
                error[r] = e;
            }
        }
        let counted: usize = cands.iter().flatten().map(|c| c.idx.len()).sum();
        self.rows.fetch_add(b, Ordering::Relaxed);
        self.candidates.fetch_add(counted, Ordering::Relaxed);
        cands
            .par_iter()
            .zip(x.par_chunks(d))
            .zip(error.par_iter())
            .map(|((c, xr), &e)| match c {
                // Fewer than two candidates only if the scores were not
                // finite after all; never trust the screen then.
                Some(c) if c.idx.len() >= data.n.min(2) => (
                    two_nearest(xr, data, c.idx.iter().map(|&i| i as usize)),
                    (keep > 0).then(|| Proof::new(xr, c, e, data.n)).flatten(),
                ),
                _ => (two_nearest(xr, data, 0..data.n), None),
            })
            .collect()
    }
}

/// The two smallest exact distances over `idx` (ascending, so strict
/// comparisons leave ties to the lower index).
fn two_nearest(x: &[f32], data: &Dataset, idx: impl Iterator<Item = usize>) -> Nearest {
    two_smallest(idx.map(|i| (i, exact_sq_dist(x, data.row(i)))))
}

/// The two smallest of (index, squared distance) pairs in ascending index.
fn two_smallest(pairs: impl Iterator<Item = (usize, f64)>) -> Nearest {
    let (mut i1, mut s1, mut i2, mut s2) = (usize::MAX, f64::INFINITY, usize::MAX, f64::INFINITY);
    for (i, s) in pairs {
        if s < s1 {
            (i2, s2) = (i1, s1);
            (i1, s1) = (i, s);
        } else if s < s2 {
            (i2, s2) = (i, s);
        }
    }
    Nearest {
        i1,
        d1: s1.sqrt(),
        i2,
        d2: s2.sqrt(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OptimalDenoiser, OptimalOptions};
    use geotraj_data::rng;
    use geotraj_sampling::Denoiser;

    fn dataset(rows: Vec<f32>, n: usize, d: usize) -> Arc<Dataset> {
        Arc::new(Dataset::new(rows, n, d, vec![d], None, "test").unwrap())
    }

    /// n x d standard normal rows times `scale`.
    fn random(seed: u64, n: usize, d: usize, scale: f32) -> Vec<f32> {
        rng::normal_rows(seed, 0..n, d)
            .iter()
            .map(|v| v * scale)
            .collect()
    }

    /// Brute force over every point: the exact f64 squared distances, two
    /// smallest by (distance, index).
    fn brute(data: &Dataset, x: &[f32]) -> Nearest {
        let mut all: Vec<(f64, usize)> = (0..data.n)
            .map(|i| (exact_sq_dist(x, data.row(i)), i))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let (s2, i2) = all.get(1).copied().unwrap_or((f64::INFINITY, usize::MAX));
        Nearest {
            i1: all[0].1,
            d1: all[0].0.sqrt(),
            i2,
            d2: s2.sqrt(),
        }
    }

    fn check(nn: &NearestNeighbours, q: &[f32], what: &str) {
        let data = nn.data();
        let rows = q.len() / data.d;
        let got = nn.query(q, rows).unwrap();
        assert_eq!(got.len(), rows);
        for (r, (g, x)) in got.iter().zip(q.chunks(data.d)).enumerate() {
            let want = brute(data, x);
            assert_eq!(*g, want, "{what}, query {r}");
            assert_eq!(g.d1.to_bits(), want.d1.to_bits(), "{what}, query {r}");
        }
    }

    #[test]
    fn matches_brute_force_on_random_sets() {
        let cpu = Device::flex();
        for (k, &(d, n, chunk)) in [
            (1, 50, 7),
            (3, 101, 16),
            (17, 300, 64),
            (64, 257, 100),
            (200, 130, 1000),
        ]
        .iter()
        .enumerate()
        {
            let seed = 10 + k as u64;
            let data = dataset(random(seed, n, d, 1.0), n, d);
            let nn = NearestNeighbours::new(data.clone(), cpu.clone(), chunk);
            // Close to the data: data points plus small noise, and exactly on it.
            let mut near: Vec<f32> = Vec::new();
            for (j, i) in [0, 3, n / 2, n - 1].into_iter().enumerate() {
                let z = rng::normal_rows(seed + 100, j..j + 1, d);
                near.extend(data.row(i).iter().zip(&z).map(|(&y, &e)| y + 0.01 * e));
            }
            near.extend_from_slice(data.row(n / 3));
            check(&nn, &near, &format!("d {d}, n {n}, chunk {chunk}, near"));
            // In between and far away (|x| ~ 80 sqrt(d), as at sigma = 80).
            for scale in [1.0, 80.0] {
                let q = random(seed + 200, 9, d, scale);
                check(
                    &nn,
                    &q,
                    &format!("d {d}, n {n}, chunk {chunk}, scale {scale}"),
                );
            }
        }
    }

    #[test]
    fn large_batches_split_into_passes() {
        let (n, d) = (30, 2);
        let data = dataset(random(3, n, d, 1.0), n, d);
        let nn = NearestNeighbours::new(data, Device::flex(), 8);
        let q = random(4, MAX_ROWS + 37, d, 2.0);
        check(&nn, &q, "batch past MAX_ROWS");
    }

    /// Pairs of points on an f32-exact grid whose squared distances to the
    /// query are S and S + 1 (in units of 2^-40), S ~ 1e6: a relative gap of
    /// ~1e-6 in the squared distance, a score gap of ~5e-13, far below the
    /// f32 resolution of scores of magnitude ~|y|^2 / 2 ~ 500.
    #[test]
    fn near_ties_are_ordered_as_in_f64() {
        let d = 64;
        let unit = (2.0f64).powi(-20);
        let mut rows = random(21, 40, d, 4.0); // background points
        let mut queries = Vec::new();
        let mut expect = Vec::new();
        for p in 0..6u64 {
            // Centre on a 2^-8 grid with |coordinates| < 8, so centre plus
            // offsets of a few hundred units of 2^-20 is exact in f32.
            let c: Vec<f32> = rng::normal_rows(22, p as usize..p as usize + 1, d)
                .iter()
                .map(|v| ((v * 2.0).clamp(-7.5, 7.5) * 256.0).round() / 256.0)
                .collect();
            let mut sa = 0i64;
            let m: Vec<i64> = (0..d)
                .map(|j| {
                    let v = if j == 0 {
                        0
                    } else {
                        120 + ((p as usize * 31 + j * 17) % 11) as i64
                    };
                    sa += v * v;
                    v
                })
                .collect();
            let offset = |signs: u64, first: i64| -> Vec<f32> {
                c.iter()
                    .enumerate()
                    .map(|(j, &cj)| {
                        let mj = if j == 0 { first } else { m[j] };
                        let s = if (signs >> (j % 64)) & 1 == 1 { -1 } else { 1 };
                        let y = cj as f64 + (s * mj) as f64 * unit;
                        assert_eq!(y as f32 as f64, y, "grid point is exact in f32");
                        y as f32
                    })
                    .collect()
            };
            let a = offset(0x5a5a_1234 ^ p, 0); // |x - a|^2 = sa units
            let b = offset(0x0f0f_9876 ^ (p << 7), 1); // sa + 1 units
            let tie = offset(0x3c3c_4321 ^ (p << 3), 0); // sa units too
            let base = rows.len() / d;
            // Alternate which of the pair comes first.
            let (ia, ib) = if p % 2 == 0 {
                rows.extend(&a);
                rows.extend(&b);
                (base, base + 1)
            } else {
                rows.extend(&b);
                rows.extend(&a);
                (base + 1, base)
            };
            queries.extend(&c);
            expect.push((ia, ib, sa));
            if p == 5 {
                // An exact tie between distinct points: the lower index wins.
                rows.extend(&tie);
                let it = base + 2;
                expect.pop();
                expect.push((ia.min(it), ia.max(it), sa));
            }
        }
        let n = rows.len() / d;
        let data = dataset(rows, n, d);
        for chunk in [4, 16, 4096] {
            let nn = NearestNeighbours::new(data.clone(), Device::flex(), chunk);
            let got = nn.query(&queries, expect.len()).unwrap();
            for (p, (g, &(i1, i2, sa))) in got.iter().zip(&expect).enumerate() {
                let x = &queries[p * d..(p + 1) * d];
                assert_eq!(*g, brute(&data, x), "pair {p}, chunk {chunk}");
                assert_eq!((g.i1, g.i2), (i1, i2), "pair {p}, chunk {chunk}");
                assert_eq!(g.d1, (sa as f64).sqrt() * unit, "pair {p}");
                // The gap is far inside the f32 error of the scores: the GEMM
                // alone could not have ordered the pair.
                let norm = x.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt();
                let gap = 0.5 * (g.d2 * g.d2 - g.d1 * g.d1);
                assert!(
                    gap < 1e-6 * nn.blocks().score_error_bound(norm),
                    "gap {gap}"
                );
            }
        }
    }

    #[test]
    fn exact_duplicates_go_to_the_lower_index() {
        let (n, d) = (50, 5);
        let mut rows = random(31, n, d, 1.0);
        let seven = rows[7 * d..8 * d].to_vec();
        rows[30 * d..31 * d].copy_from_slice(&seven);
        rows[44 * d..45 * d].copy_from_slice(&seven);
        let data = dataset(rows, n, d);
        let z = rng::normal_rows(32, 0..1, d);
        let mut q: Vec<f32> = seven.iter().zip(&z).map(|(&y, &e)| y + 1e-3 * e).collect();
        q.extend(&seven);
        for chunk in [16, 64] {
            let nn = NearestNeighbours::new(data.clone(), Device::flex(), chunk);
            let got = nn.query(&q, 2).unwrap();
            for (r, g) in got.iter().enumerate() {
                assert_eq!(*g, brute(&data, &q[r * d..(r + 1) * d]), "chunk {chunk}");
                assert_eq!((g.i1, g.i2), (7, 30), "chunk {chunk}, query {r}");
                assert_eq!(g.d1, g.d2);
                assert_eq!(nn.row(g.i1), &seven[..]);
            }
            assert_eq!(got[1].d1, 0.0);
        }
    }

    #[test]
    fn one_point_has_no_second() {
        let data = dataset(vec![1.0, -2.0, 0.5], 1, 3);
        let nn = NearestNeighbours::new(data, Device::flex(), 4096);
        let got = nn.query(&[1.0, -2.0, 0.5, 4.0, 2.0, 0.5], 2).unwrap();
        assert_eq!(
            got[0],
            Nearest {
                i1: 0,
                d1: 0.0,
                i2: usize::MAX,
                d2: f64::INFINITY
            }
        );
        assert_eq!((got[1].i1, got[1].d1, got[1].i2), (0, 5.0, usize::MAX));
        assert_eq!(got[1].d2, f64::INFINITY);
        assert_eq!(nn.query(&[], 0).unwrap(), vec![]);
    }

    /// Finite states so large that f32 scores would overflow are searched
    /// exactly on the host.
    #[test]
    fn huge_states_are_still_exact() {
        let (n, d) = (40, 6);
        let data = dataset(random(61, n, d, 3.0), n, d);
        let nn = NearestNeighbours::new(data, Device::flex(), 16);
        let mut q = random(62, 4, d, 1e37);
        q[0] = f32::MAX;
        q.extend(random(63, 3, d, 1.0));
        check(&nn, &q, "huge states");
        assert!(q.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn non_finite_rows_and_bad_shapes_are_errors() {
        let data = dataset(random(41, 10, 4, 1.0), 10, 4);
        let nn = NearestNeighbours::new(data, Device::flex(), 4);
        let mut q = random(42, 3, 4, 1.0);
        q[2 * 4 + 3] = f32::INFINITY;
        q[4 + 2] = f32::NAN;
        let e = nn.query(&q, 3).unwrap_err();
        assert!(
            matches!(
                e,
                NearestError::NonFinite {
                    row: 1,
                    column: 2,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.to_string().contains("row 1"), "{e}");
        q[4 + 2] = 0.0;
        let e = nn.query(&q, 3).unwrap_err();
        assert!(e.to_string().contains("row 2"), "{e}");
        let e = nn.query(&q[..11], 3).unwrap_err();
        assert!(matches!(e, NearestError::Shape { len: 11, .. }), "{e:?}");
        let _: &dyn std::error::Error = &e;
    }

    /// One upload serves both searchers, with the same answers as searchers
    /// that uploaded the data themselves.
    #[test]
    fn shared_blocks_agree_with_separate_uploads() {
        let (n, d, chunk) = (200, 12, 48);
        let cpu = Device::flex();
        let data = dataset(random(51, n, d, 1.0), n, d);
        let options = OptimalOptions {
            chunk,
            ..Default::default()
        };
        let den = OptimalDenoiser::new(data.clone(), cpu.clone(), options);
        let shared = NearestNeighbours::from_blocks(den.blocks());
        assert!(Arc::ptr_eq(shared.data(), &data));
        let own = NearestNeighbours::new(data.clone(), cpu.clone(), chunk);
        let mut q = random(52, 6, d, 80.0);
        q.extend(random(53, 6, d, 1.0));
        q.extend_from_slice(data.row(17));
        let rows = q.len() / d;
        assert_eq!(shared.query(&q, rows), own.query(&q, rows));
        check(&shared, &q, "shared blocks");

        let den_shared = OptimalDenoiser::from_blocks(own.blocks(), options);
        assert_eq!(den_shared.describe(), den.describe());
        let x = host::upload(&q, rows, d, &cpu);
        for sigma in [80.0, 1.0, 0.002] {
            let a = host::download(den.denoise(x.clone(), sigma));
            let b = host::download(den_shared.denoise(x.clone(), sigma));
            assert_eq!(a, b, "sigma {sigma}");
        }
        assert_eq!(den.narrow_stats(), den_shared.narrow_stats());
        assert!(den.narrow_stats().0 > 0, "the exact path was exercised");
    }
}
