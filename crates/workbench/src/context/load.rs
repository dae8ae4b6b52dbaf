//! Turns a `[[data]]` table into a `Dataset`, its law where it is known, and
//! a held-out set to judge samples against.

use crate::config::{DataConfig, DataSource, GmmLayout, SplitName};
use anyhow::{Context, bail};
use geotraj_data::{Dataset, Gmm, Manifold, ManifoldKind, Split, toys};
use std::path::Path;

/// Generated held-out sets use the seed plus this, so they share no row
/// with the training set.
const HELD_OUT_SEED: u64 = 0x5851_F42D_4C95_7F2D;

/// The largest row norm geotraj can measure: the denoisers and measures
/// compute squared distances in f32 (max 3.4e38); norms up to 1e15 keep
/// them, and sigma up to `plan::limits::MAX_SIGMA` times sqrt(d), far
/// from overflow.
pub const MAX_ROW_NORM: f64 = 1e15;

pub fn load(cfg: &DataConfig, seed: u64) -> anyhow::Result<Dataset> {
    let mut data = generate(cfg, seed, seed, false)?;
    if let Some(h) = cfg.held_out {
        data = split_tail(data, h, cfg)?.0;
    }
    let data = match cfg.limit {
        Some(m) => data.limit(m),
        None => data,
    };
    let norm = data.max_norm();
    if norm.is_nan() || norm > MAX_ROW_NORM {
        bail!(
            "data \"{}\" ({}): a row has norm {norm:e}; squared distances of such rows overflow \
             the f32 arithmetic of the denoisers (rows up to norm {MAX_ROW_NORM:e} are fine): rescale the data",
            cfg.label(),
            data.source
        );
    }
    Ok(data)
}

/// Data the denoiser never saw, of the same law: the other split of an IDX
/// or CIFAR-10 set, a fresh draw of a generated one, the last `held_out`
/// rows of a file without a split (or, without `held_out`, its own rows).
/// Not limited by `limit`.
pub fn held_out(cfg: &DataConfig, seed: u64) -> anyhow::Result<Dataset> {
    let data = generate(cfg, seed, seed.wrapping_add(HELD_OUT_SEED), true)?;
    match cfg.held_out {
        Some(h) => Ok(split_tail(data, h, cfg)?.1),
        None => Ok(data),
    }
}

/// The first n - h rows and the last h rows.
fn split_tail(data: Dataset, h: usize, cfg: &DataConfig) -> anyhow::Result<(Dataset, Dataset)> {
    if h >= data.n {
        bail!(
            "data \"{}\".held_out: {h} rows leave none of the {} to train on",
            cfg.label(),
            data.n
        );
    }
    let keep = data.n - h;
    let d = data.d;
    let part = |rows: &[f32], labels: Option<Vec<u8>>, n: usize, what: &str| {
        Dataset::new(
            rows.to_vec(),
            n,
            d,
            data.item_shape.clone(),
            labels,
            format!("{} [{what}]", data.source),
        )
        .map_err(anyhow::Error::from)
    };
    let labels = data.labels.as_ref();
    let train = part(
        &data.rows[..keep * d],
        labels.map(|l| l[..keep].to_vec()),
        keep,
        &format!("first {keep} rows"),
    )?;
    let held = part(
        &data.rows[keep * d..],
        labels.map(|l| l[keep..].to_vec()),
        h,
        &format!("last {h} rows, held out"),
    )?;
    Ok((train, held))
}

/// The manifold a sphere, torus or subspace source draws from (exact projection).
pub fn manifold_law(source: &DataSource, seed: u64) -> Option<anyhow::Result<Manifold>> {
    let (kind, k, ambient, radius) = match *source {
        DataSource::Sphere {
            k, ambient, radius, ..
        } => (ManifoldKind::Sphere, k, ambient, radius),
        DataSource::Torus {
            k, ambient, radius, ..
        } => (ManifoldKind::Torus, k, ambient, radius),
        DataSource::Subspace {
            k, ambient, radius, ..
        } => (ManifoldKind::Subspace, k, ambient, radius),
        _ => return None,
    };
    Some(Manifold::new(kind, k, ambient, radius, seed).map_err(anyhow::Error::from))
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
) -> anyhow::Result<Dataset> {
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
        DataSource::Idx { images, labels } => {
            geotraj_data::load_idx_images(images, labels.as_deref())
        }
        DataSource::Npy { path } => geotraj_data::load_npy_dataset(path),
        DataSource::Npz { path, key } => geotraj_data::load_npz_dataset(path, key.as_deref()),
        DataSource::Cifar10 { path, split: s } => geotraj_data::load_cifar10(path, split(*s)),
        DataSource::PngFolder { path } => geotraj_data::load_png_folder(path),
        DataSource::Sphere { n, .. }
        | DataSource::Torus { n, .. }
        | DataSource::Subspace { n, .. } => {
            let law = manifold_law(&cfg.source, law_seed)
                .expect("a manifold source has a law")
                .with_context(|| format!("data \"{}\"", cfg.label()))?;
            Ok(law.sample(*n, seed))
        }
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
    data.with_context(|| format!("data \"{}\"", cfg.label()))
}
