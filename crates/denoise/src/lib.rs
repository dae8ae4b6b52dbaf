//! Denoisers: the optimal (mean-shift) denoiser of a finite data set,
//! analytic denoisers of known laws (Gaussian, Gaussian mixture) and raw
//! networks behind a preconditioning (EDM, VE, VP). All
//! implement `geotraj_sampling::Denoiser`. Also the exact two-nearest-
//! neighbour search over a data set, which shares the optimal denoiser's
//! blocked kernel (and its uploaded data) in `blocked`.

pub mod blocked;
pub mod gaussian;
pub mod gmm;
pub mod learned;
pub mod nearest;
pub mod optimal;
pub mod precondition;
pub mod pretrained;
pub mod prune;
#[cfg(test)]
mod prune_tests;

pub use blocked::DataBlocks;
pub use gaussian::GaussianDenoiser;
pub use gmm::GmmDenoiser;
pub use learned::{LearnedNet, Net, NetConfig};
pub use nearest::{Nearest, NearestError, NearestNeighbours};
pub use optimal::{OptimalDenoiser, OptimalOptions};
pub use precondition::{Coefficients, Network, Preconditioned, Preconditioning};
pub use prune::PruneCounts;
