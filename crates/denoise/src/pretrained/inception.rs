//! The FID Inception-v3 (pytorch-fid's `InceptionV3` with
//! `use_fid_inception`: TensorFlow's 2015-12-05 graph ported to PyTorch,
//! `FIDInceptionA/C/E_1/E_2` blocks), up to its 2048-d pool3 features, as
//! pytorch-fid runs it: bilinear resize to 299 × 299 (align_corners false,
//! no antialias), scaling from [0, 1] to [−1, 1]. Each BasicConv2d's batch
//! norm (eps 0.001, running statistics) is folded into its convolution.

use burn::tensor::module::{avg_pool2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};
use geotraj_data::weights::Weights;

use super::error::PretrainedError;
use super::layers::{Conv, Formula, Loader, load_network, random_network};

/// The input side pytorch-fid resizes every image to.
pub const INCEPTION_SIZE: usize = 299;
/// The pool3 feature dimension.
pub const INCEPTION_FEATURES: usize = 2048;
/// The feature dimensions pytorch-fid offers (`--dims`), block by block.
pub const FID_DIMS: [usize; 4] = [64, 192, 768, INCEPTION_FEATURES];

/// conv (no bias) → batch norm → ReLU, the norm folded into the conv.
struct BasicConv(Conv);

impl BasicConv {
    fn load(
        l: &mut Loader,
        name: &str,
        [i, o]: [usize; 2],
        [kh, kw]: [usize; 2],
        stride: usize,
        [ph, pw]: [usize; 2],
    ) -> Self {
        let w = l.tensor::<4>(&format!("{name}.conv.weight"), [o, i, kh, kw]);
        let gamma = l.tensor::<1>(&format!("{name}.bn.weight"), [o]);
        let beta = l.tensor::<1>(&format!("{name}.bn.bias"), [o]);
        let mean = l.buffer::<1>(&format!("{name}.bn.running_mean"), [o]);
        let var = l.buffer::<1>(&format!("{name}.bn.running_var"), [o]);
        let options = ConvOptions::new([stride, stride], [ph, pw], [1, 1], 1);
        if w.dims() != [o, i, kh, kw]
            || [&gamma, &beta, &mean, &var].iter().any(|t| t.dims() != [o])
        {
            // A placeholder: the loader reports the problem before anything runs.
            return BasicConv(Conv::new(w, None, options));
        }
        let scale = gamma.div(var.add_scalar(0.001).sqrt());
        let shift = beta - mean * scale.clone();
        let w = w * scale.reshape([o, 1, 1, 1]);
        BasicConv(Conv::new(w, Some(shift), options))
    }

    fn square(
        l: &mut Loader,
        name: &str,
        io: [usize; 2],
        k: usize,
        stride: usize,
        pad: usize,
    ) -> Self {
        Self::load(l, name, io, [k, k], stride, [pad, pad])
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        burn::tensor::activation::relu(self.0.forward(x))
    }
}

fn cat(parts: Vec<Tensor<4>>) -> Tensor<4> {
    Tensor::cat(parts, 1)
}

/// 3 × 3 pooling with stride 1 and padding 1: TensorFlow's average (the
/// padding left out of the count) or, in Mixed_7c, max.
fn pool_same(x: Tensor<4>, max: bool) -> Tensor<4> {
    if max {
        max_pool2d(
            x,
            MaxPoolOptions::new([3, 3])
                .with_stride([1, 1])
                .with_padding([1, 1]),
        )
    } else {
        avg_pool2d(
            x,
            AvgPoolOptions::new([3, 3])
                .with_stride([1, 1])
                .with_padding([1, 1])
                .with_count_include_pad(false),
        )
    }
}

/// 3 × 3 max pooling with stride 2, no padding.
fn pool_reduce(x: Tensor<4>) -> Tensor<4> {
    max_pool2d(x, MaxPoolOptions::new([3, 3]).with_stride([2, 2]))
}

/// FIDInceptionA (Mixed_5b, 5c, 5d).
struct BlockA {
    b1: BasicConv,
    b5: [BasicConv; 2],
    b3: [BasicConv; 3],
    pool: BasicConv,
}

impl BlockA {
    fn load(l: &mut Loader, n: &str, i: usize, pool: usize) -> Self {
        let c = |l: &mut Loader, s: &str, io, k, p| {
            BasicConv::square(l, &format!("{n}.{s}"), io, k, 1, p)
        };
        BlockA {
            b1: c(l, "branch1x1", [i, 64], 1, 0),
            b5: [
                c(l, "branch5x5_1", [i, 48], 1, 0),
                c(l, "branch5x5_2", [48, 64], 5, 2),
            ],
            b3: [
                c(l, "branch3x3dbl_1", [i, 64], 1, 0),
                c(l, "branch3x3dbl_2", [64, 96], 3, 1),
                c(l, "branch3x3dbl_3", [96, 96], 3, 1),
            ],
            pool: c(l, "branch_pool", [i, pool], 1, 0),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        cat(vec![
            self.b1.forward(x.clone()),
            chain(&self.b5, x.clone()),
            chain(&self.b3, x.clone()),
            self.pool.forward(pool_same(x, false)),
        ])
    }
}

fn chain(layers: &[BasicConv], x: Tensor<4>) -> Tensor<4> {
    layers.iter().fold(x, |x, c| c.forward(x))
}

/// InceptionB (Mixed_6a): grid reduction 35 → 17.
struct BlockB {
    b3: BasicConv,
    dbl: [BasicConv; 3],
}

impl BlockB {
    fn load(l: &mut Loader, n: &str, i: usize) -> Self {
        let c = |l: &mut Loader, s: &str, io, k, st, p| {
            BasicConv::square(l, &format!("{n}.{s}"), io, k, st, p)
        };
        BlockB {
            b3: c(l, "branch3x3", [i, 384], 3, 2, 0),
            dbl: [
                c(l, "branch3x3dbl_1", [i, 64], 1, 1, 0),
                c(l, "branch3x3dbl_2", [64, 96], 3, 1, 1),
                c(l, "branch3x3dbl_3", [96, 96], 3, 2, 0),
            ],
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        cat(vec![
            self.b3.forward(x.clone()),
            chain(&self.dbl, x.clone()),
            pool_reduce(x),
        ])
    }
}

/// A 1 × 7 (`wide`) or 7 × 1 convolution with "same" padding.
fn seven(l: &mut Loader, name: &str, io: [usize; 2], wide: bool) -> BasicConv {
    let (k, p) = if wide {
        ([1, 7], [0, 3])
    } else {
        ([7, 1], [3, 0])
    };
    BasicConv::load(l, name, io, k, 1, p)
}

/// FIDInceptionC (Mixed_6b … 6e): factorised 7 × 7 convolutions.
struct BlockC {
    b1: BasicConv,
    b7: [BasicConv; 3],
    dbl: [BasicConv; 5],
    pool: BasicConv,
}

impl BlockC {
    fn load(l: &mut Loader, n: &str, i: usize, c7: usize) -> Self {
        let name = |s: &str| format!("{n}.{s}");
        BlockC {
            b1: BasicConv::square(l, &name("branch1x1"), [i, 192], 1, 1, 0),
            b7: [
                BasicConv::square(l, &name("branch7x7_1"), [i, c7], 1, 1, 0),
                seven(l, &name("branch7x7_2"), [c7, c7], true),
                seven(l, &name("branch7x7_3"), [c7, 192], false),
            ],
            dbl: [
                BasicConv::square(l, &name("branch7x7dbl_1"), [i, c7], 1, 1, 0),
                seven(l, &name("branch7x7dbl_2"), [c7, c7], false),
                seven(l, &name("branch7x7dbl_3"), [c7, c7], true),
                seven(l, &name("branch7x7dbl_4"), [c7, c7], false),
                seven(l, &name("branch7x7dbl_5"), [c7, 192], true),
            ],
            pool: BasicConv::square(l, &name("branch_pool"), [i, 192], 1, 1, 0),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        cat(vec![
            self.b1.forward(x.clone()),
            chain(&self.b7, x.clone()),
            chain(&self.dbl, x.clone()),
            self.pool.forward(pool_same(x, false)),
        ])
    }
}

/// InceptionD (Mixed_7a): grid reduction 17 → 8.
struct BlockD {
    b3: [BasicConv; 2],
    b7: [BasicConv; 4],
}

impl BlockD {
    fn load(l: &mut Loader, n: &str, i: usize) -> Self {
        let name = |s: &str| format!("{n}.{s}");
        BlockD {
            b3: [
                BasicConv::square(l, &name("branch3x3_1"), [i, 192], 1, 1, 0),
                BasicConv::square(l, &name("branch3x3_2"), [192, 320], 3, 2, 0),
            ],
            b7: [
                BasicConv::square(l, &name("branch7x7x3_1"), [i, 192], 1, 1, 0),
                seven(l, &name("branch7x7x3_2"), [192, 192], true),
                seven(l, &name("branch7x7x3_3"), [192, 192], false),
                BasicConv::square(l, &name("branch7x7x3_4"), [192, 192], 3, 2, 0),
            ],
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        cat(vec![
            chain(&self.b3, x.clone()),
            chain(&self.b7, x.clone()),
            pool_reduce(x),
        ])
    }
}

/// FIDInceptionE_1 (Mixed_7b, average pool) and E_2 (Mixed_7c, max pool).
struct BlockE {
    b1: BasicConv,
    b3: BasicConv,
    b3_split: [BasicConv; 2],
    dbl: [BasicConv; 2],
    dbl_split: [BasicConv; 2],
    pool: BasicConv,
    max_pool: bool,
}

impl BlockE {
    fn load(l: &mut Loader, n: &str, i: usize, max_pool: bool) -> Self {
        let name = |s: &str| format!("{n}.{s}");
        let split = |l: &mut Loader, s: &str| {
            [
                BasicConv::load(l, &name(&format!("{s}a")), [384, 384], [1, 3], 1, [0, 1]),
                BasicConv::load(l, &name(&format!("{s}b")), [384, 384], [3, 1], 1, [1, 0]),
            ]
        };
        BlockE {
            b1: BasicConv::square(l, &name("branch1x1"), [i, 320], 1, 1, 0),
            b3: BasicConv::square(l, &name("branch3x3_1"), [i, 384], 1, 1, 0),
            b3_split: split(l, "branch3x3_2"),
            dbl: [
                BasicConv::square(l, &name("branch3x3dbl_1"), [i, 448], 1, 1, 0),
                BasicConv::square(l, &name("branch3x3dbl_2"), [448, 384], 3, 1, 1),
            ],
            dbl_split: split(l, "branch3x3dbl_3"),
            pool: BasicConv::square(l, &name("branch_pool"), [i, 192], 1, 1, 0),
            max_pool,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b3 = self.b3.forward(x.clone());
        let dbl = chain(&self.dbl, x.clone());
        cat(vec![
            self.b1.forward(x.clone()),
            self.b3_split[0].forward(b3.clone()),
            self.b3_split[1].forward(b3),
            self.dbl_split[0].forward(dbl.clone()),
            self.dbl_split[1].forward(dbl),
            self.pool.forward(pool_same(x, self.max_pool)),
        ])
    }
}

/// The network from the input of Conv2d_1a_3x3 to the final average pool.
pub struct FidInception {
    stem: [BasicConv; 5],
    mixed_5: [BlockA; 3],
    mixed_6a: BlockB,
    mixed_6: [BlockC; 4],
    mixed_7a: BlockD,
    mixed_7: [BlockE; 2],
    parameters: usize,
    device: Device,
}

fn build(l: &mut Loader) -> FidInception {
    let stem = [
        BasicConv::square(l, "Conv2d_1a_3x3", [3, 32], 3, 2, 0),
        BasicConv::square(l, "Conv2d_2a_3x3", [32, 32], 3, 1, 0),
        BasicConv::square(l, "Conv2d_2b_3x3", [32, 64], 3, 1, 1),
        BasicConv::square(l, "Conv2d_3b_1x1", [64, 80], 1, 1, 0),
        BasicConv::square(l, "Conv2d_4a_3x3", [80, 192], 3, 1, 0),
    ];
    let net = FidInception {
        stem,
        mixed_5: [
            BlockA::load(l, "Mixed_5b", 192, 32),
            BlockA::load(l, "Mixed_5c", 256, 64),
            BlockA::load(l, "Mixed_5d", 288, 64),
        ],
        mixed_6a: BlockB::load(l, "Mixed_6a", 288),
        mixed_6: [
            BlockC::load(l, "Mixed_6b", 768, 128),
            BlockC::load(l, "Mixed_6c", 768, 160),
            BlockC::load(l, "Mixed_6d", 768, 160),
            BlockC::load(l, "Mixed_6e", 768, 192),
        ],
        mixed_7a: BlockD::load(l, "Mixed_7a", 768),
        mixed_7: [
            BlockE::load(l, "Mixed_7b", 1280, false),
            BlockE::load(l, "Mixed_7c", 2048, true),
        ],
        parameters: 0,
        device: l.device().clone(),
    };
    // The 1008-way classifier is in the file but not in pool3's path.
    l.skip("fc.weight");
    l.skip("fc.bias");
    net
}

impl FidInception {
    /// From pytorch-fid's weights file (pt_inception-2015-12-05-6726825d.pth)
    /// or any state dict of its FID Inception.
    pub fn load(
        weights: &Weights,
        prefix: Option<&str>,
        device: &Device,
    ) -> Result<Self, PretrainedError> {
        let (mut net, parameters) = load_network(
            "FID Inception-v3",
            Ok(()),
            weights,
            "Conv2d_1a_3x3.conv.weight",
            prefix,
            device,
            build,
        )?;
        net.parameters = parameters;
        Ok(net)
    }

    /// Seeded random weights, for benchmarks.
    pub fn random(seed: u64, device: &Device) -> Self {
        let (mut net, parameters) =
            random_network(Ok(()), seed, device, build).expect("a fixed architecture");
        net.parameters = parameters;
        net
    }

    /// Every tensor from `formula` (parity tests: weights another program
    /// computes bit for bit, instead of a 95 MB file).
    pub fn from_formula(formula: &Formula<'_>, device: &Device) -> Self {
        let mut l = Loader::formula(formula, device);
        let mut net = build(&mut l);
        net.parameters = l.loaded();
        net
    }

    /// Parameters, the folded batch norms' running statistics left out.
    pub fn parameters(&self) -> usize {
        self.parameters
    }

    pub fn device(&self) -> Device {
        self.device.clone()
    }

    /// Pool3 features (B, 2048) of images (B, C, H, W) with values in
    /// [0, 1]; one channel is repeated to three.
    pub fn features(&self, images: Tensor<4>) -> Tensor<2> {
        self.features_at(images, INCEPTION_FEATURES)
    }

    /// pytorch-fid's `--dims`: the output of block 0 (64, first max pool),
    /// 1 (192, second max pool), 2 (768, Mixed_6e) or 3 (2048, pool3),
    /// averaged over space. Other `dims` are refused where they are read
    /// (`FID_DIMS`); here they give pool3.
    pub fn features_at(&self, images: Tensor<4>, dims: usize) -> Tensor<2> {
        let [b, c, h, w] = images.dims();
        let x = if c == 1 {
            images.repeat_dim(1, 3)
        } else {
            images
        };
        let x = resize_bilinear(x, [h, w], INCEPTION_SIZE);
        let x = x.mul_scalar(2.0).sub_scalar(1.0);
        let last = match dims {
            64 => 0,
            192 => 1,
            768 => 2,
            _ => 3,
        };
        let mut x = pool_reduce(chain(&self.stem[..3], x));
        if last >= 1 {
            x = pool_reduce(chain(&self.stem[3..], x));
        }
        if last >= 2 {
            x = self.mixed_5.iter().fold(x, |x, a| a.forward(x));
            x = self.mixed_6a.forward(x);
            x = self.mixed_6.iter().fold(x, |x, c| c.forward(x));
        }
        if last >= 3 {
            x = self.mixed_7a.forward(x);
            x = self.mixed_7.iter().fold(x, |x, e| e.forward(x));
        }
        let [_, ch, fh, fw] = x.dims();
        x.reshape([b, ch, fh * fw]).mean_dim(2).reshape([b, ch])
    }
}

/// torch's interpolate(mode="bilinear", align_corners=False) from `from`
/// to side × side, as two matrix products with the 2-tap weight matrices.
fn resize_bilinear(x: Tensor<4>, [h, w]: [usize; 2], side: usize) -> Tensor<4> {
    let [b, c, _, _] = x.dims();
    let device = x.device();
    let rows = Tensor::<2>::from_data(weights_1d(h, side), &device); // side x h
    let cols = Tensor::<2>::from_data(weights_1d(w, side), &device).transpose(); // w x side
    let x = x.reshape([b * c, h, w]).matmul(cols.unsqueeze::<3>()); // (bc, h, side)
    let x = rows.unsqueeze::<3>().matmul(x); // (bc, side, side)
    x.reshape([b, c, side, side])
}

/// The (out × in) interpolation matrix of one axis: output o reads input
/// at src = (o + ½)·in/out − ½ (clamped at 0), f32 as torch computes it.
fn weights_1d(input: usize, out: usize) -> TensorData {
    let scale = input as f32 / out as f32;
    let mut m = vec![0f32; out * input];
    for o in 0..out {
        let src = (scale * (o as f32 + 0.5) - 0.5).max(0.0);
        let i0 = (src as usize).min(input - 1);
        let i1 = if i0 < input - 1 { i0 + 1 } else { i0 };
        let l1 = src - i0 as f32;
        m[o * input + i0] += 1.0 - l1;
        m[o * input + i1] += l1;
    }
    TensorData::new(m, [out, input])
}
