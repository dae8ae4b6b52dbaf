//! Solvers, each a short loop over the schedule written as its math reads
//! (k-diffusion's `sampling.py` and EDM's `generate.py` are the models).
//! eps(x, sigma) = (x - D(x; sigma)) / sigma is dx/dsigma of the PF-ODE.

use crate::SampleError;
use crate::record::Recorder;
use burn::tensor::Tensor;

/// A deterministic ODE solver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Solver {
    /// Euler on dx/dsigma = eps: one evaluation per step. This is DDIM.
    Euler,
    /// EDM's Heun (2nd order): two evaluations per step, Euler on a last step to 0.
    Heun,
}

impl Solver {
    pub fn name(&self) -> &'static str {
        match self {
            Solver::Euler => "euler",
            Solver::Heun => "heun",
        }
    }

    pub fn parse(s: &str) -> Option<Solver> {
        match s {
            "euler" | "ddim" => Some(Solver::Euler),
            "heun" => Some(Solver::Heun),
            _ => None,
        }
    }

    pub const NAMES: &'static [&'static str] = &["euler", "ddim", "heun"];

    /// Exact number of denoiser evaluations for a schedule.
    pub fn nfe(&self, sigmas: &[f64]) -> usize {
        let steps = sigmas.len() - 1;
        match self {
            Solver::Euler => steps,
            Solver::Heun => 2 * steps - usize::from(sigmas[steps] == 0.0),
        }
    }

    /// Integrates from x_0 (already scaled by sigma_0) and returns x_N.
    pub fn run(
        &self,
        rec: &mut Recorder,
        x: Tensor<2>,
        sigmas: &[f64],
    ) -> Result<Tensor<2>, SampleError> {
        match self {
            Solver::Euler => euler(rec, x, sigmas),
            Solver::Heun => heun(rec, x, sigmas),
        }
    }
}

fn eps(x: &Tensor<2>, denoised: Tensor<2>, sigma: f64) -> Tensor<2> {
    (x.clone() - denoised).div_scalar(sigma)
}

/// x_{n+1} = x_n + (sigma_{n+1} - sigma_n) eps(x_n, sigma_n).
fn euler(rec: &mut Recorder, mut x: Tensor<2>, sigmas: &[f64]) -> Result<Tensor<2>, SampleError> {
    rec.state(0, &x, sigmas[0])?;
    for n in 0..sigmas.len() - 1 {
        let (s, t) = (sigmas[n], sigmas[n + 1]);
        let d = eps(&x, rec.denoise(&x, s, n, true)?, s);
        x = x + d.mul_scalar(t - s);
        rec.state(n + 1, &x, t)?;
    }
    Ok(x)
}

/// EDM Algorithm 1: an Euler predictor, then the trapezoid of the two slopes,
/// except on a step to sigma = 0 where eps is undefined (Euler there).
fn heun(rec: &mut Recorder, mut x: Tensor<2>, sigmas: &[f64]) -> Result<Tensor<2>, SampleError> {
    rec.state(0, &x, sigmas[0])?;
    for n in 0..sigmas.len() - 1 {
        let (s, t) = (sigmas[n], sigmas[n + 1]);
        let d = eps(&x, rec.denoise(&x, s, n, true)?, s);
        let euler = x.clone() + d.clone().mul_scalar(t - s);
        x = if t == 0.0 {
            euler
        } else {
            let d2 = eps(&euler, rec.denoise(&euler, t, n, false)?, t);
            x + (d + d2).mul_scalar(0.5 * (t - s))
        };
        rec.state(n + 1, &x, t)?;
    }
    Ok(x)
}
