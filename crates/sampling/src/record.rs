//! What a solver talks to: it evaluates the denoiser and records every
//! evaluation and state on the host, checking that they stay finite.

use crate::{Denoiser, SampleError, host};
use burn::tensor::Tensor;

/// Standard-normal noise for the stochastic samplers' steps. `fill` must be
/// a pure function of (trajectory, step), so that batching never changes a
/// sample.
pub trait StepNoise: Sync {
    /// Writes the d values of trajectory `trajectory`'s noise at `step` into `out`.
    fn fill(&self, trajectory: usize, step: usize, out: &mut [f32]);
}

/// One batch's recording. Buffers are batch-major: [row][slot][d].
pub struct Recorder<'a> {
    denoiser: &'a dyn Denoiser,
    /// Absolute index of the batch's first trajectory (for error messages
    /// and denoisers keyed on the trajectory).
    first: usize,
    rows: usize,
    d: usize,
    steps: usize,
    /// Row-major per step: states[step] = rows x d.
    pub(crate) states: Vec<Vec<f32>>,
    /// Per evaluation: rows x d.
    pub(crate) evals: Vec<Vec<f32>>,
    pub(crate) eval_sigma: Vec<f64>,
    pub(crate) eval_step: Vec<usize>,
    pub(crate) eval_at_state: Vec<bool>,
    on_eval: &'a mut dyn FnMut(),
    step_noise: Option<&'a dyn StepNoise>,
}

impl<'a> Recorder<'a> {
    pub(crate) fn new(
        denoiser: &'a dyn Denoiser,
        first: usize,
        rows: usize,
        steps: usize,
        on_eval: &'a mut dyn FnMut(),
        step_noise: Option<&'a dyn StepNoise>,
    ) -> Self {
        Self {
            denoiser,
            first,
            rows,
            d: denoiser.dim(),
            steps,
            states: Vec::with_capacity(steps + 1),
            evals: Vec::new(),
            eval_sigma: Vec::new(),
            eval_step: Vec::new(),
            eval_at_state: Vec::new(),
            on_eval,
            step_noise,
        }
    }

    /// Fresh standard-normal noise for this batch's rows at `step`.
    pub fn noise(&mut self, step: usize) -> Result<Tensor<2>, SampleError> {
        let source = self.step_noise.ok_or_else(|| {
            SampleError::Invalid("a stochastic sampler needs a step-noise source".into())
        })?;
        let d = self.d;
        let mut rows = vec![0f32; self.rows * d];
        for (r, out) in rows.chunks_mut(d).enumerate() {
            source.fill(self.first + r, step, out);
        }
        Ok(host::upload(&rows, self.rows, d, &self.denoiser.device()))
    }

    /// D(x; sigma), recorded as an evaluation of `step`. `at_state` says
    /// whether x is the recorded state x_step (so the output is r_step).
    pub fn denoise(
        &mut self,
        x: &Tensor<2>,
        sigma: f64,
        step: usize,
        at_state: bool,
    ) -> Result<Tensor<2>, SampleError> {
        let out = self.denoiser.denoise_rows(x.clone(), sigma, self.first);
        let rows = host::download(out.clone());
        self.check(&rows, "denoiser output", step, sigma)?;
        self.evals.push(rows);
        self.eval_sigma.push(sigma);
        self.eval_step.push(step);
        self.eval_at_state.push(at_state);
        (self.on_eval)();
        Ok(out)
    }

    /// Records x_step (step 0 is the starting noise).
    pub fn state(&mut self, step: usize, x: &Tensor<2>, sigma: f64) -> Result<(), SampleError> {
        debug_assert_eq!(step, self.states.len(), "states are recorded in order");
        debug_assert!(step <= self.steps);
        let rows = host::download(x.clone());
        self.check(&rows, "state", step, sigma)?;
        self.states.push(rows);
        Ok(())
    }

    fn check(
        &self,
        rows: &[f32],
        what: &'static str,
        step: usize,
        sigma: f64,
    ) -> Result<(), SampleError> {
        match rows.iter().position(|v| !v.is_finite()) {
            None => Ok(()),
            Some(p) => Err(SampleError::NonFinite {
                what,
                trajectory: self.first + p / self.d,
                step,
                sigma,
            }),
        }
    }

    pub(crate) fn rows(&self) -> usize {
        self.rows
    }
}
