//! Geometry of sampling and denoising trajectories, per step and per
//! trajectory, with f64 accumulation and parallel over trajectories; and
//! sample-quality measures (PCA features, Fréchet distance, sliced
//! Wasserstein-2).

pub mod bands;
mod columns;
pub mod data_distance;
mod fid_stats;
pub mod geometry;
pub mod linalg;
pub mod lowdim;
pub mod quality;
pub mod trajectory;
mod vec;

pub use bands::{Band, band};
pub use data_distance::{DataInputs, data_measures, identity_errors, mean_shift};
pub use fid_stats::{read_fid_stats, write_fid_stats};
pub use geometry::{PathGeometry, path_geometry};
pub use lowdim::{TrajectoryPca, joint_view3d, trajectory_pca, view3d};
pub use quality::{FeatureStats, Pca, frechet_distance, sliced_w2};
pub use trajectory::{Measures, measure};
pub use vec::{distance, nanmax};
