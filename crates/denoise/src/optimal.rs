//! The optimal denoiser of a finite set K = {y_i}:
//! D*(x; sigma) = sum_i w_i y_i, w = softmax_i(-|x - y_i|^2 / 2 sigma^2).
//!
//! Scores s_i = <x, y_i> - |y_i|^2 / 2 (equal to -|x - y_i|^2 / 2 up to a
//! per-row constant) come from one GEMM per data chunk, so the work is
//! matrix-multiply bound and memory is O(batch x chunk).
//!
//! Two regimes, chosen per row from the f32 rounding error of the scores:
//! - wide (rounding negligible against sigma^2): an online log-sum-exp over
//!   chunks on the device, with a second GEMM for the weighted sum;
//! - narrow (small sigma, where f32 cancellation in the scores could decide
//!   the softmax): the GEMM only screens candidates within a provable window
//!   of the best score; the softmax is then taken over exact f64 distances.

use crate::rescore::Candidates;
use geotraj_data::Dataset;
use geotraj_sampling::{Denoiser, Device, Tensor, host};
use rayon::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Unit roundoff of f32.
const U32: f64 = f32::EPSILON as f64 / 2.0;

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

struct Chunk {
    start: usize,
    /// len x d
    y: Tensor<2>,
    /// d x len, contiguous so the score GEMM reads it without a transpose.
    yt: Tensor<2>,
    /// 1 x len: |y_i|^2 / 2 computed in f64.
    half_norm: Tensor<2>,
}

pub struct OptimalDenoiser {
    data: Arc<Dataset>,
    device: Device,
    chunks: Vec<Chunk>,
    max_norm: f64,
    options: OptimalOptions,
    /// Rows decided in the narrow regime, and their candidates (diagnostics).
    narrow_rows: AtomicUsize,
    candidates: AtomicUsize,
}

impl OptimalDenoiser {
    /// Uploads the data set to `device` in chunks.
    pub fn new(data: Arc<Dataset>, device: Device, options: OptimalOptions) -> Self {
        let (n, d) = (data.n, data.d);
        let chunk = options.chunk.max(1);
        let chunks = (0..n)
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
                Chunk {
                    start,
                    y: host::upload(rows, len, d, &device),
                    yt: host::upload(&t, d, len, &device),
                    half_norm: host::upload(&half, 1, len, &device),
                }
            })
            .collect();
        Self {
            max_norm: data.max_norm(),
            data,
            device,
            chunks,
            options,
            narrow_rows: AtomicUsize::new(0),
            candidates: AtomicUsize::new(0),
        }
    }

    /// (rows decided exactly, candidates re-scored) since construction.
    pub fn narrow_stats(&self) -> (usize, usize) {
        (
            self.narrow_rows.load(Ordering::Relaxed),
            self.candidates.load(Ordering::Relaxed),
        )
    }

    /// A bound on |s~_i - s_i| for every i, valid for any summation order:
    /// the dot product errs by at most ~d u |x||y|, and two roundings follow.
    fn score_error_bound(&self, x_norm: f64) -> f64 {
        let y = self.max_norm;
        2.0 * (self.data.d as f64 + 2.0) * U32 * (x_norm * y + 0.5 * y * y)
    }

    /// The typical (random-walk) size of the same error.
    fn score_error_typical(&self, x_norm: f64) -> f64 {
        (self.data.d as f64).sqrt() * U32 * (x_norm * self.max_norm + 0.5 * self.max_norm.powi(2))
    }

    fn scores(&self, x: &Tensor<2>, c: &Chunk) -> Tensor<2> {
        x.clone().matmul(c.yt.clone()) - c.half_norm.clone()
    }

    /// Online log-sum-exp over chunks, all on the device.
    fn wide(&self, x: &Tensor<2>, sigma: f64) -> Tensor<2> {
        let inv = 1.0 / (sigma * sigma);
        let xs = x.clone().mul_scalar(inv);
        let mut state: Option<(Tensor<2>, Tensor<2>, Tensor<2>)> = None; // (max, sum, acc)
        for c in &self.chunks {
            let logits = xs.clone().matmul(c.yt.clone()) - c.half_norm.clone().mul_scalar(inv);
            let chunk_max = logits.clone().max_dim(1);
            state = Some(match state {
                None => {
                    let p = (logits - chunk_max.clone()).exp();
                    (chunk_max, p.clone().sum_dim(1), p.matmul(c.y.clone()))
                }
                Some((m, l, acc)) => {
                    let m_new = m.clone().max_pair(chunk_max);
                    let scale = (m - m_new.clone()).exp();
                    let p = (logits - m_new.clone()).exp();
                    (
                        m_new,
                        l * scale.clone() + p.clone().sum_dim(1),
                        acc * scale + p.matmul(c.y.clone()),
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
        let d = self.data.d;
        let mut cands: Vec<Candidates> = rows
            .iter()
            .map(|&r| {
                Candidates::new(
                    self.options.tail * sigma * sigma + 2.0 * self.score_error_bound(norms[r]),
                )
            })
            .collect();
        for c in &self.chunks {
            let s = host::download(self.scores(x, c));
            let len = s.len() / norms.len();
            cands
                .par_iter_mut()
                .zip(rows)
                .for_each(|(cand, &r)| cand.offer(c.start, &s[r * len..(r + 1) * len]));
        }
        let mut row_out: Vec<Vec<f32>> = vec![vec![0.0; d]; rows.len()];
        let counted: usize = cands
            .into_par_iter()
            .zip(rows.par_iter())
            .zip(row_out.par_iter_mut())
            .map(|((cand, &r), o)| {
                cand.resolve(&host_x[r * d..(r + 1) * d], &self.data.rows, d, sigma, o)
            })
            .sum();
        for (&r, o) in rows.iter().zip(&row_out) {
            out[r * d..(r + 1) * d].copy_from_slice(o);
        }
        self.narrow_rows.fetch_add(rows.len(), Ordering::Relaxed);
        self.candidates.fetch_add(counted, Ordering::Relaxed);
    }
}

impl Denoiser for OptimalDenoiser {
    fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
        let d = self.data.d;
        let host_x = host::download(x.clone());
        let b = host_x.len() / d;
        let norms: Vec<f64> = host_x
            .chunks(d)
            .map(|r| r.iter().map(|&v| v as f64 * v as f64).sum::<f64>().sqrt())
            .collect();
        let narrow: Vec<usize> = (0..b)
            .filter(|&r| {
                self.score_error_typical(norms[r]) / (sigma * sigma) > self.options.logit_tolerance
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
        host::upload(&out, b, d, &self.device)
    }

    fn dim(&self) -> usize {
        self.data.d
    }

    fn device(&self) -> Device {
        self.device.clone()
    }

    fn describe(&self) -> String {
        format!(
            "optimal denoiser of {} ({} x {}), chunk {}",
            self.data.source, self.data.n, self.data.d, self.options.chunk
        )
    }
}
