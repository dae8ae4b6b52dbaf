//! Training a network as a denoiser with EDM's loss (Karras et al. §5):
//! ln σ ~ N(P_mean, P_std²), loss λ(σ) ‖D(y + σn; σ) − y‖², which the
//! preconditioning turns into λ c_out² ‖F(c_in x; c_noise) − (y − c_skip x)/c_out‖².
//! Every batch (rows, σ, noise) is drawn on the host from (seed, step), so a
//! run is the same on any device and a resumed run repeats an unbroken one.

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use geotraj_data::rng::Stream;
use serde::{Deserialize, Serialize};

use super::adam::{Adam, AdamOptions, ema_update, grad_norm};
use super::{LearnedNet, Net, NetConfig};
use crate::precondition::Preconditioning;

/// How to train: the loss's σ law, the optimiser and its schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainOptions {
    pub steps: usize,
    #[serde(default = "default_batch")]
    pub batch: usize,
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// Linear learning-rate warm-up over this many steps.
    #[serde(default = "default_warmup")]
    pub warmup: usize,
    /// EMA decay per step, ramped as min(ema, (1 + t)/(10 + t)).
    #[serde(default = "default_ema")]
    pub ema: f64,
    /// Clip the global gradient norm to this (none when absent).
    #[serde(default = "default_clip")]
    pub clip: Option<f64>,
    #[serde(default = "default_p_mean")]
    pub p_mean: f64,
    #[serde(default = "default_p_std")]
    pub p_std: f64,
    #[serde(default)]
    pub seed: u64,
    /// Write a checkpoint every this many steps (0: only at the end).
    #[serde(default)]
    pub checkpoint_every: usize,
}

fn default_batch() -> usize {
    128
}
fn default_lr() -> f64 {
    1e-3
}
fn default_warmup() -> usize {
    200
}
fn default_ema() -> f64 {
    0.999
}
fn default_clip() -> Option<f64> {
    Some(1.0)
}
fn default_p_mean() -> f64 {
    -1.2
}
fn default_p_std() -> f64 {
    1.2
}

/// Everything a trained network depends on except its data: written beside
/// each checkpoint and compared on resume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    pub net: NetConfig,
    pub preconditioning: Preconditioning,
    pub train: TrainOptions,
}

impl TrainSpec {
    /// Why this spec cannot train, naming the key; None when it can.
    pub fn problem(&self) -> Option<String> {
        if let Some(p) = self.net.problem() {
            return Some(p);
        }
        let t = &self.train;
        if t.steps == 0 || t.batch == 0 {
            return Some("train.steps/batch: expected positive counts".into());
        }
        // A batch's activations scale with batch x state size; bounding the
        // product keeps every buffer size computed from them in range.
        let values = t.batch as f64 * self.net.dim() as f64;
        if values > 1e10 {
            return Some(format!(
                "train.batch: {} x a state of {} values is {values:.3e} values per batch; at most 1e10",
                t.batch,
                self.net.dim()
            ));
        }
        if !(t.lr > 0.0 && t.lr.is_finite()) {
            return Some(format!(
                "train.lr: expected a positive number, got {}",
                t.lr
            ));
        }
        if !(0.0..1.0).contains(&t.ema) {
            return Some(format!(
                "train.ema: expected a decay in [0, 1), got {}",
                t.ema
            ));
        }
        if let Some(c) = t.clip
            && !(c > 0.0 && c.is_finite())
        {
            return Some(format!("train.clip: expected a positive norm, got {c}"));
        }
        if !(t.p_std > 0.0 && t.p_std.is_finite() && t.p_mean.is_finite()) {
            return Some("train.p_mean/p_std: expected finite numbers, p_std > 0".into());
        }
        if let Preconditioning::Edm { sigma_data } = self.preconditioning
            && !(sigma_data > 0.0 && sigma_data.is_finite())
        {
            return Some(format!(
                "preconditioning.sigma_data: expected a positive number, got {sigma_data}"
            ));
        }
        None
    }
}

/// One recorded point of the loss curve: the mean loss over the steps since
/// the previous point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossPoint {
    pub step: usize,
    pub loss: f64,
    pub grad_norm: f64,
    pub seconds: f64,
}

#[derive(Debug)]
pub enum TrainError {
    /// The loss or the gradient norm stopped being finite.
    NonFinite { step: usize, loss: f64, norm: f64 },
    /// Data rows do not have the network's dimension, or there are none.
    Data(String),
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::NonFinite { step, loss, norm } => write!(
                f,
                "training diverged at step {step}: loss {loss}, gradient norm {norm} \
                 (try a smaller train.lr or a train.clip)"
            ),
            TrainError::Data(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for TrainError {}

/// One training batch on the host.
pub struct Batch {
    pub x_in: Vec<f32>,
    pub target: Vec<f32>,
    pub c_noise: Vec<f64>,
    pub weight: Vec<f32>,
}

/// The batch of step `step`: rows drawn uniformly with replacement, σ
/// log-normal, Gaussian noise; inputs and targets already preconditioned.
pub fn batch(spec: &TrainSpec, step: usize, rows: &[f32], d: usize) -> Batch {
    let t = &spec.train;
    let n = rows.len() / d;
    let mut s = Stream::new(t.seed, 0x7a1_0000_0000 + step as u64);
    let mut b = Batch {
        x_in: Vec::with_capacity(t.batch * d),
        target: Vec::with_capacity(t.batch * d),
        c_noise: Vec::with_capacity(t.batch),
        weight: Vec::with_capacity(t.batch),
    };
    for _ in 0..t.batch {
        let i = ((s.uniform() * n as f64) as usize).min(n - 1);
        let sigma = (t.p_mean + t.p_std * s.normal()).exp();
        let c = spec.preconditioning.coefficients(sigma);
        for &y in &rows[i * d..(i + 1) * d] {
            let x = y as f64 + sigma * s.normal();
            b.x_in.push((c.c_in * x) as f32);
            b.target.push(((y as f64 - c.c_skip * x) / c.c_out) as f32);
        }
        b.c_noise.push(c.c_noise);
        b.weight
            .push((spec.preconditioning.loss_weight(sigma) * c.c_out * c.c_out) as f32);
    }
    b
}

/// A network in training, its EMA, Adam's state and the loss curve so far.
pub struct Trainer {
    pub spec: TrainSpec,
    /// The raw weights, on the autodiff device.
    pub net: Net,
    /// The EMA weights (what sampling uses), on the plain device.
    pub ema: Net,
    pub adam: Adam,
    /// Steps done.
    pub step: usize,
    pub losses: Vec<LossPoint>,
    pub device: Device,
    /// Seconds spent in earlier runs of a resumed training.
    pub seconds_before: f64,
    window: (f64, f64, usize),
    started: std::time::Instant,
}

impl Trainer {
    /// A fresh network; `spec` must have no `problem()`.
    pub fn new(spec: TrainSpec, device: Device) -> Trainer {
        let net = Net::new(&spec.net, spec.train.seed, &device.clone().autodiff());
        let ema = net.valid();
        Trainer::from_parts(spec, net, ema, Adam::new(AdamOptions::default()), device)
    }

    pub(crate) fn from_parts(
        spec: TrainSpec,
        net: Net,
        ema: Net,
        adam: Adam,
        device: Device,
    ) -> Trainer {
        Trainer {
            spec,
            net,
            ema,
            adam,
            step: 0,
            losses: Vec::new(),
            device,
            seconds_before: 0.0,
            window: (0.0, 0.0, 0),
            started: std::time::Instant::now(),
        }
    }

    /// Seconds of training so far, over all runs.
    pub fn seconds(&self) -> f64 {
        self.seconds_before + self.started.elapsed().as_secs_f64()
    }

    /// The loss of the current raw weights on step `step`'s batch, with its
    /// gradients (used by the training step and by the gradient test).
    pub fn loss_and_grads(&self, rows: &[f32], step: usize) -> (f64, GradientsParams) {
        let d = self.spec.net.dim();
        let b = batch(&self.spec, step, rows, d);
        let n = b.weight.len();
        let ad = self.device.clone().autodiff();
        let x = Tensor::<2>::from_data(TensorData::new(b.x_in, [n, d]), &ad);
        let target = Tensor::<2>::from_data(TensorData::new(b.target, [n, d]), &ad);
        let w = Tensor::<2>::from_data(TensorData::new(b.weight, [n, 1]), &ad);
        let f = self.net.forward(x, &b.c_noise);
        let loss = ((f - target).square() * w).mean();
        let value: f32 = loss.clone().inner().into_scalar();
        let grads = GradientsParams::from_grads(loss.backward(), &self.net);
        (value as f64, grads)
    }

    /// One optimisation step on `rows` (n x d, row-major). Returns the loss.
    pub fn train_step(&mut self, rows: &[f32]) -> Result<f64, TrainError> {
        let d = self.spec.net.dim();
        if rows.is_empty() || !rows.len().is_multiple_of(d) {
            return Err(TrainError::Data(format!(
                "training data: expected rows of {d} values, got {} values",
                rows.len()
            )));
        }
        let t = self.spec.train.clone();
        let (loss, mut grads) = self.loss_and_grads(rows, self.step);
        let norm = grad_norm(&self.net, &grads);
        if !loss.is_finite() || !norm.is_finite() {
            return Err(TrainError::NonFinite {
                step: self.step,
                loss,
                norm,
            });
        }
        let scale = match t.clip {
            Some(c) if norm > c => c / norm,
            _ => 1.0,
        };
        let lr = t.lr * ((self.step + 1) as f64 / t.warmup.max(1) as f64).min(1.0);
        // Modules hold reference-counted tensors: the clone is cheap.
        self.net = self.adam.step(self.net.clone(), &mut grads, lr, scale);
        let s = self.step as f64;
        let decay = t.ema.min((1.0 + s) / (10.0 + s));
        self.ema = ema_update(self.ema.clone(), &self.net, decay);
        self.step += 1;
        self.window.0 += loss;
        self.window.1 += norm;
        self.window.2 += 1;
        Ok(loss)
    }

    /// Closes the current window of the loss curve (mean loss and gradient
    /// norm since the last point) and returns it.
    pub fn record_point(&mut self) -> Option<LossPoint> {
        let (l, g, k) = self.window;
        if k == 0 {
            return None;
        }
        let p = LossPoint {
            step: self.step,
            loss: l / k as f64,
            grad_norm: g / k as f64,
            seconds: self.seconds(),
        };
        self.losses.push(p);
        self.window = (0.0, 0.0, 0);
        Some(p)
    }

    /// The EMA network as a denoiser's network on `device`.
    pub fn learned(&self, device: &Device, label: &str) -> LearnedNet {
        LearnedNet::new(
            self.ema.clone(),
            self.spec.net.clone(),
            device.clone(),
            label,
        )
    }
}
