//! What samples of one data set are judged against: the first held-out
//! rows and their statistics in the chosen features (the PCA components
//! of the training data, or Inception's pool3 for FID). Shared by sweeps
//! (FD, SW2) and jump-early quality (FD per step).

use super::classifier::{QualityClassifier, classifier_for};
use super::data::LoadedData;
use super::inception::{self, image_shape, load_inception};
use super::load::held_out;
use crate::config::{Config, DataConfig, QualityFeatures};
use anyhow::{Context as _, bail};
use burn::tensor::Device;
use geotraj_denoise::learned::classifier::{CLASSIFIER_FEATURES, classify};
use geotraj_denoise::pretrained::{FidInception, INCEPTION_FEATURES};
use geotraj_metrics::{FeatureStats, Pca, frechet_distance, read_fid_stats};
use std::path::Path;

/// Held-out rows used for the quality measures (the first ones).
pub const HELD_OUT_ROWS: usize = 2000;

/// The feature map of the Fréchet distance.
pub enum Features {
    /// The top `quality.pca_dim` components of the training data.
    Pca(Pca),
    /// pytorch-fid's Inception-v3 on images of this shape.
    Inception {
        net: Box<FidInception>,
        shape: [usize; 3],
        device: Device,
    },
    /// A classifier trained here on the data set's labels.
    Classifier {
        net: Box<QualityClassifier>,
        device: Device,
    },
}

impl Features {
    /// The feature dimension.
    pub fn k(&self) -> usize {
        match self {
            Features::Pca(p) => p.k,
            Features::Inception { .. } => INCEPTION_FEATURES,
            Features::Classifier { .. } => CLASSIFIER_FEATURES,
        }
    }

    /// n rows' features (n x k).
    pub fn of(&self, rows: &[f32], n: usize) -> anyhow::Result<Vec<f64>> {
        Ok(match self {
            Features::Pca(p) => p.project(rows, n),
            Features::Inception { net, shape, device } => inception::features(
                net,
                rows,
                n,
                *shape,
                INCEPTION_FEATURES,
                inception::BATCH,
                device,
            )?
            .into_iter()
            .map(f64::from)
            .collect(),
            Features::Classifier { net, device } => {
                let (f, _) = classify(&net.net, &net.spec, rows, n, 256, device);
                f.into_iter().map(f64::from).collect()
            }
        })
    }
}

pub struct HeldOut {
    pub features: Features,
    /// n x d held-out rows.
    pub rows: Vec<f32>,
    pub n: usize,
    /// The reference statistics: the held-out rows' features, or a
    /// pytorch-fid statistics file's.
    pub stats: FeatureStats,
}

impl HeldOut {
    /// `cache` holds trained classifiers (features = "classifier").
    pub fn new(
        config: &Config,
        dcfg: &DataConfig,
        loaded: &LoadedData,
        device: &Device,
        cache: &Path,
    ) -> anyhow::Result<Self> {
        let data = &loaded.data;
        let held = held_out(dcfg, config.seed)?;
        let n = held.n.min(HELD_OUT_ROWS);
        let rows = held.rows[..n * data.d].to_vec();
        let q = &config.quality;
        let features = match q.features {
            QualityFeatures::Pca => Features::Pca(Pca::fit(&data.rows, data.n, data.d, q.pca_dim)),
            QualityFeatures::Inception => {
                let shape = image_shape(
                    &data.item_shape,
                    &data.source,
                    "quality.features = \"inception\"",
                )?;
                let path = q
                    .inception_weights
                    .as_deref()
                    .expect("planning requires quality.inception_weights");
                let net = load_inception(path, device).context("quality.inception_weights")?;
                Features::Inception {
                    net: Box::new(net),
                    shape,
                    device: device.clone(),
                }
            }
            QualityFeatures::Classifier => {
                let c = classifier_for(
                    &loaded.label,
                    data,
                    &held,
                    config.seed,
                    &cache.join("classifier"),
                    device,
                )?;
                eprintln!(
                    "data \"{}\": FD-classifier in the features of {}{}",
                    loaded.label,
                    c.describe(),
                    if c.from_cache {
                        " (from the cache)"
                    } else {
                        ""
                    }
                );
                Features::Classifier {
                    net: Box::new(c),
                    device: device.clone(),
                }
            }
        };
        let stats = match &q.reference_stats {
            Some(path) => {
                let s = read_fid_stats(path)
                    .map_err(anyhow::Error::msg)
                    .context("quality.reference_stats")?;
                if s.k != features.k() {
                    bail!(
                        "quality.reference_stats: {} holds {}-d statistics, Inception's pool3 is {}-d",
                        path.display(),
                        s.k,
                        features.k()
                    );
                }
                s
            }
            None => FeatureStats::of(&features.of(&rows, n)?, n, features.k()),
        };
        Ok(HeldOut {
            features,
            rows,
            n,
            stats,
        })
    }

    /// Which features these are.
    pub fn kind(&self) -> QualityFeatures {
        match &self.features {
            Features::Pca(_) => QualityFeatures::Pca,
            Features::Inception { .. } => QualityFeatures::Inception,
            Features::Classifier { .. } => QualityFeatures::Classifier,
        }
    }

    /// The feature dimension.
    pub fn k(&self) -> usize {
        self.features.k()
    }

    /// n rows' features (n x k).
    pub fn features(&self, rows: &[f32], n: usize) -> anyhow::Result<Vec<f64>> {
        self.features.of(rows, n)
    }

    /// What the features are, for reports (None for PCA and Inception,
    /// which the README describes once).
    pub fn note(&self) -> Option<String> {
        match &self.features {
            Features::Classifier { net, .. } => Some(net.describe()),
            _ => None,
        }
    }

    /// The Fréchet distance of n rows of features (n x k) to the reference.
    pub fn fd(&self, features: &[f64], n: usize) -> f64 {
        frechet_distance(&FeatureStats::of(features, n, self.k()), &self.stats)
    }
}
