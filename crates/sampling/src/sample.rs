//! Batched sampling: the batch size never changes a trajectory, because each
//! row's starting noise is given and every step acts row by row.

use crate::record::Recorder;
use crate::schedule::validate;
use crate::{Denoiser, SampleError, Solver, Trajectories, host};

/// How to run a sampling job.
#[derive(Debug, Clone, Copy)]
pub struct SampleOptions {
    /// Trajectories per device batch.
    pub batch_size: usize,
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
    let n = noise.len() / d;
    let steps = sigmas.len() - 1;
    let nfe = solver.nfe(sigmas);
    let device = denoiser.device();
    let mut out = Trajectories {
        n,
        d,
        sigmas: sigmas.to_vec(),
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
        let mut rec = Recorder::new(denoiser, first, rows, steps, &mut *on_eval);
        solver.run(&mut rec, x0, sigmas)?;
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
