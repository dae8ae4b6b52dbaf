//! Recorded sampling runs, kept on the host as contiguous f32 buffers.

/// For every trajectory: the states x_n at every step and the denoiser outputs
/// at every evaluation. All trajectories of a run share the schedule, so the
/// evaluation bookkeeping (sigma, step, where) is stored once.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectories {
    /// Number of trajectories.
    pub n: usize,
    /// State dimension.
    pub d: usize,
    /// The schedule, steps + 1 values.
    pub sigmas: Vec<f64>,
    /// n x (steps + 1) x d: x_0 (noise) ... x_N (final sample).
    pub states: Vec<f32>,
    /// n x nfe x d: every denoiser output, in evaluation order.
    pub evals: Vec<f32>,
    /// Per evaluation: the sigma it was made at.
    pub eval_sigma: Vec<f64>,
    /// Per evaluation: the step (interval index) it belongs to.
    pub eval_step: Vec<usize>,
    /// Per evaluation: true when made at the recorded state x_step with
    /// sigma_step, i.e. it is the denoising-trajectory point r_step.
    pub eval_at_state: Vec<bool>,
}

impl Trajectories {
    /// Number of solver steps N.
    pub fn steps(&self) -> usize {
        self.sigmas.len() - 1
    }

    /// Denoiser evaluations per trajectory.
    pub fn nfe(&self) -> usize {
        self.eval_sigma.len()
    }

    /// x_step of trajectory `i`.
    pub fn state(&self, i: usize, step: usize) -> &[f32] {
        let off = (i * (self.steps() + 1) + step) * self.d;
        &self.states[off..off + self.d]
    }

    /// Output of evaluation `e` of trajectory `i`.
    pub fn eval(&self, i: usize, e: usize) -> &[f32] {
        let off = (i * self.nfe() + e) * self.d;
        &self.evals[off..off + self.d]
    }

    /// The denoising trajectory: (step, r_step) for every step that has an
    /// evaluation at its state, in step order.
    pub fn denoised(&self, i: usize) -> Vec<(usize, &[f32])> {
        (0..self.nfe())
            .filter(|&e| self.eval_at_state[e])
            .map(|e| (self.eval_step[e], self.eval(i, e)))
            .collect()
    }

    /// The final samples x_N, n x d.
    pub fn final_samples(&self) -> Vec<f32> {
        (0..self.n)
            .flat_map(|i| self.state(i, self.steps()).iter().copied())
            .collect()
    }
}
