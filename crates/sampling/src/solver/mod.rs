//! Solvers, each a short loop over the schedule written as its math reads.
//! The models are k-diffusion's `sampling.py`, EDM's `generate.py`,
//! diff-sampler's `solvers.py` and smalldiffusion's `samples`.
//! eps(x, sigma) = (x - D(x; sigma)) / sigma is dx/dsigma of the PF-ODE.

mod coefficients;
mod exponential;
mod multistep;
#[cfg(feature = "serde")]
mod named;
mod params;
mod single_step;
mod stochastic;

pub use params::{SolverParamError, SolverParams};

use crate::SampleError;
use crate::record::Recorder;
use burn::tensor::Tensor;

/// A sampler of the VE process: the ODE solvers and the stochastic family.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Solver {
    /// Euler on dx/dsigma = eps: one evaluation per step. This is DDIM.
    Euler,
    /// EDM's Heun (2nd order): two evaluations per step, Euler on a step to 0.
    Heun,
    /// DPM-Solver-2: a midpoint at the geometric mean of the two sigmas.
    Dpm2,
    /// DPM-Solver++(2M): multistep, second order in log sigma, on D.
    DpmPp2m,
    /// Improved PNDM: Adams–Bashforth weights of `order` (1–4) on eps,
    /// lower orders while the history builds.
    Ipndm { order: usize },
    /// DEIS tAB: eps extrapolated by a polynomial in VP time, integrated exactly.
    Deis { order: usize },
    /// UniPC with B(h) = expm1(h) (bh2), data prediction, predictor + corrector.
    UniPc { order: usize },
    /// Linear multistep on eps with Lagrange weights integrated over sigma.
    Lms { order: usize },
    /// Permenter & Yuan's sampler (smalldiffusion `samples`):
    /// eps_bar = gamma eps_n + (1 - gamma) eps_{n-1}, with fresh noise of
    /// strength mu. DDIM is (1, 0), DDPM (1, 1/2), gradient estimation (2, 0).
    GradientEstimation { gamma: f64, mu: f64 },
    /// EDM Algorithm 2: churn noise into x before each Heun step.
    EdmStochastic {
        churn: f64,
        s_min: f64,
        s_max: f64,
        s_noise: f64,
    },
}

impl Solver {
    /// Names accepted by `Solver::new` (the config's `solver` key).
    pub const NAMES: &'static [&'static str] = &[
        "euler",
        "ddim",
        "heun",
        "dpm2",
        "dpm++2m",
        "ipndm",
        "deis",
        "unipc",
        "lms",
        "gradient-estimation",
        "ddpm",
        "edm-stochastic",
    ];

    /// The solver family's name.
    pub fn name(&self) -> &'static str {
        match self {
            Solver::Euler => "euler",
            Solver::Heun => "heun",
            Solver::Dpm2 => "dpm2",
            Solver::DpmPp2m => "dpm++2m",
            Solver::Ipndm { .. } => "ipndm",
            Solver::Deis { .. } => "deis",
            Solver::UniPc { .. } => "unipc",
            Solver::Lms { .. } => "lms",
            Solver::GradientEstimation { .. } => "gradient-estimation",
            Solver::EdmStochastic { .. } => "edm-stochastic",
        }
    }

    /// The name with the parameters that set it apart, e.g. "ipndm(order=3)".
    pub fn describe(&self) -> String {
        match *self {
            Solver::Ipndm { order }
            | Solver::Deis { order }
            | Solver::UniPc { order }
            | Solver::Lms { order } => format!("{}(order={order})", self.name()),
            Solver::GradientEstimation { gamma, mu } => {
                format!("{}(gamma={gamma}, mu={mu})", self.name())
            }
            Solver::EdmStochastic {
                churn,
                s_min,
                s_max,
                s_noise,
            } => format!(
                "{}(s_churn={churn}, s_min={s_min}, s_max={s_max}, s_noise={s_noise})",
                self.name()
            ),
            _ => self.name().to_string(),
        }
    }

    /// Whether the solver draws fresh noise during sampling.
    pub fn is_stochastic(&self) -> bool {
        match *self {
            Solver::GradientEstimation { mu, .. } => mu > 0.0,
            Solver::EdmStochastic { churn, .. } => churn > 0.0,
            _ => false,
        }
    }

    /// Exact number of denoiser evaluations for a schedule (without a final jump).
    pub fn nfe(&self, sigmas: &[f64]) -> usize {
        let steps = sigmas.len() - 1;
        let to_zero = usize::from(sigmas[steps] == 0.0);
        match self {
            // Two evaluations per step, one on a step to 0.
            Solver::Heun | Solver::Dpm2 | Solver::EdmStochastic { .. } => 2 * steps - to_zero,
            // One evaluation per step.
            _ => steps,
        }
    }

    /// Integrates from x_0 (already scaled by sigma_0) and returns x_N.
    pub fn run(
        &self,
        rec: &mut Recorder,
        x: Tensor<2>,
        sigmas: &[f64],
    ) -> Result<Tensor<2>, SampleError> {
        match *self {
            Solver::Euler => single_step::euler(rec, x, sigmas),
            Solver::Heun => single_step::heun(rec, x, sigmas),
            Solver::Dpm2 => single_step::dpm2(rec, x, sigmas),
            Solver::DpmPp2m => exponential::dpmpp_2m(rec, x, sigmas),
            Solver::UniPc { order } => exponential::unipc(rec, x, sigmas, order),
            Solver::Ipndm { order } => multistep::ipndm(rec, x, sigmas, order),
            Solver::Deis { order } => multistep::deis(rec, x, sigmas, order),
            Solver::Lms { order } => multistep::lms(rec, x, sigmas, order),
            Solver::GradientEstimation { gamma, mu } => {
                stochastic::gradient_estimation(rec, x, sigmas, gamma, mu)
            }
            Solver::EdmStochastic {
                churn,
                s_min,
                s_max,
                s_noise,
            } => stochastic::edm(rec, x, sigmas, churn, s_min, s_max, s_noise),
        }
    }
}

/// eps(x, sigma) from a denoiser output.
fn eps(x: &Tensor<2>, denoised: Tensor<2>, sigma: f64) -> Tensor<2> {
    (x.clone() - denoised).div_scalar(sigma)
}

/// sum_j c_j v_j over a non-empty list.
fn combine(terms: impl IntoIterator<Item = (f64, Tensor<2>)>) -> Tensor<2> {
    terms
        .into_iter()
        .map(|(c, v)| v.mul_scalar(c))
        .reduce(|a, b| a + b)
        .expect("at least one term")
}
