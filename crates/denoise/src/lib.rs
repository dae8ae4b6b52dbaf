//! Denoisers: the optimal (mean-shift) denoiser of a finite data set and
//! analytic denoisers of known laws. All implement `geotraj_sampling::Denoiser`.

pub mod gaussian;
pub mod optimal;
mod rescore;

pub use gaussian::GaussianDenoiser;
pub use optimal::{OptimalDenoiser, OptimalOptions};
