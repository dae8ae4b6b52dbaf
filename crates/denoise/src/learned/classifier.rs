//! A small convolutional classifier trained here on a data set's labels.
//! Its penultimate layer (128 features) gives an in-domain Fréchet distance
//! (FD-classifier) for small gray images, where Inception's features, made
//! for 299 × 299 photographs, fit poorly. Initial weights are drawn on the
//! host and batches from the counter RNG, and geotraj's own Adam updates
//! them, so a seed gives the same network on every thread count.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::optim::GradientsParams;
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;
use burn::tensor::{Device, Tensor, TensorData};
use geotraj_data::rng::Stream;
use serde::{Deserialize, Serialize};

use super::adam::{Adam, AdamOptions};
use super::init::host_init;

/// The width of the feature layer.
pub const CLASSIFIER_FEATURES: usize = 128;

/// What a classifier is: its input, classes and training. Its JSON is the
/// cache key of a trained classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierSpec {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub classes: usize,
    pub epochs: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub seed: u64,
}

impl ClassifierSpec {
    /// geotraj's choice for small images: 4 epochs of batches of 128 at
    /// learning rate 1e-3.
    pub fn for_images(channels: usize, height: usize, width: usize, classes: usize) -> Self {
        ClassifierSpec {
            channels,
            height,
            width,
            classes,
            epochs: 4,
            batch_size: 128,
            lr: 1e-3,
            seed: 0,
        }
    }

    /// Why this spec cannot be trained, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if !(self.channels == 1 || self.channels == 3) {
            return Some(format!("1 or 3 channels, found {}", self.channels));
        }
        if self.height < 4 || self.width < 4 || self.height > 256 || self.width > 256 {
            return Some(format!(
                "images of 4 to 256 pixels a side, found {} x {}",
                self.height, self.width
            ));
        }
        if self.classes < 2 || self.classes > 256 {
            return Some(format!("2 to 256 classes, found {}", self.classes));
        }
        if self.epochs == 0 || self.batch_size == 0 {
            return Some("at least one epoch and one image per batch".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Some(format!("a positive learning rate, found {}", self.lr));
        }
        None
    }

    fn pooled(&self) -> usize {
        64 * (self.height / 4) * (self.width / 4)
    }

    pub fn dim(&self) -> usize {
        self.channels * self.height * self.width
    }
}

/// conv 3×3 (32) → ReLU → 2×2 mean → conv 3×3 (64) → ReLU → 2×2 mean →
/// dense (128) → ReLU = the features → dense (classes) = the logits.
#[derive(Module, Debug)]
pub struct Classifier {
    conv_1: Conv2d,
    conv_2: Conv2d,
    dense: Linear,
    out: Linear,
}

fn conv(i: usize, o: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([i, o], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

fn halve(x: Tensor<4>) -> Tensor<4> {
    avg_pool2d(x, AvgPoolOptions::new([2, 2]))
}

impl Classifier {
    /// Fresh weights from the spec's seed.
    pub fn new(spec: &ClassifierSpec, device: &Device) -> Self {
        let net = Classifier {
            conv_1: conv(spec.channels, 32, device),
            conv_2: conv(32, 64, device),
            dense: LinearConfig::new(spec.pooled(), CLASSIFIER_FEATURES).init(device),
            out: LinearConfig::new(CLASSIFIER_FEATURES, spec.classes).init(device),
        };
        host_init(net, spec.seed)
    }

    /// The 128 features of images (B, C, H, W).
    pub fn features(&self, x: Tensor<4>) -> Tensor<2> {
        let x = halve(relu(self.conv_1.forward(x)));
        let x = halve(relu(self.conv_2.forward(x)));
        let [b, c, h, w] = x.dims();
        relu(self.dense.forward(x.reshape([b, c * h * w])))
    }

    pub fn logits(&self, x: Tensor<4>) -> Tensor<2> {
        self.out.forward(self.features(x))
    }
}

/// A trained classifier and how it trained.
pub struct Trained {
    pub net: Classifier,
    /// Mean cross-entropy over the last epoch's batches.
    pub last_epoch_loss: f64,
    pub steps: usize,
}

/// Trains on n images (`rows`, n × C·H·W) with labels below `spec.classes`;
/// `progress(step, total)` after every step.
pub fn train_classifier(
    spec: &ClassifierSpec,
    rows: &[f32],
    labels: &[u8],
    device: &Device,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Trained, String> {
    if let Some(p) = spec.problem() {
        return Err(format!("classifier: {p}"));
    }
    let (d, n) = (spec.dim(), labels.len());
    if n == 0 || rows.len() != n * d {
        return Err(format!(
            "classifier: {n} labels for {} values of {d} per image",
            rows.len()
        ));
    }
    if let Some(i) = labels.iter().position(|&l| usize::from(l) >= spec.classes) {
        return Err(format!(
            "classifier: label {} of image {i} is not below {} classes",
            labels[i], spec.classes
        ));
    }
    let ad = device.clone().autodiff();
    let mut net = Classifier::new(spec, &ad);
    let mut adam = Adam::new(AdamOptions::default());
    let per_epoch = n.div_ceil(spec.batch_size);
    let total = per_epoch * spec.epochs;
    let (mut step, mut epoch_loss) = (0, 0.0);
    for epoch in 0..spec.epochs {
        let order = shuffled(spec.seed, epoch as u64, n);
        epoch_loss = 0.0;
        for batch in order.chunks(spec.batch_size) {
            let m = batch.len();
            let mut x = Vec::with_capacity(m * d);
            let mut onehot = vec![0f32; m * spec.classes];
            for (r, &i) in batch.iter().enumerate() {
                x.extend_from_slice(&rows[i * d..(i + 1) * d]);
                onehot[r * spec.classes + usize::from(labels[i])] = 1.0;
            }
            let x = Tensor::<4>::from_data(
                TensorData::new(x, [m, spec.channels, spec.height, spec.width]),
                &ad,
            );
            let y = Tensor::<2>::from_data(TensorData::new(onehot, [m, spec.classes]), &ad);
            let loss = (log_softmax(net.logits(x), 1) * y)
                .sum()
                .div_scalar(-(m as f64));
            let value: f32 = loss.clone().inner().into_scalar();
            if !value.is_finite() {
                return Err(format!(
                    "classifier: the loss is not finite at step {step} (epoch {epoch})"
                ));
            }
            epoch_loss += f64::from(value) / per_epoch as f64;
            let mut grads = GradientsParams::from_grads(loss.backward(), &net);
            net = adam.step(net, &mut grads, spec.lr, 1.0);
            step += 1;
            progress(step, total);
        }
    }
    Ok(Trained {
        net: net.valid(),
        last_epoch_loss: epoch_loss,
        steps: step,
    })
}

/// 0..n in an order drawn from (seed, epoch): Fisher–Yates on the counter RNG.
fn shuffled(seed: u64, epoch: u64, n: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut s = Stream::new(seed, 0x434C_4153_0000_0000 + epoch);
    for i in (1..n).rev() {
        let j = ((s.uniform() * (i + 1) as f64) as usize).min(i);
        order.swap(i, j);
    }
    order
}

/// Features (n × 128) and predicted classes of n images, `batch` at a time.
pub fn classify(
    net: &Classifier,
    spec: &ClassifierSpec,
    rows: &[f32],
    n: usize,
    batch: usize,
    device: &Device,
) -> (Vec<f32>, Vec<usize>) {
    let d = spec.dim();
    let (mut features, mut classes) = (Vec::with_capacity(n * CLASSIFIER_FEATURES), Vec::new());
    for first in (0..n).step_by(batch.max(1)) {
        let m = batch.max(1).min(n - first);
        let x = Tensor::<4>::from_data(
            TensorData::new(
                rows[first * d..(first + m) * d].to_vec(),
                [m, spec.channels, spec.height, spec.width],
            ),
            device,
        );
        let f = net.features(x);
        let logits = net
            .out
            .forward(f.clone())
            .into_data()
            .try_into_vec::<f32>()
            .expect("f32 logits");
        features.extend(f.into_data().try_into_vec::<f32>().expect("f32 features"));
        for row in logits.chunks(spec.classes) {
            let best = (0..spec.classes)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                .expect("at least two classes");
            classes.push(best);
        }
    }
    (features, classes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two classes a linear rule separates: bright left half or bright right half.
    fn halves(n: usize) -> (Vec<f32>, Vec<u8>) {
        let mut s = Stream::new(9, 0);
        let (mut rows, mut labels) = (Vec::new(), Vec::new());
        for i in 0..n {
            let label = (i % 2) as u8;
            for _y in 0..8 {
                for x in 0..8 {
                    let bright = (x < 4) == (label == 0);
                    rows.push(if bright { 0.8 } else { -0.8 } + 0.3 * s.normal() as f32);
                }
            }
            labels.push(label);
        }
        (rows, labels)
    }

    #[test]
    fn a_separable_problem_is_learned_and_training_is_reproducible() {
        let device = Device::flex();
        let spec = ClassifierSpec {
            epochs: 3,
            batch_size: 16,
            lr: 3e-3,
            ..ClassifierSpec::for_images(1, 8, 8, 2)
        };
        let (rows, labels) = halves(256);
        let a = train_classifier(&spec, &rows, &labels, &device, &mut |_, _| {}).unwrap();
        assert_eq!(a.steps, 3 * 16);
        let (test_rows, test_labels) = halves(64);
        let (f, predicted) = classify(&a.net, &spec, &test_rows, 64, 10, &device);
        assert_eq!(f.len(), 64 * CLASSIFIER_FEATURES);
        let right = predicted
            .iter()
            .zip(&test_labels)
            .filter(|(p, l)| **p == usize::from(**l))
            .count();
        assert!(
            right >= 62,
            "{right} of 64 right, loss {}",
            a.last_epoch_loss
        );
        // The same seed gives the same network.
        let b = train_classifier(&spec, &rows, &labels, &device, &mut |_, _| {}).unwrap();
        let (g, _) = classify(&b.net, &spec, &test_rows, 64, 64, &device);
        assert!(
            f.iter()
                .zip(&g)
                .all(|(x, y)| (x - y).abs() <= 1e-5 * (1.0 + x.abs()))
        );
    }

    #[test]
    fn bad_specs_and_labels_are_refused() {
        let device = Device::flex();
        let spec = ClassifierSpec::for_images(1, 8, 8, 2);
        let (rows, mut labels) = halves(4);
        labels[3] = 5;
        let e = train_classifier(&spec, &rows, &labels, &device, &mut |_, _| {})
            .err()
            .unwrap();
        assert!(e.contains("label 5 of image 3"), "{e}");
        let e = train_classifier(&spec, &rows[1..], &labels, &device, &mut |_, _| {})
            .err()
            .unwrap();
        assert!(e.contains("4 labels"), "{e}");
        let bad = ClassifierSpec {
            classes: 1,
            ..spec.clone()
        };
        assert!(bad.problem().unwrap().contains("classes"));
    }
}
