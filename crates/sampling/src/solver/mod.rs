//! Solvers, each a short loop over the schedule written as its math reads.
//! The models are k-diffusion's `sampling.py`, EDM's `generate.py`,
//! diff-sampler's `solvers.py` and smalldiffusion's `samples`.
//! eps(x, sigma) = (x - D(x; sigma)) / sigma is dx/dsigma of the PF-ODE.

mod coefficients;
mod exponential;
mod kind;
mod multistep;
#[cfg(feature = "serde")]
mod named;
mod ops;
mod params;
mod run;
mod single_step;
mod stochastic;

pub use kind::Solver;
pub use params::{SolverParamError, SolverParams};
