//! What a run does: the run kinds, with their typed parts.

use super::samplers::PlannedSampler;
use super::sweep::Cell;
use crate::config::ProjectionConfig;

/// What a run does, with its typed parts.
#[derive(Debug, Clone, PartialEq)]
pub enum RunKind {
    /// `[[sampler]]` tables: trajectories recorded and measured. None at all
    /// in a file that only trains its network.
    Trajectory(Vec<PlannedSampler>),
    /// `[sweep]`: final samples of every cell judged against held-out data.
    Sweep(Vec<Cell>),
    /// `[projection]`: denoising against exact projection on manifolds.
    Projection(ProjectionConfig),
}
