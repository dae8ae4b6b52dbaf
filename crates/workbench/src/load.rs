//! Turns a `[[data]]` table into a `Dataset`.

use crate::config::{DataConfig, DataSource, SplitName};
use geotraj_data::{Dataset, Split, toys};
use std::path::Path;

pub fn load(cfg: &DataConfig, seed: u64) -> Result<Dataset, String> {
    let split = |s: SplitName| match s {
        SplitName::Train => Split::Train,
        SplitName::Test => Split::Test,
    };
    let data = match &cfg.source {
        DataSource::FashionMnist { path, split: s } => {
            let dir = path
                .as_deref()
                .unwrap_or(Path::new(geotraj_data::FASHION_MNIST_DIR));
            geotraj_data::load_mnist_dir(dir, split(*s), "fashion-mnist")
        }
        DataSource::MnistIdx { path, split: s } => {
            geotraj_data::load_mnist_dir(path, split(*s), "mnist-idx")
        }
        DataSource::Npy { path } => geotraj_data::load_npy_dataset(path),
        DataSource::SwissRoll { n, noise } => Ok(toys::swiss_roll(*n, seed, *noise)),
        DataSource::TwoMoons { n, noise } => Ok(toys::two_moons(*n, seed, *noise)),
        DataSource::EightGaussians { n, noise } => Ok(toys::eight_gaussians(*n, seed, *noise)),
        DataSource::Shapes { n } => Ok(geotraj_data::shapes(*n, seed)),
        DataSource::Gaussian { n, dim, mean, std } => {
            Ok(toys::isotropic_gaussian(*n, *dim, *mean, *std, seed))
        }
    }
    .map_err(|e| format!("data \"{}\": {e}", cfg.label()))?;
    Ok(match cfg.limit {
        Some(m) => data.limit(m),
        None => data,
    })
}
