//! `[[data]]`: where a data set comes from, and which denoiser it gets.

use super::denoiser::{DenoiserConfig, DenoiserKind};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DataConfig {
    /// Label in tables and figure names (default: the kind).
    pub name: Option<String>,
    #[serde(flatten)]
    pub source: DataSource,
    /// Keep only the first `limit` rows.
    pub limit: Option<usize>,
    /// For files without a test split (npy, npz, png-folder): the last
    /// `held_out` rows are set aside to judge samples against.
    pub held_out: Option<usize>,
    /// Overrides `[denoiser] kind` for this data set.
    pub denoiser: Option<DenoiserKind>,
}

/// serde cannot combine `flatten` with `deny_unknown_fields`, so the common
/// keys are taken out by hand and the rest must fit one `kind` exactly.
impl<'de> Deserialize<'de> for DataConfig {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut table = toml::Table::deserialize(de)?;
        let name = match table.remove("name") {
            None => None,
            Some(toml::Value::String(s)) => Some(s),
            Some(v) => {
                return Err(D::Error::custom(format!(
                    "name: expected a string, got {v}"
                )));
            }
        };
        let mut count = |key: &str| match table.remove(key) {
            None => Ok(None),
            Some(toml::Value::Integer(l)) if l >= 0 => Ok(Some(l as usize)),
            Some(v) => Err(D::Error::custom(format!(
                "{key}: expected a non-negative integer, got {v}"
            ))),
        };
        let limit = count("limit")?;
        let held_out = count("held_out")?;
        let denoiser = match table.remove("denoiser") {
            None => None,
            Some(v) => Some(DenoiserKind::deserialize(v).map_err(|e| {
                D::Error::custom(format!(
                    "denoiser: expected \"optimal\", \"analytic\" or \"learned\" ({})",
                    e.message()
                ))
            })?),
        };
        let source =
            DataSource::deserialize(toml::Value::Table(table)).map_err(D::Error::custom)?;
        Ok(DataConfig {
            name,
            source,
            limit,
            held_out,
            denoiser,
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DataSource {
    /// IDX files of the MNIST family; Fashion-MNIST by default location.
    FashionMnist {
        path: Option<PathBuf>,
        #[serde(default)]
        split: SplitName,
    },
    MnistIdx {
        path: PathBuf,
        #[serde(default)]
        split: SplitName,
    },
    /// One IDX image file (any name, e.g. EMNIST's), with optional labels.
    Idx {
        images: PathBuf,
        labels: Option<PathBuf>,
    },
    /// A float32/float64 .npy matrix, n x d.
    Npy { path: PathBuf },
    /// One array of a NumPy .npz archive (`key`: needed when it holds several).
    Npz { path: PathBuf, key: Option<String> },
    /// CIFAR-10 binary batches: the cifar-10-batches-bin folder or one .bin file.
    Cifar10 {
        path: PathBuf,
        #[serde(default)]
        split: SplitName,
    },
    /// Every .png file of a folder (one shape), in file-name order.
    PngFolder { path: PathBuf },
    /// n points uniform on a k-sphere of `radius`, in a random (k+1)-plane of R^ambient.
    Sphere {
        #[serde(default = "default_n")]
        n: usize,
        k: usize,
        ambient: usize,
        #[serde(default = "one")]
        radius: f64,
    },
    /// n points uniform on a flat k-torus (k circles of `radius`) in a random 2k-plane.
    Torus {
        #[serde(default = "default_n")]
        n: usize,
        k: usize,
        ambient: usize,
        #[serde(default = "one")]
        radius: f64,
    },
    /// n points N(0, radius^2) on a random k-dimensional linear subspace.
    Subspace {
        #[serde(default = "default_n")]
        n: usize,
        k: usize,
        ambient: usize,
        #[serde(default = "one")]
        radius: f64,
    },
    SwissRoll {
        #[serde(default = "default_n")]
        n: usize,
        #[serde(default = "default_toy_noise")]
        noise: f64,
    },
    TwoMoons {
        #[serde(default = "default_n")]
        n: usize,
        #[serde(default = "default_toy_noise")]
        noise: f64,
    },
    EightGaussians {
        #[serde(default = "default_n")]
        n: usize,
        #[serde(default = "default_toy_noise")]
        noise: f64,
    },
    /// The embedded 16x16 image set.
    Shapes {
        #[serde(default = "default_n")]
        n: usize,
    },
    /// A Gaussian mixture: `components` equal-variance isotropic (or, with
    /// `diagonal`, axis-aligned) components, on a ring of radius `spread`
    /// (2-D, layout "ring") or with means drawn from N(0, spread^2 I).
    Gmm {
        #[serde(default = "default_n")]
        n: usize,
        #[serde(default = "default_components")]
        components: usize,
        #[serde(default = "two")]
        dim: usize,
        #[serde(default)]
        layout: GmmLayout,
        #[serde(default = "two_f")]
        spread: f64,
        #[serde(default = "default_gmm_std")]
        std: f64,
        #[serde(default)]
        diagonal: bool,
    },
    /// N(mean, std^2 I) in `dim` dimensions.
    Gaussian {
        #[serde(default = "default_n")]
        n: usize,
        dim: usize,
        #[serde(default)]
        mean: f64,
        #[serde(default = "one")]
        std: f64,
    },
}

fn default_n() -> usize {
    2000
}
fn default_toy_noise() -> f64 {
    0.05
}
fn one() -> f64 {
    1.0
}
fn two() -> usize {
    2
}
fn two_f() -> f64 {
    2.0
}
fn default_components() -> usize {
    8
}
fn default_gmm_std() -> f64 {
    0.2
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum GmmLayout {
    #[default]
    Random,
    Ring,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SplitName {
    #[default]
    Train,
    Test,
}

impl DataConfig {
    /// This data set's denoiser: its own `denoiser` key, else `[denoiser] kind`.
    pub fn denoiser_kind(&self, denoiser: &DenoiserConfig) -> DenoiserKind {
        self.denoiser.unwrap_or(denoiser.kind)
    }

    pub fn label(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.source.kind().into())
    }
}

impl DataSource {
    pub fn kind(&self) -> &'static str {
        match self {
            DataSource::FashionMnist { .. } => "fashion-mnist",
            DataSource::MnistIdx { .. } => "mnist-idx",
            DataSource::Idx { .. } => "idx",
            DataSource::Npy { .. } => "npy",
            DataSource::Npz { .. } => "npz",
            DataSource::Cifar10 { .. } => "cifar10",
            DataSource::PngFolder { .. } => "png-folder",
            DataSource::Sphere { .. } => "sphere",
            DataSource::Torus { .. } => "torus",
            DataSource::Subspace { .. } => "subspace",
            DataSource::SwissRoll { .. } => "swiss-roll",
            DataSource::TwoMoons { .. } => "two-moons",
            DataSource::EightGaussians { .. } => "eight-gaussians",
            DataSource::Shapes { .. } => "shapes",
            DataSource::Gaussian { .. } => "gaussian",
            DataSource::Gmm { .. } => "gmm",
        }
    }
}
