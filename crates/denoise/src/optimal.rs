//! The optimal denoiser of a finite set K = {y_i}:
//! D*(x; sigma) = sum_i w_i y_i, w = softmax_i(-|x - y_i|^2 / 2 sigma^2).
//!
//! Scores s_i = <x, y_i> - |y_i|^2 / 2 (equal to -|x - y_i|^2 / 2 up to a
//! per-row constant) come from one GEMM per data chunk (the kernel shared
//! with the nearest-neighbour search, in `blocked`), so the work is
//! matrix-multiply bound and memory is O(batch x chunk).
//!
//! Two regimes, chosen per row from the f32 rounding error of the scores:
//! - wide (rounding negligible against sigma^2): an online log-sum-exp over
//!   chunks on the device, with a second GEMM for the weighted sum;
//! - narrow (small sigma, where f32 cancellation in the scores could decide
//!   the softmax): the GEMM only screens candidates within a provable window
//!   of the best score; the softmax is then taken over the points whose
//!   exact f64 distance lies within the window of the smallest. Along a
//!   trajectory (`denoise_rows`), the previous screen's proof (`prune`)
//!   usually shows which few points can qualify, and the GEMM is skipped.

use crate::blocked::{Anchor, DataBlocks, exact_sq_dist};
use crate::prune::{KEEP, Proof, ProofCache, PruneCounts, PruneLog};
use geotraj_data::Dataset;
use geotraj_sampling::{Denoiser, Device, Tensor, host};
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptimalOptions {
    /// Data rows per GEMM block.
    pub chunk: usize,
    /// Points whose weight is below exp(-tail) times the largest are dropped
    /// in the narrow regime (their total share is below n * exp(-tail)).
    pub tail: f64,
    /// The largest typical f32 logit error accepted in the wide regime.
    pub logit_tolerance: f64,
}

impl Default for OptimalOptions {
    fn default() -> Self {
        Self {
            chunk: 4096,
            tail: 40.0,
            logit_tolerance: 1e-3,
        }
    }
}

pub struct OptimalDenoiser {
    blocks: Arc<DataBlocks>,
    options: OptimalOptions,
    /// Rows decided in the narrow regime, and their candidates (diagnostics).
    narrow_rows: AtomicUsize,
    candidates: AtomicUsize,
    proofs: ProofCache,
    pruning: PruneLog,
}

impl OptimalDenoiser {
    /// Uploads the data set to `device` in blocks of `options.chunk` rows.
    pub fn new(data: Arc<Dataset>, device: Device, options: OptimalOptions) -> Self {
        Self::from_blocks(
            Arc::new(DataBlocks::new(data, device, options.chunk)),
            options,
        )
    }

    /// Shares data already on a device (e.g. with a nearest-neighbour
    /// search); `options.chunk` is taken from the blocks.
    pub fn from_blocks(blocks: Arc<DataBlocks>, options: OptimalOptions) -> Self {
        // The wide regime's weighted sum needs the rows themselves.
        blocks.upload_rows();
        Self {
            options: OptimalOptions {
                chunk: blocks.chunk(),
                ..options
            },
            blocks,
            narrow_rows: AtomicUsize::new(0),
            candidates: AtomicUsize::new(0),
            proofs: ProofCache::default(),
            pruning: PruneLog::default(),
        }
    }

    /// The data on the device, to share with other searchers.
    pub fn blocks(&self) -> Arc<DataBlocks> {
        self.blocks.clone()
    }

    /// (rows decided exactly, candidates re-scored) since construction.
    pub fn narrow_stats(&self) -> (usize, usize) {
        (
            self.narrow_rows.load(Ordering::Relaxed),
            self.candidates.load(Ordering::Relaxed),
        )
    }

    /// Per σ (increasing): how many states were evaluated, how many needed
    /// a full screen, and how many points proofs left to score exactly.
    pub fn pruning_stats(&self) -> Vec<(f64, PruneCounts)> {
        self.pruning.snapshot()
    }

    /// Online log-sum-exp over chunks, all on the device.
    fn wide(&self, x: &Tensor<2>, sigma: f64) -> Tensor<2> {
        let inv = 1.0 / (sigma * sigma);
        let xs = x.clone().mul_scalar(inv);
        let mut state: Option<(Tensor<2>, Tensor<2>, Tensor<2>)> = None; // (max, sum, acc)
        let blocks = &self.blocks;
        for k in 0..blocks.len() {
            let logits =
                xs.clone().matmul(blocks.transposed(k)) - blocks.half_norms(k).mul_scalar(inv);
            let chunk_max = logits.clone().max_dim(1);
            state = Some(match state {
                None => {
                    let p = (logits - chunk_max.clone()).exp();
                    (chunk_max, p.clone().sum_dim(1), p.matmul(blocks.rows(k)))
                }
                Some((m, l, acc)) => {
                    let m_new = m.clone().max_pair(chunk_max);
                    let scale = (m - m_new.clone()).exp();
                    let p = (logits - m_new.clone()).exp();
                    (
                        m_new,
                        l * scale.clone() + p.clone().sum_dim(1),
                        acc * scale + p.matmul(blocks.rows(k)),
                    )
                }
            });
        }
        let (_, l, acc) = state.expect("a data set has at least one chunk");
        acc / l
    }

    /// Exact softmax over the window's points for the rows in `rows`; the
    /// rows are trajectories `first + row` when `first` is known, and a
    /// proof kept from their previous evaluation may spare the screen.
    fn narrow(
        &self,
        host_x: &[f32],
        rows: &[usize],
        norms: &[f64],
        sigma: f64,
        first: Option<usize>,
        out: &mut [f32],
    ) {
        let data = self.blocks.data();
        let d = data.d;
        let row = |r: usize| &host_x[r * d..(r + 1) * d];
        // The softmax keeps points within `tail` of the largest log-weight:
        // squared distances within 2 tail sigma^2 of the smallest.
        let window_sq = 2.0 * self.options.tail * sigma * sigma;
        let cutoff = |dists: &[f64]| {
            let m = dists.iter().copied().fold(f64::INFINITY, f64::min);
            m.is_finite().then_some(m + window_sq)
        };
        let mut proofs = match first {
            Some(f) => self.proofs.take(rows.iter().map(|&r| f + r)),
            None => vec![None; rows.len()],
        };
        let mut found: Vec<Option<Survivors>> = proofs
            .par_iter_mut()
            .zip(rows.par_iter())
            .map(|(p, &r)| {
                let (dists, next) = p.as_ref()?.reuse(row(r), data, cutoff)?;
                let near = p.replace(next)?.near().to_vec();
                Some((near, dists))
            })
            .collect();
        let proved_points: usize = found.iter().flatten().map(|(i, _)| i.len()).sum();
        let todo: Vec<usize> = (0..rows.len()).filter(|&j| found[j].is_none()).collect();
        if !todo.is_empty() {
            let mut sub = Vec::with_capacity(todo.len() * d);
            for &j in &todo {
                sub.extend_from_slice(row(rows[j]));
            }
            let xs = host::upload(&sub, todo.len(), d, self.blocks.device());
            let errors: Vec<f64> = todo
                .iter()
                .map(|&j| self.blocks.score_error_bound(norms[rows[j]]))
                .collect();
            let windows: Vec<f64> = errors
                .iter()
                .map(|e| self.options.tail * sigma * sigma + 2.0 * e)
                .collect();
            let keep = if first.is_some() { KEEP } else { 0 };
            let positions: Vec<usize> = (0..todo.len()).collect();
            let screened = self
                .blocks
                .screen(&xs, &positions, &windows, Anchor::Best, keep);
            let fresh: Vec<(Option<Proof>, Survivors)> = screened
                .into_par_iter()
                .zip(todo.par_iter())
                .zip(errors.par_iter())
                .map(|((sc, &j), &e)| {
                    let x = row(rows[j]);
                    let dists: Vec<f64> = sc
                        .idx
                        .iter()
                        .map(|&i| exact_sq_dist(x, data.row(i as usize)))
                        .collect();
                    let proof = first.and_then(|_| Proof::new(x, &sc, e, data.n));
                    (proof, (sc.idx, dists))
                })
                .collect();
            for (&j, (proof, f)) in todo.iter().zip(fresh) {
                proofs[j] = proof;
                found[j] = Some(f);
            }
        }
        let mut row_out: Vec<Vec<f32>> = vec![vec![0.0; d]; rows.len()];
        let counted: usize = found
            .par_iter()
            .zip(row_out.par_iter_mut())
            .map(|(f, o)| {
                let (idx, dists) = f.as_ref().expect("every row was proved or screened");
                let c = cutoff(dists).unwrap_or(f64::NAN);
                let within: Vec<(u32, f64)> = idx
                    .iter()
                    .zip(dists)
                    .filter(|&(_, &s)| s <= c)
                    .map(|(&i, &s)| (i, s))
                    .collect();
                exact_softmax(&within, &data.rows, d, sigma, o);
                within.len()
            })
            .sum();
        for (&r, o) in rows.iter().zip(&row_out) {
            out[r * d..(r + 1) * d].copy_from_slice(o);
        }
        if let Some(f) = first {
            let kept = rows
                .iter()
                .zip(proofs)
                .filter_map(|(&r, p)| Some((f + r, p?)));
            self.proofs.put(kept);
        }
        self.pruning.add(
            sigma,
            PruneCounts {
                rows: rows.len(),
                screened: todo.len(),
                proved_points,
            },
        );
        self.narrow_rows.fetch_add(rows.len(), Ordering::Relaxed);
        self.candidates.fetch_add(counted, Ordering::Relaxed);
    }
}

/// A row's candidates: ascending data indices and their exact squared distances.
type Survivors = (Vec<u32>, Vec<f64>);

/// The softmax-weighted mean of the points `(i, |x - y_i|^2)` (ascending i)
/// with exact f64 scores -|x - y_i|^2 / 2, written into `out`.
fn exact_softmax(points: &[(u32, f64)], data: &[f32], d: usize, sigma: f64, out: &mut [f32]) {
    let row = |i: u32| &data[i as usize * d..(i as usize + 1) * d];
    let m = points
        .iter()
        .map(|&(_, s)| -0.5 * s)
        .fold(f64::NEG_INFINITY, f64::max);
    let inv = 1.0 / (sigma * sigma);
    let mut acc = vec![0.0f64; d];
    let mut total = 0.0f64;
    for &(i, s) in points {
        let w = ((-0.5 * s - m) * inv).exp();
        total += w;
        for (a, &v) in acc.iter_mut().zip(row(i)) {
            *a += w * v as f64;
        }
    }
    // No candidate (a non-finite row) leaves NaN for the caller to report.
    for (o, a) in out.iter_mut().zip(&acc) {
        *o = (a / total) as f32;
    }
}

impl OptimalDenoiser {
    fn evaluate(&self, x: Tensor<2>, sigma: f64, first: Option<usize>) -> Tensor<2> {
        let d = self.blocks.data().d;
        let host_x = host::download(x.clone());
        let b = host_x.len() / d;
        let norms: Vec<f64> = host_x
            .chunks(d)
            .map(|r| r.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt())
            .collect();
        let narrow: Vec<usize> = (0..b)
            .filter(|&r| {
                self.blocks.score_error_typical(norms[r]) / (sigma * sigma)
                    > self.options.logit_tolerance
            })
            .collect();
        // Wide rows score every data point.
        let wide = b - narrow.len();
        if wide > 0 {
            self.pruning.add(sigma, PruneCounts::screened(wide));
        }
        if narrow.is_empty() {
            return self.wide(&x, sigma);
        }
        let mut out = if wide == 0 {
            vec![0.0; b * d]
        } else {
            host::download(self.wide(&x, sigma))
        };
        self.narrow(&host_x, &narrow, &norms, sigma, first, &mut out);
        host::upload(&out, b, d, self.blocks.device())
    }
}

impl Denoiser for OptimalDenoiser {
    fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
        self.evaluate(x, sigma, None)
    }

    /// Rows are trajectories `first..`: their proofs carry over between calls.
    fn denoise_rows(&self, x: Tensor<2>, sigma: f64, first: usize) -> Tensor<2> {
        self.evaluate(x, sigma, Some(first))
    }

    fn dim(&self) -> usize {
        self.blocks.data().d
    }

    fn device(&self) -> Device {
        self.blocks.device().clone()
    }

    fn describe(&self) -> String {
        let data = self.blocks.data();
        format!(
            "optimal denoiser of {} ({} x {}), chunk {}",
            data.source, data.n, data.d, self.options.chunk
        )
    }
}
