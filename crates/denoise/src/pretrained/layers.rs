//! The layers of the papers' networks as plain tensors with PyTorch's
//! semantics (inference only: nothing here is trained), and the loader that
//! fills them from a weights file by name, checking every shape and
//! collecting every problem for one error.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use burn::tensor::activation::softmax;
use burn::tensor::module::{conv2d, linear};
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, Tensor, TensorData};
use geotraj_data::weights::Weights;

use super::error::PretrainedError;

/// How many problems an error lists.
const LISTED: usize = 8;

/// The (empty) file behind a random loader.
static NO_WEIGHTS: LazyLock<Weights> = LazyLock::new(|| Weights {
    path: "(random weights)".into(),
    format: "random",
    tensors: Default::default(),
    other: Vec::new(),
});

/// Loads a network every architecture's way: its config checked (the
/// error names `what` and the file), its keys found under `prefix` or
/// before `anchor`, `build` filling it from the loader, and every missing,
/// misshapen or unused weight reported together. Returns the network and
/// its parameter count.
pub fn load_network<T>(
    what: &str,
    check: Result<(), String>,
    weights: &Weights,
    anchor: &str,
    prefix: Option<&str>,
    device: &Device,
    build: impl FnOnce(&mut Loader) -> T,
) -> Result<(T, usize), PretrainedError> {
    check.map_err(|message| PretrainedError::Invalid {
        path: weights.path.clone(),
        message: format!("{what} config: {message}"),
    })?;
    let mut l = Loader::new(weights, anchor, prefix, device)?;
    let net = build(&mut l);
    let parameters = l.loaded();
    l.finish(what)?;
    Ok((net, parameters))
}

/// The same network with seeded random weights of PyTorch's scale, for
/// benchmarks and smoke tests without a weights file.
pub fn random_network<T>(
    check: Result<(), String>,
    seed: u64,
    device: &Device,
    build: impl FnOnce(&mut Loader) -> T,
) -> Result<(T, usize), String> {
    check?;
    let mut l = Loader::random(seed, device);
    let net = build(&mut l);
    Ok((net, l.loaded()))
}

/// Sinusoidal embeddings: per t, sin and cos of t·f (f32 products, as the
/// reference networks compute them), in either order, zero-padded to `dim`.
pub fn sinusoids(
    t: &[f64],
    freqs: &[f32],
    sin_first: bool,
    dim: usize,
    device: &Device,
) -> Tensor<2> {
    let mut rows = Vec::with_capacity(t.len() * dim);
    for &ti in t {
        let args: Vec<f32> = freqs.iter().map(|f| ti as f32 * f).collect();
        let sin = args.iter().map(|a| (*a as f64).sin() as f32);
        let cos = args.iter().map(|a| (*a as f64).cos() as f32);
        if sin_first {
            rows.extend(sin);
            rows.extend(cos);
        } else {
            rows.extend(cos);
            rows.extend(sin);
        }
        rows.resize(rows.len() + dim - 2 * freqs.len(), 0.0);
    }
    Tensor::from_data(TensorData::new(rows, [t.len(), dim]), device)
}

/// torch.nn.Conv2d (groups 1, dilation 1).
#[derive(Debug, Clone)]
pub struct Conv {
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvOptions<2>,
}

impl Conv {
    /// A convolution from its weight (O, I, kH, kW), bias and options.
    pub fn new(weight: Tensor<4>, bias: Option<Tensor<1>>, options: ConvOptions<2>) -> Self {
        Conv {
            weight,
            bias,
            options,
        }
    }

    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        conv2d(
            x,
            self.weight.clone(),
            self.bias.clone(),
            self.options.clone(),
        )
    }
}

/// torch.nn.Linear; the weight is held transposed, as burn's `linear` wants.
#[derive(Debug, Clone)]
pub struct Dense {
    weight: Tensor<2>,
    bias: Option<Tensor<1>>,
}

impl Dense {
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        linear(x, self.weight.clone(), self.bias.clone())
    }
}

/// torch.nn.GroupNorm with affine parameters.
#[derive(Debug, Clone)]
pub struct GroupNorm {
    groups: usize,
    eps: f64,
    gamma: Tensor<1>,
    beta: Tensor<1>,
}

impl GroupNorm {
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let g = x.reshape([b, self.groups, (c / self.groups) * h * w]);
        let mean = g.clone().mean_dim(2);
        let centred = g - mean;
        // The biased variance, as torch normalises.
        let var = centred.clone().square().mean_dim(2);
        let normed = (centred / var.add_scalar(self.eps).sqrt()).reshape([b, c, h, w]);
        normed * self.gamma.clone().reshape([1, c, 1, 1]) + self.beta.clone().reshape([1, c, 1, 1])
    }
}

pub fn silu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    burn::tensor::activation::silu(x)
}

/// Nearest-neighbour 2x upsampling (torch's interpolate, mode "nearest").
pub fn upsample(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h, 1, w, 1])
        .repeat_dim(3, 2)
        .repeat_dim(5, 2)
        .reshape([b, c, 2 * h, 2 * w])
}

/// 2x2 average pooling with stride 2.
pub fn avg_pool(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h / 2, 2, w / 2, 2])
        .mean_dim(5)
        .mean_dim(3)
        .reshape([b, c, h / 2, w / 2])
}

/// Dot-product attention over pixels: q, k, v as (B, C, N), the channels
/// split into `heads` consecutive groups, each scaled by its size^-1/2.
pub fn attend(q: Tensor<3>, k: Tensor<3>, v: Tensor<3>, heads: usize) -> Tensor<3> {
    let [b, c, n] = q.dims();
    let split = |t: Tensor<3>| t.reshape([b * heads, c / heads, n]);
    let (q, k, v) = (split(q), split(k), split(v));
    let scores = q
        .swap_dims(1, 2)
        .matmul(k)
        .mul_scalar(((c / heads) as f64).powf(-0.5));
    // (B·h, N_q, N_k) softmax over keys, then values: (B·h, C/h, N_q).
    v.matmul(softmax(scores, 2).swap_dims(1, 2))
        .reshape([b, c, n])
}

/// Where a loader without a file takes its tensors from.
enum Generator<'w> {
    /// Seeded normal draws of PyTorch's scale.
    Random(geotraj_data::Stream),
    /// A function of (name, shape): parity tests fill a network with values
    /// another program computes bit for bit.
    Formula(&'w Formula<'w>),
}

/// Values of the tensor `name` of shape `shape`, row-major.
pub type Formula<'a> = dyn Fn(&str, &[usize]) -> Vec<f32> + Sync + 'a;

/// Fills layers from a weights file: every key the architecture asks for
/// under one prefix, with its shape checked; what is missing, misshapen or
/// left over is collected and reported together.
pub struct Loader<'w> {
    weights: &'w Weights,
    /// Some: no file; every tensor is generated instead.
    random: Option<Generator<'w>>,
    prefix: String,
    device: Device,
    used: BTreeSet<String>,
    /// Values drawn by a random loader.
    drawn: usize,
    /// Values of buffers, which are not parameters.
    buffers: usize,
    problems: Vec<String>,
}

impl<'w> Loader<'w> {
    /// A loader for keys under `prefix`; None finds the prefix as the part
    /// before `anchor` (a key every checkpoint of the architecture has).
    pub fn new(
        weights: &'w Weights,
        anchor: &str,
        prefix: Option<&str>,
        device: &Device,
    ) -> Result<Self, PretrainedError> {
        let prefix = match prefix {
            Some(p) => p.to_owned(),
            None => find_prefix(weights, anchor)?,
        };
        Ok(Loader {
            weights,
            random: None,
            prefix,
            device: device.clone(),
            used: BTreeSet::new(),
            drawn: 0,
            buffers: 0,
            problems: Vec::new(),
        })
    }

    /// A loader that draws every tensor at random (seeded): weights of
    /// PyTorch's scale for benchmarks and smoke tests without a file.
    pub fn random(seed: u64, device: &Device) -> Loader<'static> {
        Loader {
            weights: &NO_WEIGHTS,
            random: Some(Generator::Random(geotraj_data::Stream::new(seed, 0))),
            prefix: String::new(),
            device: device.clone(),
            used: BTreeSet::new(),
            drawn: 0,
            buffers: 0,
            problems: Vec::new(),
        }
    }

    /// A loader that fills every tensor from `formula`.
    pub fn formula(formula: &'w Formula<'w>, device: &Device) -> Loader<'w> {
        Loader {
            random: Some(Generator::Formula(formula)),
            ..Loader::random(0, device)
        }
    }

    /// The number of parameters loaded so far (buffers left out).
    pub fn loaded(&self) -> usize {
        let read: usize = self
            .used
            .iter()
            .map(|k| self.weights.tensors[k].values.len())
            .sum();
        read + self.drawn - self.buffers
    }

    /// The values of `name` if present with `shape`; otherwise zeros, and
    /// the problem is recorded.
    fn values(&mut self, name: &str, shape: &[usize]) -> Vec<f32> {
        let key = format!("{}{name}", self.prefix);
        let n = shape.iter().product();
        if let Some(Generator::Formula(f)) = &self.random {
            self.drawn += n;
            return f(name, shape);
        }
        if let Some(Generator::Random(rng)) = &mut self.random {
            self.drawn += n;
            // Matrices N(0, 1/fan_in); norm scales 1; biases 0.
            return match shape {
                [_, rest @ ..] if !rest.is_empty() => {
                    let scale = 1.0 / (rest.iter().product::<usize>() as f64).sqrt();
                    (0..n).map(|_| (rng.normal() * scale) as f32).collect()
                }
                _ if name.ends_with(".weight") => vec![1.0; n],
                _ => vec![0.0; n],
            };
        }
        match self.weights.tensors.get(&key) {
            Some(t) if t.shape == shape => {
                self.used.insert(key);
                t.values.clone()
            }
            Some(t) => {
                self.used.insert(key.clone());
                self.problems.push(format!(
                    "{key}: shape {:?} in the file, the config needs {shape:?}",
                    t.shape
                ));
                Vec::new()
            }
            None => {
                self.problems
                    .push(format!("{key}: missing (shape {shape:?})"));
                Vec::new()
            }
        }
    }

    /// A buffer (a filter, fixed frequencies): loaded and checked like a
    /// weight, but not counted among the parameters.
    pub fn buffer<const D: usize>(&mut self, name: &str, shape: [usize; D]) -> Tensor<D> {
        self.buffers += shape.iter().product::<usize>();
        self.tensor(name, shape)
    }

    /// Loaded tensors (public for the EDM layers' optional weights).
    pub fn tensor<const D: usize>(&mut self, name: &str, shape: [usize; D]) -> Tensor<D> {
        let v = self.values(name, &shape);
        if v.is_empty() && shape.iter().product::<usize>() > 0 {
            // A placeholder: loading fails at `finish`, before anything runs.
            return Tensor::from_data(TensorData::new(vec![0.0], [1; D]), &self.device);
        }
        Tensor::from_data(TensorData::new(v, shape), &self.device)
    }

    /// A convolution `name` (.weight, .bias) of kernel k, padding p each side.
    pub fn conv(
        &mut self,
        name: &str,
        i: usize,
        o: usize,
        k: usize,
        stride: usize,
        pad: usize,
    ) -> Conv {
        self.conv_padded(name, i, o, k, stride, [(pad, pad), (pad, pad)])
    }

    pub fn conv_padded(
        &mut self,
        name: &str,
        i: usize,
        o: usize,
        k: usize,
        stride: usize,
        padding: [(usize, usize); 2],
    ) -> Conv {
        Conv {
            weight: self.tensor(&format!("{name}.weight"), [o, i, k, k]),
            bias: Some(self.tensor(&format!("{name}.bias"), [o])),
            options: ConvOptions::new_with_padding([stride, stride], padding, [1, 1], 1),
        }
    }

    pub fn dense(&mut self, name: &str, i: usize, o: usize) -> Dense {
        self.linear(name, i, o, true)
    }

    pub fn dense_no_bias(&mut self, name: &str, i: usize, o: usize) -> Dense {
        self.linear(name, i, o, false)
    }

    fn linear(&mut self, name: &str, i: usize, o: usize, bias: bool) -> Dense {
        Dense {
            weight: self.tensor(&format!("{name}.weight"), [o, i]).transpose(),
            bias: bias.then(|| self.tensor(&format!("{name}.bias"), [o])),
        }
    }

    /// A linear layer's weights (O, I) as a 1x1 convolution (diffusers'
    /// attention projections, which the DDIM code holds as convolutions).
    pub fn conv1x1_from_dense(&mut self, name: &str, i: usize, o: usize) -> Conv {
        Conv {
            weight: {
                let w = self.tensor(&format!("{name}.weight"), [o, i]);
                // A placeholder (missing weight) stays one value.
                let [a, b] = w.dims();
                w.reshape([a, b, 1, 1])
            },
            bias: Some(self.tensor(&format!("{name}.bias"), [o])),
            options: ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
        }
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Marks `name` under the prefix as read without loading it (weights a
    /// network holds but the computation asked of it never uses).
    pub fn skip(&mut self, name: &str) {
        let key = format!("{}{name}", self.prefix);
        if let Some(t) = self.weights.tensors.get(&key) {
            // Read, but not counted among the parameters.
            self.buffers += t.values.len();
            self.used.insert(key);
        }
    }

    /// Whether the file holds `name` under the prefix.
    pub fn has(&self, name: &str) -> bool {
        self.random.is_none()
            && self
                .weights
                .tensors
                .contains_key(&format!("{}{name}", self.prefix))
    }

    pub fn group_norm(&mut self, name: &str, groups: usize, c: usize, eps: f64) -> GroupNorm {
        if groups == 0 || !c.is_multiple_of(groups) {
            self.problems.push(format!(
                "{}{name}: {c} channels do not split into {groups} groups",
                self.prefix
            ));
        }
        GroupNorm {
            groups,
            eps,
            gamma: self.tensor(&format!("{name}.weight"), [c]),
            beta: self.tensor(&format!("{name}.bias"), [c]),
        }
    }

    /// Ends loading: Ok when every key was found with its shape and no
    /// floating tensor under the prefix was left unused.
    pub fn finish(self, what: &str) -> Result<(), PretrainedError> {
        let mut problems = self.problems;
        for key in self.weights.tensors.keys() {
            if key.starts_with(&self.prefix) && !self.used.contains(key) {
                problems.push(format!(
                    "{key}: in the file, not in the {what} the config describes"
                ));
            }
        }
        if problems.is_empty() {
            return Ok(());
        }
        let total = problems.len();
        problems.truncate(LISTED);
        Err(PretrainedError::Mismatch {
            path: self.weights.path.clone(),
            what: what.to_owned(),
            total,
            first: problems,
        })
    }
}

/// The prefix before `anchor` in the file's keys: "" for a plain state
/// dict, "module." for DataParallel, "state_dict." or "0." for nested ones.
fn find_prefix(weights: &Weights, anchor: &str) -> Result<String, PretrainedError> {
    let found: Vec<&str> = weights
        .tensors
        .keys()
        .filter_map(|k| k.strip_suffix(anchor))
        .filter(|p| p.is_empty() || p.ends_with('.'))
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(PretrainedError::Invalid {
            path: weights.path.clone(),
            message: format!(
                "no tensor named {anchor:?} (under any prefix), so not a checkpoint of this \
                 architecture; its first keys: {}",
                weights
                    .tensors
                    .keys()
                    .take(LISTED)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
        many => Err(PretrainedError::Invalid {
            path: weights.path.clone(),
            message: format!(
                "several networks in one file (prefixes {many:?}); choose one with `prefix`"
            ),
        }),
    }
}
