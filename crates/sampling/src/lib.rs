//! Sampling of the variance-exploding probability-flow ODE in EDM form:
//! the `Denoiser` seam, schedules, solvers and recorded trajectories.

pub mod denoiser;
pub mod error;
pub mod host;
pub mod record;
pub mod sample;
pub mod schedule;
pub mod solver;
pub mod trajectories;

pub use burn::tensor::{Device, Tensor};
pub use denoiser::Denoiser;
pub use error::SampleError;
pub use sample::{SampleOptions, sample};
pub use schedule::{Schedule, ScheduleEnd, ScheduleError};
pub use solver::Solver;
pub use trajectories::Trajectories;
