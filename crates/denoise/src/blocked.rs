//! The data set on a device in blocks of `chunk` rows, and the one kernel
//! that the optimal denoiser and the nearest-neighbour search share: scores
//! s_i = <x, y_i> - |y_i|^2 / 2 (equal to -|x - y_i|^2 / 2 up to a per-row
//! constant) from one GEMM per block, a worst-case bound on their f32
//! error, and a screening pass that keeps, per query row, every data point
//! whose approximate score lies within a window of the best (or second-best)
//! approximate score. Callers then decide on exact f64 distances, so f32
//! cancellation never picks a winner.
//!
//! Device memory per pass is O(rows x chunk): one block of scores at a time.

use burn::tensor::{Int, TensorData};
use geotraj_data::Dataset;
use geotraj_sampling::{Device, Tensor, host};
use rayon::prelude::*;
use std::ops::Range;
use std::sync::{Arc, OnceLock};

/// Unit roundoff of f32.
const U32: f64 = f32::EPSILON as f64 / 2.0;

/// One block of data rows on the device.
struct Block {
    start: usize,
    len: usize,
    /// d x len, contiguous so the score GEMM reads it without a transpose.
    yt: Tensor<2>,
    /// 1 x len: |y_i|^2 / 2 computed in f64, rounded to f32.
    half_norm: Tensor<2>,
    /// len x d, uploaded on first use (only weighted sums need it).
    y: OnceLock<Tensor<2>>,
}

/// A data set uploaded once to a device in blocks of rows, shared (through
/// an `Arc`) by every searcher over the same data.
pub struct DataBlocks {
    data: Arc<Dataset>,
    device: Device,
    chunk: usize,
    blocks: Vec<Block>,
    max_norm: f64,
}

/// One row's screening result: the ascending indices of the kept data
/// points with their approximate scores, and the final floor: every data
/// point left out has an approximate score below it.
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    pub idx: Vec<u32>,
    pub score: Vec<f32>,
    pub floor: f32,
}

/// What a screening window hangs from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The largest approximate score of the row (softmax support).
    Best,
    /// The second-largest, counting ties (two nearest neighbours).
    Second,
}

impl DataBlocks {
    /// Uploads `data` to `device` in blocks of `chunk` rows (at least one).
    pub fn new(data: Arc<Dataset>, device: Device, chunk: usize) -> Self {
        let (n, d) = (data.n, data.d);
        assert!(
            u32::try_from(n).is_ok(),
            "data sets of more than u32::MAX rows are not supported"
        );
        let chunk = chunk.max(1);
        let blocks = (0..n)
            .step_by(chunk)
            .map(|start| {
                let len = chunk.min(n - start);
                let rows = &data.rows[start * d..(start + len) * d];
                let mut t = vec![0.0f32; rows.len()];
                for i in 0..len {
                    for k in 0..d {
                        t[k * len + i] = rows[i * d + k];
                    }
                }
                let half: Vec<f32> = rows
                    .chunks(d)
                    .map(|r| (0.5 * r.iter().map(|&v| v as f64 * v as f64).sum::<f64>()) as f32)
                    .collect();
                Block {
                    start,
                    len,
                    yt: host::upload(&t, d, len, &device),
                    half_norm: host::upload(&half, 1, len, &device),
                    y: OnceLock::new(),
                }
            })
            .collect();
        Self {
            max_norm: data.max_norm(),
            data,
            device,
            chunk,
            blocks,
        }
    }

    pub fn data(&self) -> &Arc<Dataset> {
        &self.data
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Data rows per block (the last block may be shorter).
    pub fn chunk(&self) -> usize {
        self.chunk
    }

    /// Number of blocks.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Never true: a data set has at least one row.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// Data rows of block `k`.
    pub fn range(&self, k: usize) -> Range<usize> {
        let b = &self.blocks[k];
        b.start..b.start + b.len
    }

    /// Largest Euclidean norm of a data row.
    pub fn max_norm(&self) -> f64 {
        self.max_norm
    }

    /// Block `k` transposed (d x len) on the device.
    pub fn transposed(&self, k: usize) -> Tensor<2> {
        self.blocks[k].yt.clone()
    }

    /// Block `k` (len x d) on the device; uploaded on the first call.
    pub fn rows(&self, k: usize) -> Tensor<2> {
        let b = &self.blocks[k];
        b.y.get_or_init(|| {
            let d = self.data.d;
            host::upload(
                &self.data.rows[b.start * d..(b.start + b.len) * d],
                b.len,
                d,
                &self.device,
            )
        })
        .clone()
    }

    /// Uploads every block's rows now rather than on first use.
    pub fn upload_rows(&self) {
        for k in 0..self.blocks.len() {
            let _ = self.rows(k);
        }
    }

    /// 1 x len: |y_i|^2 / 2 of block `k`.
    pub fn half_norms(&self, k: usize) -> Tensor<2> {
        self.blocks[k].half_norm.clone()
    }

    /// Approximate scores s~ (rows x len) of the states `x` (rows x d, on
    /// the device) against block `k`: one GEMM and a broadcast subtraction.
    pub fn scores(&self, x: &Tensor<2>, k: usize) -> Tensor<2> {
        let b = &self.blocks[k];
        x.clone().matmul(b.yt.clone()) - b.half_norm.clone()
    }

    /// A bound on |s~_i - s_i| for every i of a state of norm `x_norm`,
    /// valid for any summation order of the f32 GEMM: the dot product errs
    /// by at most ~d u |x||y| (Cauchy-Schwarz bounds the sum of |x_k y_k|),
    /// and two roundings (of |y|^2/2 and of the difference) follow. It holds
    /// for f32 inputs and accumulation; a device that multiplies in reduced
    /// precision (TF32, f16) breaks it.
    pub fn score_error_bound(&self, x_norm: f64) -> f64 {
        let y = self.max_norm;
        2.0 * (self.data.d as f64 + 2.0) * U32 * (x_norm * y + 0.5 * y * y)
    }

    /// The typical (random-walk) size of the same error.
    pub fn score_error_typical(&self, x_norm: f64) -> f64 {
        (self.data.d as f64).sqrt() * U32 * (x_norm * self.max_norm + 0.5 * self.max_norm.powi(2))
    }

    /// Streams the blocks once and returns, for each row `rows[j]` of `x`
    /// (B x d on the device), every data point whose approximate score is at
    /// least (anchor score) - `windows[j]`, the anchor being the row's best
    /// or second-best approximate score over the whole data set; with
    /// `keep = k > 0`, also at least the k best (so that a pruning proof has
    /// a radius to spare). Rows whose scores are all NaN get no candidates.
    ///
    /// Per block, only the row maxima come back at first; a row's scores
    /// are downloaded only when its block maximum reaches the row's running
    /// floor (nothing below it can be in the final window, nor move the
    /// anchor), so most of the B x n scores never leave the device.
    pub fn screen(
        &self,
        x: &Tensor<2>,
        rows: &[usize],
        windows: &[f64],
        anchor: Anchor,
        keep: usize,
    ) -> Vec<Screened> {
        assert_eq!(rows.len(), windows.len(), "one window per screened row");
        let mut cands: Vec<Candidates> = windows
            .iter()
            .map(|&w| Candidates::new(w, anchor, keep))
            .collect();
        let b_rows = x.dims()[0];
        for (k, b) in self.blocks.iter().enumerate() {
            let len = b.len;
            let s = self.scores(x, k);
            // Positions j (into `rows`) that need this block's scores.
            let need: Vec<usize> = if cands.iter().all(|c| c.floor() == f32::NEG_INFINITY) {
                (0..rows.len()).collect()
            } else {
                let m = host::download(s.clone().max_dim(1));
                (0..rows.len())
                    .filter(|&j| m[rows[j]] >= cands[j].floor())
                    .collect()
            };
            if need.is_empty() {
                continue;
            }
            let mut keep = vec![false; rows.len()];
            for &j in &need {
                keep[j] = true;
            }
            // (candidates, row of x), in the order of `need`.
            let mut wanted: Vec<(&mut Candidates, usize)> = cands
                .iter_mut()
                .zip(rows)
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|((c, &r), _)| (c, r))
                .collect();
            if 4 * need.len() >= 3 * b_rows {
                // (Nearly) every row: download the block whole.
                let s = host::download(s);
                wanted
                    .par_iter_mut()
                    .with_min_len(8)
                    .for_each(|(c, r)| c.offer(b.start, &s[*r * len..(*r + 1) * len]));
            } else {
                let idx: Vec<i64> = wanted.iter().map(|&(_, r)| r as i64).collect();
                let idx =
                    Tensor::<1, Int>::from_data(TensorData::new(idx, [need.len()]), &self.device);
                let s = host::download(s.select(0, idx));
                wanted
                    .par_iter_mut()
                    .zip(s.par_chunks(len))
                    .with_min_len(8)
                    .for_each(|((c, _), sr)| c.offer(b.start, sr));
            }
        }
        cands.into_par_iter().map(Candidates::finish).collect()
    }
}

/// |x - y|^2 with f32 inputs and f64 differences and accumulation, summed
/// in index order (so every caller gets the same bits).
pub(crate) fn exact_sq_dist(x: &[f32], y: &[f32]) -> f64 {
    x.iter()
        .zip(y)
        .map(|(&a, &b)| {
            let t = a as f64 - b as f64;
            t * t
        })
        .sum::<f64>()
}

/// The largest f32 not above `v` (so `s >= f32_down(v)` for every f32
/// `s >= v`: rounding never drops a point from a window).
fn f32_down(v: f64) -> f32 {
    let f = v as f32;
    if f as f64 > v { f.next_down() } else { f }
}

/// Candidates of one row: indices whose approximate score lies within
/// `window` of the running anchor (best or second-best score so far), or
/// among the `keep` best so far. Both thresholds only rise (the running
/// anchor never exceeds the final one), so the kept set is always a
/// superset of the final one; `finish` prunes it to exactly that.
struct Candidates {
    window: f64,
    anchor: Anchor,
    keep: usize,
    /// A score that at least `keep` offered points reach (+inf without keep).
    kept_floor: f32,
    /// The two largest scores offered so far, counting ties. `second` is
    /// only tracked exactly for `Anchor::Second`.
    best: f32,
    second: f32,
    idx: Vec<u32>,
    score: Vec<f32>,
    pruned_len: usize,
}

impl Candidates {
    fn new(window: f64, anchor: Anchor, keep: usize) -> Self {
        Self {
            window,
            anchor,
            keep,
            kept_floor: if keep == 0 {
                f32::INFINITY
            } else {
                f32::NEG_INFINITY
            },
            best: f32::NEG_INFINITY,
            second: f32::NEG_INFINITY,
            idx: Vec::new(),
            score: Vec::new(),
            pruned_len: 64,
        }
    }

    fn floor(&self) -> f32 {
        let a = match self.anchor {
            Anchor::Best => self.best,
            Anchor::Second => self.second,
        };
        f32_down(a as f64 - self.window).min(self.kept_floor)
    }

    /// Offers approximate scores of data points `start..start + scores.len()`.
    fn offer(&mut self, start: usize, scores: &[f32]) {
        let mut floor = self.floor();
        for (k, &s) in scores.iter().enumerate() {
            // Any score that moves the anchor is at or above the floor:
            // the floor is below both tracked scores (for `Best`, below best).
            if s >= floor {
                if s > self.second {
                    if s > self.best {
                        self.second = self.best;
                        self.best = s;
                    } else {
                        self.second = s;
                    }
                    floor = self.floor();
                }
                self.idx.push((start + k) as u32);
                self.score.push(s);
            }
        }
        // Earlier entries may have fallen out of the window as the anchor rose.
        if self.idx.len() > 2 * self.pruned_len {
            self.prune();
            self.pruned_len = self.idx.len().max(64);
        }
    }

    fn prune(&mut self) {
        if self.keep > 0 && self.score.len() > self.keep {
            // Every point at or above the floor is kept, so the keep-th
            // largest kept score is the keep-th largest offered so far.
            let mut s = self.score.clone();
            let (_, &mut v, _) = s.select_nth_unstable_by(self.keep - 1, |a, b| b.total_cmp(a));
            self.kept_floor = self.kept_floor.max(v);
        }
        let floor = self.floor();
        let mut w = 0;
        for r in 0..self.idx.len() {
            if self.score[r] >= floor {
                self.idx[w] = self.idx[r];
                self.score[w] = self.score[r];
                w += 1;
            }
        }
        self.idx.truncate(w);
        self.score.truncate(w);
    }

    /// The final candidates, ascending (blocks are offered in order).
    fn finish(mut self) -> Screened {
        self.prune();
        Screened {
            floor: self.floor(),
            idx: self.idx,
            score: self.score,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f32_down_never_rounds_up() {
        for v in [0.1f64, -0.1, 1.0 / 3.0, -1e-40, 123456.789, 0.0] {
            let f = f32_down(v);
            assert!(f as f64 <= v, "{v}: {f}");
            assert!((f.next_up() as f64) > v || f as f64 == v, "{v}: {f}");
        }
        assert_eq!(f32_down(f64::NEG_INFINITY), f32::NEG_INFINITY);
    }

    /// Screening against a direct window on the same scores, for both
    /// anchors, with the anchor rising across blocks and ties.
    #[test]
    fn candidates_equal_the_final_window() {
        let scores: Vec<f32> = (0..500)
            .map(|i| ((i * 7919 % 503) as f32 * 0.37).sin() * 10.0 + (i as f32) * 0.01)
            .chain([14.0, 14.0, 13.9])
            .collect();
        for anchor in [Anchor::Best, Anchor::Second] {
            for window in [0.0, 0.05, 0.5, 3.0] {
                for chunk in [1, 7, 64, 1000] {
                    let mut c = Candidates::new(window, anchor, 0);
                    for (k, s) in scores.chunks(chunk).enumerate() {
                        c.offer(k * chunk, s);
                    }
                    let got = c.finish().idx;
                    let mut sorted = scores.clone();
                    sorted.sort_by(|a, b| b.total_cmp(a));
                    let a = match anchor {
                        Anchor::Best => sorted[0],
                        Anchor::Second => sorted[1],
                    };
                    let want: Vec<u32> = (0..scores.len() as u32)
                        .filter(|&i| scores[i as usize] >= f32_down(a as f64 - window))
                        .collect();
                    assert_eq!(got, want, "{anchor:?}, window {window}, chunk {chunk}");
                }
            }
        }
    }

    /// With `keep`, the candidates are the window's plus at least the `keep`
    /// best, and the floor separates them from every point left out.
    #[test]
    fn kept_candidates_are_a_floor_cut_holding_the_best() {
        let scores: Vec<f32> = (0..3000)
            .map(|i| ((i * 7919 % 3001) as f32 * 0.11).sin() * 50.0)
            .collect();
        let mut sorted = scores.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        for keep in [1, 2, 100, 700, 5000] {
            for chunk in [13, 256, 4096] {
                let mut c = Candidates::new(0.5, Anchor::Second, keep);
                for (k, s) in scores.chunks(chunk).enumerate() {
                    c.offer(k * chunk, s);
                }
                let got = c.finish();
                let want: Vec<u32> = (0..scores.len() as u32)
                    .filter(|&i| scores[i as usize] >= got.floor)
                    .collect();
                assert_eq!(got.idx, want, "keep {keep}, chunk {chunk}");
                let scored: Vec<f32> = got.idx.iter().map(|&i| scores[i as usize]).collect();
                assert_eq!(got.score, scored);
                assert!(got.idx.len() >= keep.min(scores.len()), "keep {keep}");
                assert!(got.floor <= f32_down(sorted[1] as f64 - 0.5));
            }
        }
    }
}
