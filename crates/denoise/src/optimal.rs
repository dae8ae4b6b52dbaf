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
//!   of the best score; the softmax is then taken over exact f64 distances.

use crate::blocked::{Anchor, DataBlocks, exact_sq_dist};
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

    /// Exact softmax over screened candidates for the rows in `rows`.
    fn narrow(
        &self,
        x: &Tensor<2>,
        host_x: &[f32],
        rows: &[usize],
        norms: &[f64],
        sigma: f64,
        out: &mut [f32],
    ) {
        let data = self.blocks.data();
        let d = data.d;
        let windows: Vec<f64> = rows
            .iter()
            .map(|&r| {
                self.options.tail * sigma * sigma + 2.0 * self.blocks.score_error_bound(norms[r])
            })
            .collect();
        let cands = self.blocks.screen(x, rows, &windows, Anchor::Best);
        let mut row_out: Vec<Vec<f32>> = vec![vec![0.0; d]; rows.len()];
        let counted: usize = cands
            .par_iter()
            .zip(rows.par_iter())
            .zip(row_out.par_iter_mut())
            .map(|((idx, &r), o)| {
                exact_softmax(idx, &host_x[r * d..(r + 1) * d], &data.rows, d, sigma, o);
                idx.len()
            })
            .sum();
        for (&r, o) in rows.iter().zip(&row_out) {
            out[r * d..(r + 1) * d].copy_from_slice(o);
        }
        self.narrow_rows.fetch_add(rows.len(), Ordering::Relaxed);
        self.candidates.fetch_add(counted, Ordering::Relaxed);
    }
}

/// The softmax-weighted mean of the candidates `idx` with exact f64 scores
/// -|x - y_i|^2 / 2, written into `out`.
fn exact_softmax(idx: &[u32], x: &[f32], data: &[f32], d: usize, sigma: f64, out: &mut [f32]) {
    let row = |i: u32| &data[i as usize * d..(i as usize + 1) * d];
    let exact: Vec<f64> = idx
        .iter()
        .map(|&i| -0.5 * exact_sq_dist(x, row(i)))
        .collect();
    let m = exact.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let inv = 1.0 / (sigma * sigma);
    let mut acc = vec![0.0f64; d];
    let mut total = 0.0f64;
    for (&i, &s) in idx.iter().zip(&exact) {
        let w = ((s - m) * inv).exp();
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

impl Denoiser for OptimalDenoiser {
    fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
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
        if narrow.is_empty() {
            return self.wide(&x, sigma);
        }
        let mut out = if narrow.len() < b {
            host::download(self.wide(&x, sigma))
        } else {
            vec![0.0; b * d]
        };
        self.narrow(&x, &host_x, &narrow, &norms, sigma, &mut out);
        host::upload(&out, b, d, self.blocks.device())
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
