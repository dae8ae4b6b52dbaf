//! Batched sampling: the batch size never changes a trajectory, because each
//! row's starting noise is given, every step acts row by row and step noise
//! is a function of (trajectory, step).

use crate::record::{Recorder, StepNoise};
use crate::schedule::validate;
use crate::{Denoiser, SampleError, Solver, Trajectories, host};

/// How to run a sampling job.
#[derive(Clone, Copy)]
pub struct SampleOptions<'a> {
    /// Trajectories per device batch.
    pub batch_size: usize,
    /// After the last sigma (which must be positive), jump to D(x; sigma_last):
    /// one more evaluation, recorded as a last state at sigma = 0.
    pub final_jump: bool,
    /// Noise for stochastic samplers; required by them, unused by the others.
    pub step_noise: Option<&'a dyn StepNoise>,
    /// Index of the trajectory `noise` row 0 starts, when a run is sampled
    /// in pieces: step noise and error messages use first + row.
    pub first: usize,
}

impl SampleOptions<'_> {
    /// Deterministic sampling in batches of `batch_size`, no final jump.
    pub fn batch(batch_size: usize) -> Self {
        SampleOptions {
            batch_size,
            final_jump: false,
            step_noise: None,
            first: 0,
        }
    }
}

/// Exact denoiser evaluations of `solver` over `sigmas`, with the optional final jump.
pub fn nfe(solver: &Solver, sigmas: &[f64], final_jump: bool) -> usize {
    solver.nfe(sigmas) + usize::from(final_jump)
}

/// Samples one trajectory per row of `noise` (n x d, standard normal;
/// x_0 = sigma_0 * noise) with `solver` over `sigmas`. `on_eval` is called
/// after every batch-wide denoiser evaluation (for progress display).
pub fn sample(
    denoiser: &dyn Denoiser,
    solver: Solver,
    sigmas: &[f64],
    noise: &[f32],
    options: SampleOptions,
    on_eval: &mut dyn FnMut(),
) -> Result<Trajectories, SampleError> {
    let d = denoiser.dim();
    validate(sigmas).map_err(|e| SampleError::Invalid(e.to_string()))?;
    if d == 0 || noise.is_empty() || !noise.len().is_multiple_of(d) {
        return Err(SampleError::Invalid(format!(
            "noise has {} values, expected a positive multiple of the dimension {d}",
            noise.len()
        )));
    }
    if options.batch_size == 0 {
        return Err(SampleError::Invalid("batch_size must be at least 1".into()));
    }
    let last = sigmas[sigmas.len() - 1];
    if options.final_jump && last == 0.0 {
        return Err(SampleError::Invalid(
            "a final jump needs a schedule that ends above 0".into(),
        ));
    }
    if solver.is_stochastic() && options.step_noise.is_none() {
        return Err(SampleError::Invalid(format!(
            "solver {} is stochastic and needs a step-noise source",
            solver.describe()
        )));
    }
    let n = noise.len() / d;
    let mut recorded = sigmas.to_vec();
    if options.final_jump {
        recorded.push(0.0);
    }
    let steps = recorded.len() - 1;
    let nfe = nfe(&solver, sigmas, options.final_jump);
    let device = denoiser.device();
    let mut out = Trajectories {
        n,
        d,
        sigmas: recorded,
        states: vec![0.0; n * (steps + 1) * d],
        evals: vec![0.0; n * nfe * d],
        eval_sigma: Vec::new(),
        eval_step: Vec::new(),
        eval_at_state: Vec::new(),
    };
    for first in (0..n).step_by(options.batch_size) {
        let rows = options.batch_size.min(n - first);
        let x0: Vec<f32> = noise[first * d..(first + rows) * d]
            .iter()
            .map(|&z| (sigmas[0] * z as f64) as f32)
            .collect();
        let x0 = host::upload(&x0, rows, d, &device);
        let mut rec = Recorder::new(
            denoiser,
            options.first + first,
            rows,
            steps,
            &mut *on_eval,
            options.step_noise,
        );
        let x = solver.run(&mut rec, x0, sigmas)?;
        if options.final_jump {
            let n_last = sigmas.len() - 1;
            let jumped = rec.denoise(&x, last, n_last, true)?;
            rec.state(n_last + 1, &jumped, 0.0)?;
        }
        debug_assert_eq!(rec.evals.len(), nfe, "NFE accounting");
        scatter(&mut out.states, &rec.states, first, rec.rows(), d);
        scatter(&mut out.evals, &rec.evals, first, rec.rows(), d);
        if first == 0 {
            out.eval_sigma = rec.eval_sigma;
            out.eval_step = rec.eval_step;
            out.eval_at_state = rec.eval_at_state;
        }
    }
    Ok(out)
}

/// Copies per-slot batch buffers (slot -> rows x d) into the
/// trajectory-major layout [trajectory][slot][d].
fn scatter(dst: &mut [f32], slots: &[Vec<f32>], first: usize, rows: usize, d: usize) {
    let per = slots.len();
    for (k, slot) in slots.iter().enumerate() {
        for r in 0..rows {
            let off = ((first + r) * per + k) * d;
            dst[off..off + d].copy_from_slice(&slot[r * d..(r + 1) * d]);
        }
    }
}
