//! geotraj: a workbench for the geometry of diffusion-model sampling.
//! This facade re-exports the crates (see Layout in the README).

pub use geotraj_data as data;
pub use geotraj_denoise as denoise;
pub use geotraj_metrics as metrics;
pub use geotraj_plots as plots;
pub use geotraj_records as records;
pub use geotraj_sampling as sampling;
pub use geotraj_workbench as workbench;
