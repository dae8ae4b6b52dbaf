//! Exact pruning along a trajectory, by the triangle inequality.
//!
//! A screen of a state a that kept the points `near` and left out only
//! points whose approximate score lies below a floor F proves, for every
//! point y outside `near`, |a - y|^2 = |a|^2 - 2 s(y) > |a|^2 - 2 (F + e) =: R^2,
//! where e bounds the score error. A later state x at distance δ from a is
//! then farther than R - δ from every such point. When (R - δ)^2 exceeds
//! the cutoff that the caller derives from the exact distances of `near`
//! alone (the minimum plus a softmax window; the second minimum for two
//! nearest neighbours), no point outside `near` can pass it, and the exact
//! f64 distances of `near` decide, in the same order and with the same bits
//! as after a full screen: pruning never changes a result, only its cost.
//!
//! Memory: one proof per trajectory in flight, d + |near| values (|near| is
//! the screen's `keep`, 256, or the softmax window when that is larger, up
//! to n / 32), at most 256 MiB in all.

use crate::blocked::{Screened, exact_sq_dist};
use geotraj_data::Dataset;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Points a proving screen keeps beyond the window: the radius to spare.
pub(crate) const KEEP: usize = 256;

/// Relative slack on every f64 quantity of a proof, far above the rounding
/// of f64 sums of up to millions of terms.
const SLACK: f64 = 1e-9;

/// Bytes of proofs held at once; beyond it the cache starts afresh (a lost
/// proof only costs a screen).
const MAX_BYTES: usize = 256 << 20;

/// A proof is kept only while re-scoring its points exactly (f64, about 30
/// times the cost of a GEMM's multiply-add) costs less than a screen of all
/// n points: |near| <= n / NEAR_DIVISOR.
const NEAR_DIVISOR: usize = 32;

/// What one screen proved about the data around a state.
#[derive(Debug, Clone)]
pub(crate) struct Proof {
    anchor: Vec<f32>,
    /// Ascending data indices kept by the screen.
    near: Vec<u32>,
    /// Every other data point lies farther than sqrt(radius_sq) from `anchor`.
    radius_sq: f64,
}

/// |x|^2 in f64, summed in index order.
fn sq_norm(x: &[f32]) -> f64 {
    x.iter().map(|&v| v as f64 * v as f64).sum()
}

impl Proof {
    /// The proof of a screen of state `x` over `n` data points whose scores
    /// err by at most `error`; `None` when it proves nothing (non-finite
    /// state, floor above the state's norm) or would cost more than a screen.
    pub fn new(x: &[f32], screened: &Screened, error: f64, n: usize) -> Option<Self> {
        if screened.idx.len() > (n / NEAR_DIVISOR).max(KEEP) {
            return None;
        }
        let xx = sq_norm(x);
        let f = screened.floor as f64;
        if !xx.is_finite() || f.is_nan() {
            return None;
        }
        let radius_sq = if f == f64::NEG_INFINITY {
            f64::INFINITY // every point was kept
        } else {
            let r = xx - 2.0 * (f + error);
            r - SLACK * (xx + 2.0 * f.abs() + 2.0 * error)
        };
        (radius_sq > 0.0).then(|| Self {
            anchor: x.to_vec(),
            near: screened.idx.clone(),
            radius_sq,
        })
    }

    fn bytes(&self) -> usize {
        4 * (self.anchor.len() + self.near.len()) + 64
    }

    /// The kept data indices, ascending.
    pub fn near(&self) -> &[u32] {
        &self.near
    }

    /// The exact squared distances from `x` to `near`, when the proof shows
    /// that no other data point lies within `cutoff(distances)` of `x`; with
    /// them, the proof moved to `x` for the trajectory's next state.
    pub fn reuse(
        &self,
        x: &[f32],
        data: &Dataset,
        cutoff: impl Fn(&[f64]) -> Option<f64>,
    ) -> Option<(Vec<f64>, Proof)> {
        let delta = exact_sq_dist(x, &self.anchor).sqrt() * (1.0 + SLACK);
        let spare = self.radius_sq.sqrt() - delta;
        // (Also false for NaN.)
        if spare.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        let dists: Vec<f64> = self
            .near
            .iter()
            .map(|&i| exact_sq_dist(x, data.row(i as usize)))
            .collect();
        let c = cutoff(&dists)?;
        if !c.is_finite() || spare * spare <= c * (1.0 + SLACK) + f64::MIN_POSITIVE {
            return None;
        }
        // Every point outside `near` lies farther than `spare` from x, so any
        // radius up to it proves the points of `near` within it. Keeping only
        // those within the cutoff plus twice this step's length (the next
        // step is expected about as long) makes the next re-scoring cheap;
        // a trajectory that outruns it is screened again.
        let rho = (1.01 * c.sqrt() + 2.0 * delta).min(spare);
        let rho_sq = rho * rho;
        let near = self
            .near
            .iter()
            .zip(&dists)
            .filter(|&(_, &s)| s < rho_sq)
            .map(|(&i, _)| i)
            .collect();
        let next = Proof {
            anchor: x.to_vec(),
            near,
            radius_sq: rho_sq * (1.0 - SLACK),
        };
        Some((dists, next))
    }
}

/// How much of the data a searcher scored at one σ.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneCounts {
    /// States evaluated.
    pub rows: usize,
    /// States that needed the full screen (every data point scored).
    pub screened: usize,
    /// Data points scored exactly for states answered by a proof.
    pub proved_points: usize,
}

impl PruneCounts {
    /// `rows` states that each scored every data point.
    pub fn screened(rows: usize) -> Self {
        Self {
            rows,
            screened: rows,
            proved_points: 0,
        }
    }

    /// The counts added since `before` was taken (from the same log).
    pub fn since(self, before: PruneCounts) -> Self {
        Self {
            rows: self.rows - before.rows,
            screened: self.screened - before.screened,
            proved_points: self.proved_points - before.proved_points,
        }
    }

    /// The fraction of (state, data point) pairs never scored, of `n` points.
    pub fn skipped_fraction(&self, n: usize) -> f64 {
        let all = self.rows as f64 * n as f64;
        if all == 0.0 {
            return f64::NAN;
        }
        1.0 - (self.screened as f64 * n as f64 + self.proved_points as f64) / all
    }
}

/// Per-σ counts, keyed by σ's bits (σ > 0 orders as its bits).
#[derive(Debug, Default)]
pub(crate) struct PruneLog(Mutex<BTreeMap<u64, PruneCounts>>);

impl PruneLog {
    pub fn add(&self, sigma: f64, c: PruneCounts) {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let e = m.entry(sigma.to_bits()).or_default();
        e.rows += c.rows;
        e.screened += c.screened;
        e.proved_points += c.proved_points;
    }

    /// (σ, counts) in increasing σ.
    pub fn snapshot(&self) -> Vec<(f64, PruneCounts)> {
        let m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        m.iter().map(|(&k, &c)| (f64::from_bits(k), c)).collect()
    }
}

/// Proofs keyed by trajectory index. A proof is valid for any state, so a
/// key that now names another trajectory only costs a screen.
#[derive(Debug, Default)]
pub(crate) struct ProofCache(Mutex<Held>);

#[derive(Debug, Default)]
struct Held {
    proofs: HashMap<usize, Proof>,
    bytes: usize,
}

impl ProofCache {
    pub fn take(&self, keys: impl Iterator<Item = usize>) -> Vec<Option<Proof>> {
        let mut h = self.0.lock().unwrap_or_else(|e| e.into_inner());
        keys.map(|k| {
            let p = h.proofs.remove(&k)?;
            h.bytes -= p.bytes();
            Some(p)
        })
        .collect()
    }

    pub fn put(&self, proofs: impl Iterator<Item = (usize, Proof)>) {
        let mut h = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (k, p) in proofs {
            if h.bytes + p.bytes() > MAX_BYTES {
                h.proofs.clear();
                h.bytes = 0;
            }
            h.bytes += p.bytes();
            if let Some(old) = h.proofs.insert(k, p) {
                h.bytes -= old.bytes();
            }
        }
    }
}
