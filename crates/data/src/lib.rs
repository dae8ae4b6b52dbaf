//! Data for geotraj: the `Dataset` container, loaders (IDX/MNIST family,
//! NumPy .npy), synthetic generators, and the counter-based random numbers
//! every crate uses so results never depend on batching or threads.

pub mod dataset;
pub mod error;
pub mod gmm;
pub mod idx;
pub mod mnist;
pub mod npy;
mod npy_header;
pub mod rng;
pub mod shapes;
pub mod toys;

#[cfg(test)]
mod testutil;

pub use dataset::Dataset;
pub use error::DataError;
pub use gmm::{Covariance, Gmm};
pub use idx::{IdxArray, load_idx_images, read_idx};
pub use mnist::{FASHION_MNIST_DIR, Split, load_mnist_dir};
pub use npy::{encode_npy_f32, load_npy_dataset, read_npy_f32};
pub use rng::{Stream, normal_rows};
pub use shapes::shapes;
pub use toys::{eight_gaussians, isotropic_gaussian, swiss_roll, two_moons};
