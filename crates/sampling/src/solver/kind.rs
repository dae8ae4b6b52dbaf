//! The `Solver` type: which sampler, with its parameters, and what can be
//! said of it without running it (name, description, evaluation count).
//! Building one from a name is in `params`, running it in `run`.

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
}
