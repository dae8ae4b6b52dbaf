//! Geometry of sampling and denoising trajectories, per step and per
//! trajectory, with f64 accumulation and parallel over trajectories.

pub mod bands;
pub mod geometry;
pub mod trajectory;
mod vec;

pub use bands::{Band, band};
pub use geometry::{PathGeometry, path_geometry};
pub use trajectory::{Measures, measure};
