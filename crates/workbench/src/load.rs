//! Turns a `[[data]]` table into a `Dataset`, its law where it is known, and
//! a held-out set to judge samples against.

use crate::config::{DataConfig, DataSource, GmmLayout, SplitName};
use geotraj_data::{Dataset, Gmm, Split, toys};
use std::path::Path;

/// Generated held-out sets use the seed plus this, so they share no row
/// with the training set.
const HELD_OUT_SEED: u64 = 0x5851_F42D_4C95_7F2D;

pub fn load(cfg: &DataConfig, seed: u64) -> Result<Dataset, String> {
    let data = generate(cfg, seed, seed, false)?;
    Ok(match cfg.limit {
        Some(m) => data.limit(m),
        None => data,
    })
}

/// Data the denoiser never saw, of the same law: the other split of an IDX
/// set, a fresh draw of a generated one, the same rows for an .npy file
/// (which has no held-out part). Not limited by `limit`.
pub fn held_out(cfg: &DataConfig, seed: u64) -> Result<Dataset, String> {
    generate(cfg, seed, seed.wrapping_add(HELD_OUT_SEED), true)
}

/// The law of generated data where it is known exactly (gmm).
pub fn gmm_law(source: &DataSource, seed: u64) -> Option<Gmm> {
    match *source {
        DataSource::Gmm {
            components,
            dim,
            layout,
            spread,
            std,
            diagonal,
            ..
        } => Some(match layout {
            GmmLayout::Ring => Gmm::ring(components, spread, std),
            GmmLayout::Random => Gmm::random(
                components,
                dim,
                spread,
                (0.5 * std, 1.5 * std),
                diagonal,
                seed,
            ),
        }),
        _ => None,
    }
}

/// `law_seed` fixes a generated law's parameters, `seed` the draw.
fn generate(
    cfg: &DataConfig,
    law_seed: u64,
    seed: u64,
    other_split: bool,
) -> Result<Dataset, String> {
    let split = |s: SplitName| match (s, other_split) {
        (SplitName::Train, false) | (SplitName::Test, true) => Split::Train,
        _ => Split::Test,
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
        DataSource::Gmm { n, .. } => {
            let law = gmm_law(&cfg.source, law_seed).expect("a gmm source has a law");
            Ok(law.sample(*n, seed, "gmm"))
        }
    };
    data.map_err(|e| format!("data \"{}\": {e}", cfg.label()))
}
