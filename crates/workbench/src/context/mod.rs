//! What every executor shares: the loaded data, the denoisers built on it,
//! where files go, the device, noise and progress. Built once per run from
//! a `Plan`; nothing here decides what a run does.

pub mod classifier;
mod data;
pub mod denoisers;
pub mod device;
mod dirs;
pub mod fingerprint;
pub mod held_out;
pub mod inception;
pub mod load;
pub mod memory;
pub mod noise;
pub mod progress;
pub mod staging;

pub use data::{LoadedData, image_shape};
pub use dirs::{OutputDirs, shown_path};

use burn::tensor::Device;
use denoisers::LearnedDenoiser;

/// The run's shared context.
pub struct Context {
    pub dirs: OutputDirs,
    pub device: Device,
    /// The device in words, for provenance.
    pub device_name: String,
    /// Every `[[data]]` table, in file order.
    pub data: Vec<LoadedData>,
    /// The network of the data sets with the learned denoiser.
    pub learned: Option<LearnedDenoiser>,
}
