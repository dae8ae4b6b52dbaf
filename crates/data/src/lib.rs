//! Data for geotraj: the `Dataset` container, loaders (IDX/MNIST family,
//! CIFAR-10, PNG folders, NumPy .npy/.npz), a safetensors header validator,
//! synthetic generators (toys, mixtures, manifolds with exact projections),
//! and the counter-based random numbers every crate uses so results never
//! depend on batching or threads.
//!
//! Every loader treats its input as hostile: only regular files are opened,
//! header sizes are checked (overflow, file length, the payload cap of
//! `limits`) before anything is allocated from them, and compressed data
//! is inflated only up to what its header declares.

pub mod cifar;
mod cursor;
pub mod dataset;
pub mod error;
pub mod gmm;
mod gzip;
pub mod idx;
pub mod limits;
pub mod manifolds;
pub mod mnist;
pub mod nearest;
pub mod npy;
mod npy_header;
pub mod npz;
pub mod png_folder;
mod png_write;
mod regular;
pub mod rng;
pub mod safetensors;
pub mod shapes;
pub mod toys;
pub mod weights;
mod zip;

#[cfg(test)]
mod test_zip;

#[cfg(test)]
mod testutil;

pub use cifar::{CIFAR10_CLASS_NAMES, CIFAR10_SIDE, load_cifar10};
pub use dataset::Dataset;
pub use error::DataError;
pub use gmm::{Covariance, Gmm};
pub use idx::{IdxArray, load_idx_images, read_idx};
pub use limits::{MAX_DATA_BYTES_ENV, max_payload_bytes, set_max_payload_bytes};
pub use manifolds::{Manifold, ManifoldKind};
pub use mnist::{FASHION_MNIST_DIR, Split, load_mnist_dir};
pub use nearest::Nearest;
pub use npy::{encode_npy_f32, load_npy_dataset, read_npy_f32};
pub use npz::{load_npz_dataset, npz_keys, read_npz_f32, read_npz_f64};
pub use png_folder::load_png_folder;
pub use png_write::{encode_png, unscale_u8, write_png_folder};
pub use rng::{Stream, normal_rows};
pub use safetensors::{TensorInfo, check_safetensors};
pub use shapes::shapes;
pub use toys::{eight_gaussians, isotropic_gaussian, swiss_roll, two_moons};
pub use zip::crc32;
