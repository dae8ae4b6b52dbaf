//! Jump-early quality (Chen et al., Obs. 3): a sampler stopped at step n can
//! return x_n, or D(x_n) for one more evaluation. Per step, the Fréchet
//! distance (FD, in the features of `[quality]`) of x_n and of D(x_n)
//! over all trajectories to held-out data, against the NFE spent. Batches
//! add features only, so the states are never kept.

use crate::context::held_out::HeldOut;
use geotraj_records::Table;
use geotraj_sampling::Trajectories;

/// One case's per-step features, filled batch by batch.
pub struct JumpFeatures {
    /// Per recorded step: features of x_n, then of D(x_n) (rows in trajectory order).
    states: Vec<Vec<f64>>,
    denoised: Vec<Vec<f64>>,
}

impl JumpFeatures {
    pub fn new() -> Self {
        JumpFeatures {
            states: Vec::new(),
            denoised: Vec::new(),
        }
    }

    /// Adds one batch's x_n and D(x_n) at every step.
    pub fn add(&mut self, judge: &HeldOut, t: &Trajectories) -> anyhow::Result<()> {
        let points = t.steps() + 1;
        if self.states.is_empty() {
            self.states = vec![Vec::new(); points];
            self.denoised = vec![Vec::new(); points];
        }
        for n in 0..points {
            let rows: Vec<f32> = (0..t.n).flat_map(|i| t.state(i, n).to_vec()).collect();
            self.states[n].extend(judge.features(&rows, t.n)?);
        }
        let mut by_step: Vec<Vec<f32>> = vec![Vec::new(); points];
        for i in 0..t.n {
            for (n, r) in t.denoised(i) {
                by_step[n].extend_from_slice(r);
            }
        }
        for (n, rows) in by_step.into_iter().enumerate() {
            if !rows.is_empty() {
                let count = rows.len() / t.d;
                self.denoised[n].extend(judge.features(&rows, count)?);
            }
        }
        Ok(())
    }

    /// The per-step FDs; `head` gives the schedule and the evaluation order.
    pub fn finish(self, judge: &HeldOut, head: &Trajectories) -> JumpQuality {
        let k = judge.k();
        let fd = |f: &[f64]| {
            let n = f.len() / k.max(1);
            if n < 2 {
                return f64::NAN;
            }
            judge.fd(f, n)
        };
        let points = head.steps() + 1;
        let mut q = JumpQuality {
            features: judge.kind(),
            ..JumpQuality::default()
        };
        for n in 0..points {
            // x_n costs the evaluations of the steps before it; D(x_n) one more,
            // the evaluation at x_n itself (absent at the last state).
            let spent = (0..head.nfe()).filter(|&e| head.eval_step[e] < n).count();
            let at = (0..head.nfe()).find(|&e| head.eval_at_state[e] && head.eval_step[e] == n);
            q.step.push(n);
            q.sigma.push(head.sigmas[n]);
            q.nfe_state.push(spent);
            q.fd_state.push(fd(&self.states[n]));
            q.nfe_denoised.push(at.map_or(-1, |e| e as i64 + 1));
            q.fd_denoised.push(match at {
                Some(_) => fd(&self.denoised[n]),
                None => f64::NAN,
            });
        }
        q
    }
}

impl Default for JumpFeatures {
    fn default() -> Self {
        Self::new()
    }
}

/// Per step of one case: FD of x_n and of D(x_n) and the NFE each costs
/// (nfe_denoised -1 and fd_denoised NaN where no evaluation is made at x_n).
#[derive(Debug, Clone, Default)]
pub struct JumpQuality {
    pub step: Vec<usize>,
    pub sigma: Vec<f64>,
    pub nfe_state: Vec<usize>,
    pub fd_state: Vec<f64>,
    pub nfe_denoised: Vec<i64>,
    pub fd_denoised: Vec<f64>,
    /// The features the FDs are in.
    pub features: crate::config::QualityFeatures,
}

impl JumpQuality {
    /// The fewest NFE at which D(x_n) is within `factor` of x_N's FD, with that FD.
    pub fn early(&self, factor: f64) -> Option<(i64, f64)> {
        let last = *self.fd_state.last()?;
        self.fd_denoised
            .iter()
            .zip(&self.nfe_denoised)
            .find(|&(&f, _)| f.is_finite() && f <= factor * last)
            .map(|(&f, &nfe)| (nfe, f))
    }

    pub fn table(&self, data: &str, sampler: &str) -> Table {
        let rows = self.step.len();
        Table::new()
            .with_str("data", vec![data.to_string(); rows])
            .with_str("sampler", vec![sampler.to_string(); rows])
            .with_i64("step", self.step.iter().map(|&s| s as i64).collect())
            .with_f64("sigma", self.sigma.clone())
            .with_i64(
                "nfe_state",
                self.nfe_state.iter().map(|&s| s as i64).collect(),
            )
            .with_f64("fd_state", self.fd_state.clone())
            .with_i64("nfe_denoised", self.nfe_denoised.clone())
            .with_f64("fd_denoised", self.fd_denoised.clone())
    }
}
