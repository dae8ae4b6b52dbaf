//! The ground truth for solver error: an adaptive Dormand–Prince 5(4) solve
//! of the PF-ODE with f64 state and tight error control.
//!
//! It integrates in lambda = ln sigma, where the ODE reads
//! dx/dlambda = sigma eps = x - D(x; sigma): smooth over the whole range, so
//! steps stay large where the sigma-form is stiff. Step sizes are chosen for
//! the whole population at once (the error is the worst trajectory's), and
//! every stage is evaluated batch by batch, so the batch size does not
//! change the steps taken.

use crate::{Denoiser, SampleError, host};

/// Tolerances and limits of the reference solve.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceOptions {
    /// Relative and absolute tolerance per component (scaled RMS over a trajectory).
    pub rtol: f64,
    pub atol: f64,
    /// A solve to sigma = 0 integrates to this sigma, then jumps to D(x; zero_sigma):
    /// the result is then within O(zero_sigma^2) of the ODE's limit.
    pub zero_sigma: f64,
    /// Rows per denoiser call.
    pub batch_size: usize,
    /// Give up after this many steps (accepted and rejected).
    pub max_steps: usize,
}

impl Default for ReferenceOptions {
    fn default() -> Self {
        ReferenceOptions {
            rtol: 1e-6,
            atol: 1e-6,
            zero_sigma: 1e-5,
            batch_size: 64,
            max_steps: 10_000,
        }
    }
}

/// The end points of a reference solve and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceSolve {
    pub n: usize,
    pub d: usize,
    /// n x d final states, f64.
    pub samples: Vec<f64>,
    /// Denoiser evaluations per trajectory.
    pub nfe: usize,
    pub accepted: usize,
    pub rejected: usize,
}

// Dormand–Prince 5(4): nodes, stage weights, 5th-order weights and the
// difference to the embedded 4th-order weights.
const C: [f64; 7] = [0.0, 0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0];
const A: [&[f64]; 7] = [
    &[],
    &[0.2],
    &[3.0 / 40.0, 9.0 / 40.0],
    &[44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
    &[
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
    ],
    &[
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
    ],
    &[
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];
const E: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];

/// Solves from x = sigma_start * noise (n x d rows) down to `sigma_end`
/// (0 for the ODE's limit), then, if `final_jump`, takes D(x; sigma_end).
pub fn reference_solve(
    denoiser: &dyn Denoiser,
    sigma_start: f64,
    sigma_end: f64,
    final_jump: bool,
    noise: &[f32],
    options: ReferenceOptions,
    on_eval: &mut dyn FnMut(),
) -> Result<ReferenceSolve, SampleError> {
    let d = denoiser.dim();
    if d == 0 || noise.is_empty() || !noise.len().is_multiple_of(d) {
        return Err(SampleError::Invalid(format!(
            "noise has {} values, expected a positive multiple of the dimension {d}",
            noise.len()
        )));
    }
    if !(sigma_start.is_finite() && sigma_start > 0.0 && (0.0..sigma_start).contains(&sigma_end)) {
        return Err(SampleError::Invalid(format!(
            "reference solve from sigma {sigma_start} to {sigma_end}: expected start > end >= 0"
        )));
    }
    let (end, jump) = if sigma_end == 0.0 {
        (options.zero_sigma.min(0.5 * sigma_start), true)
    } else {
        (sigma_end, final_jump)
    };
    let mut f = Field {
        denoiser,
        n: noise.len() / d,
        d,
        batch_size: options.batch_size.max(1),
        evals: 0,
        on_eval,
    };
    let mut x: Vec<f64> = noise.iter().map(|&z| sigma_start * z as f64).collect();
    let (mut lam, lam_end) = (sigma_start.ln(), end.ln());
    let mut h = -0.05f64.min(lam - lam_end);
    let mut k1 = f.slope(&x, lam)?;
    let (mut accepted, mut rejected) = (0, 0);
    while lam > lam_end {
        if accepted + rejected >= options.max_steps {
            return Err(SampleError::Invalid(format!(
                "reference solve did not reach sigma {end} in {} steps (at sigma {})",
                options.max_steps,
                lam.exp()
            )));
        }
        h = h.max(lam_end - lam);
        let mut k = vec![k1.clone()];
        for (stage, a) in A.iter().enumerate().skip(1) {
            let xs = axpy_sum(&x, h, a, &k);
            k.push(f.slope(&xs, lam + C[stage] * h)?);
        }
        let x_new = axpy_sum(&x, h, A[6], &k);
        let err = f.error_norm(&x, &x_new, &k, h, &options);
        if err <= 1.0 {
            x = x_new;
            lam += h;
            k1 = k.pop().expect("seven stages");
            accepted += 1;
        } else {
            rejected += 1;
        }
        let factor = if err == 0.0 {
            5.0
        } else {
            (0.9 * err.powf(-0.2)).clamp(0.2, 5.0)
        };
        h *= factor;
        if h.abs() < 1e-12 {
            return Err(SampleError::Invalid(format!(
                "reference solve: step size underflow at sigma {}",
                lam.exp()
            )));
        }
    }
    if jump {
        let sigma = end;
        let eps = f.slope(&x, sigma.ln())?;
        // x - (x - D) = D
        for (xi, e) in x.iter_mut().zip(&eps) {
            *xi -= e;
        }
    }
    Ok(ReferenceSolve {
        n: f.n,
        d,
        samples: x,
        nfe: f.evals,
        accepted,
        rejected,
    })
}

/// x + h sum_j a_j k_j.
fn axpy_sum(x: &[f64], h: f64, a: &[f64], k: &[Vec<f64>]) -> Vec<f64> {
    let mut out = x.to_vec();
    for (aj, kj) in a.iter().zip(k) {
        if *aj != 0.0 {
            for (o, v) in out.iter_mut().zip(kj) {
                *o += h * aj * v;
            }
        }
    }
    out
}

/// dx/dlambda = x - D(x; e^lambda) over the whole population, batch by batch.
struct Field<'a> {
    denoiser: &'a dyn Denoiser,
    n: usize,
    d: usize,
    batch_size: usize,
    /// Evaluations per trajectory so far.
    evals: usize,
    on_eval: &'a mut dyn FnMut(),
}

impl Field<'_> {
    fn slope(&mut self, x: &[f64], lam: f64) -> Result<Vec<f64>, SampleError> {
        let sigma = lam.exp();
        let device = self.denoiser.device();
        let mut out = Vec::with_capacity(x.len());
        for first in (0..self.n).step_by(self.batch_size) {
            let rows = self.batch_size.min(self.n - first);
            let xs = &x[first * self.d..(first + rows) * self.d];
            let x32: Vec<f32> = xs.iter().map(|&v| v as f32).collect();
            let den = host::download(self.denoiser.denoise_rows(
                host::upload(&x32, rows, self.d, &device),
                sigma,
                first,
            ));
            if let Some(p) = den.iter().position(|v| !v.is_finite()) {
                return Err(SampleError::NonFinite {
                    what: "denoiser output (reference solve)",
                    trajectory: first + p / self.d,
                    step: self.evals,
                    sigma,
                });
            }
            out.extend(xs.iter().zip(&den).map(|(&xv, &dv)| xv - dv as f64));
            (self.on_eval)();
        }
        self.evals += 1;
        Ok(out)
    }

    /// The worst trajectory's scaled RMS of the embedded error estimate.
    fn error_norm(
        &self,
        x: &[f64],
        x_new: &[f64],
        k: &[Vec<f64>],
        h: f64,
        o: &ReferenceOptions,
    ) -> f64 {
        (0..self.n)
            .map(|i| {
                let r = i * self.d..(i + 1) * self.d;
                let sum: f64 = r
                    .map(|j| {
                        let e: f64 = E.iter().zip(k).map(|(ej, kj)| ej * kj[j]).sum::<f64>() * h;
                        let scale = o.atol + o.rtol * x[j].abs().max(x_new[j].abs());
                        (e / scale).powi(2)
                    })
                    .sum();
                (sum / self.d as f64).sqrt()
            })
            .fold(0.0, f64::max)
    }
}
