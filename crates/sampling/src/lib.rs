//! Sampling of the variance-exploding probability-flow ODE in EDM form:
//! the `Denoiser` seam, schedules, solvers, the adaptive reference solve and
//! recorded trajectories.

pub mod denoiser;
pub mod error;
pub mod gits;
pub mod host;
pub mod record;
pub mod reference;
pub mod sample;
pub mod schedule;
pub mod schedule_kind;
pub mod solver;
pub mod trajectories;

pub use burn::tensor::{Device, Tensor};
pub use denoiser::Denoiser;
pub use error::SampleError;
pub use gits::{
    GitsCost, GitsOptions, gits_costs, gits_path, gits_schedule, gits_teacher, teacher_costs,
};
pub use record::StepNoise;
pub use reference::{ReferenceOptions, ReferenceSolve, reference_solve};
pub use sample::{SampleOptions, nfe, sample};
pub use schedule::{Schedule, ScheduleEnd, ScheduleError};
pub use schedule_kind::{ScheduleKind, ScheduleParams};
pub use solver::{Solver, SolverParamError, SolverParams};
pub use trajectories::Trajectories;
