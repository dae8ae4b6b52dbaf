//! The quality classifier of a labelled image data set (`[quality]
//! features = "classifier"`): trained on the run's training rows and their
//! labels, cached under the run's cache folder by a key of everything it
//! depends on (its spec and the data's values and labels), its accuracy
//! measured on held-out rows.

use anyhow::{Context as _, bail};
use burn::tensor::Device;
use geotraj_data::Dataset;
use geotraj_denoise::learned::checkpoint::{load_weights, save_weights};
use geotraj_denoise::learned::classifier::{
    Classifier, ClassifierSpec, classify, train_classifier,
};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::fingerprint::{data_fingerprint, fnv1a};
use super::inception::image_shape;

/// Bumped whenever the network or its training changes, so old caches miss.
const CACHE_VERSION: u64 = 1;
const MODEL_FILE: &str = "classifier.safetensors";
const INFO_FILE: &str = "classifier.json";

/// A trained classifier and what is known of it.
pub struct QualityClassifier {
    pub net: Classifier,
    pub spec: ClassifierSpec,
    /// Fraction of the held-out rows classified right.
    pub accuracy: f64,
    pub held_out: usize,
    pub seconds: f64,
    pub from_cache: bool,
    pub folder: PathBuf,
}

impl QualityClassifier {
    /// One line for reports: what the features are and how good they are.
    pub fn describe(&self) -> String {
        format!(
            "a {}-class classifier trained here ({} epochs; accuracy {:.1} % on {} held-out images)",
            self.spec.classes,
            self.spec.epochs,
            100.0 * self.accuracy,
            self.held_out
        )
    }
}

/// The classifier of `data` (labelled images), trained or read from
/// `cache_dir`; its accuracy on `held` (labelled too).
pub fn classifier_for(
    label: &str,
    data: &Dataset,
    held: &Dataset,
    seed: u64,
    cache_dir: &Path,
    device: &Device,
) -> anyhow::Result<QualityClassifier> {
    let t = Instant::now();
    let [c, h, w] = image_shape(
        &data.item_shape,
        &data.source,
        "quality.features = \"classifier\"",
    )?;
    let (Some(labels), Some(held_labels)) = (&data.labels, &held.labels) else {
        bail!(
            "quality.features = \"classifier\": data \"{label}\" ({}) has no labels to train on; use an IDX set with labels or CIFAR-10, or features = \"pca\"",
            data.source
        );
    };
    let classes = usize::from(*labels.iter().max().expect("a data set is not empty")) + 1;
    let spec = ClassifierSpec {
        seed,
        ..ClassifierSpec::for_images(c, h, w, classes.max(2))
    };
    if let Some(p) = spec.problem() {
        bail!("quality.features = \"classifier\" on data \"{label}\": {p}");
    }
    let key = json!({
        "version": CACHE_VERSION,
        "spec": spec,
        "n": data.n,
        "rows": data_fingerprint(data),
        "labels": format!("{:016x}", fnv1a(labels.iter().copied())),
    })
    .to_string();
    let folder = cache_dir.join(format!("{label}-{:016x}", fnv1a(key.bytes())));
    let (net, from_cache) = match read_cache(&folder, &key, &spec, device) {
        Some(net) => (net, true),
        None => {
            let total = spec.epochs * data.n.div_ceil(spec.batch_size);
            eprintln!(
                "training the quality classifier of data \"{label}\": {} images, {total} steps",
                data.n
            );
            let trained = train_classifier(&spec, &data.rows, labels, device, &mut |_, _| {})
                .map_err(anyhow::Error::msg)?;
            write_cache(&folder, &key, &trained.net)
                .with_context(|| format!("caching the classifier in {}", folder.display()))?;
            (trained.net, false)
        }
    };
    let n = held.n.min(held_labels.len());
    let (_, predicted) = classify(&net, &spec, &held.rows[..n * spec.dim()], n, 256, device);
    let right = predicted
        .iter()
        .zip(held_labels)
        .filter(|(p, l)| **p == usize::from(**l))
        .count();
    Ok(QualityClassifier {
        net,
        spec,
        accuracy: right as f64 / n.max(1) as f64,
        held_out: n,
        seconds: t.elapsed().as_secs_f64(),
        from_cache,
        folder,
    })
}

/// The cached network when the folder holds one under exactly `key`.
fn read_cache(
    folder: &Path,
    key: &str,
    spec: &ClassifierSpec,
    device: &Device,
) -> Option<Classifier> {
    let info = std::fs::read_to_string(folder.join(INFO_FILE)).ok()?;
    let v: serde_json::Value = serde_json::from_str(&info).ok()?;
    if v.get("key")?.as_str()? != key {
        return None;
    }
    load_weights(Classifier::new(spec, device), &folder.join(MODEL_FILE)).ok()
}

/// Weights first, the key last: a folder without its key is never read.
fn write_cache(folder: &Path, key: &str, net: &Classifier) -> anyhow::Result<()> {
    std::fs::create_dir_all(folder)?;
    let _ = std::fs::remove_file(folder.join(INFO_FILE));
    save_weights(net, &folder.join(MODEL_FILE)).map_err(|e| anyhow::anyhow!("{e}"))?;
    geotraj_records::write_json(&folder.join(INFO_FILE), &json!({ "key": key }))?;
    Ok(())
}
