//! Denoisers: the optimal (mean-shift) denoiser of a finite data set and
//! analytic denoisers of known laws (Gaussian, Gaussian mixture). All
//! implement `geotraj_sampling::Denoiser`.

pub mod gaussian;
pub mod gmm;
pub mod optimal;
mod rescore;

pub use gaussian::GaussianDenoiser;
pub use gmm::GmmDenoiser;
pub use optimal::{OptimalDenoiser, OptimalOptions};
