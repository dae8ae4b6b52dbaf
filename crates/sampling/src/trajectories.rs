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

    /// Trajectories first..first + count, whole (same schedule and evaluations).
    pub fn rows(&self, first: usize, count: usize) -> Trajectories {
        let (points, nfe) = (self.steps() + 1, self.nfe());
        let span = |per: usize| first * per * self.d..(first + count) * per * self.d;
        Trajectories {
            n: count,
            d: self.d,
            sigmas: self.sigmas.clone(),
            states: self.states[span(points)].to_vec(),
            evals: self.evals[span(nfe)].to_vec(),
            eval_sigma: self.eval_sigma.clone(),
            eval_step: self.eval_step.clone(),
            eval_at_state: self.eval_at_state.clone(),
        }
    }

    /// The final samples x_N, n x d.
    pub fn final_samples(&self) -> Vec<f32> {
        (0..self.n)
            .flat_map(|i| self.state(i, self.steps()).iter().copied())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::Trajectories;

    #[test]
    fn rows_are_the_trajectories_they_name() {
        // 3 trajectories, 2 steps, 2 evaluations, d = 2; values encode (i, slot).
        let (n, points, nfe, d) = (3, 3, 2, 2);
        let t = Trajectories {
            n,
            d,
            sigmas: vec![2.0, 1.0, 0.0],
            states: (0..n * points * d).map(|v| v as f32).collect(),
            evals: (0..n * nfe * d).map(|v| 100.0 + v as f32).collect(),
            eval_sigma: vec![2.0, 1.0],
            eval_step: vec![0, 1],
            eval_at_state: vec![true, true],
        };
        let r = t.rows(1, 2);
        assert_eq!(r.n, 2);
        for i in 0..2 {
            for s in 0..points {
                assert_eq!(r.state(i, s), t.state(i + 1, s));
            }
            for e in 0..nfe {
                assert_eq!(r.eval(i, e), t.eval(i + 1, e));
            }
        }
        assert_eq!(
            (r.sigmas, r.eval_step),
            (t.sigmas.clone(), t.eval_step.clone())
        );
        assert_eq!(t.rows(0, 3), t);
    }
}
