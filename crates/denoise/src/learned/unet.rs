//! A small U-Net (DDPM/EDM layout): residual blocks with group norm and a
//! per-channel noise shift, stride-2 convolutions down, nearest-neighbour
//! upsampling and skip concatenation up, self-attention at the lowest
//! resolution.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{GroupNorm, GroupNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::{silu, softmax};
use burn::tensor::{Device, Tensor};

use super::embedding::embed_into;

fn conv(i: usize, o: usize, k: usize, stride: usize, device: &Device) -> Conv2d {
    let p = k / 2;
    Conv2dConfig::new([i, o], [k, k])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .init(device)
}

fn norm(groups: usize, c: usize, device: &Device) -> GroupNorm {
    GroupNormConfig::new(groups, c).init(device)
}

#[derive(Module, Debug)]
pub struct ResBlock {
    norm_1: GroupNorm,
    conv_1: Conv2d,
    noise: Linear,
    norm_2: GroupNorm,
    conv_zero: Conv2d,
    skip: Option<Conv2d>,
}

impl ResBlock {
    fn new(i: usize, o: usize, groups: usize, t: usize, device: &Device) -> Self {
        ResBlock {
            norm_1: norm(groups, i, device),
            conv_1: conv(i, o, 3, 1, device),
            noise: LinearConfig::new(t, o).init(device),
            norm_2: norm(groups, o, device),
            conv_zero: conv(o, o, 3, 1, device),
            skip: (i != o).then(|| conv(i, o, 1, 1, device)),
        }
    }

    fn forward(&self, x: Tensor<4>, t: Tensor<2>) -> Tensor<4> {
        let [b, _, _, _] = x.dims();
        let h = self.conv_1.forward(silu(self.norm_1.forward(x.clone())));
        let c = h.dims()[1];
        let h = h + self.noise.forward(t).reshape([b, c, 1, 1]);
        let h = self.conv_zero.forward(silu(self.norm_2.forward(h)));
        match &self.skip {
            Some(s) => s.forward(x) + h,
            None => x + h,
        }
    }
}

/// Single-head self-attention over the pixels of a feature map.
#[derive(Module, Debug)]
pub struct Attention {
    norm: GroupNorm,
    query: Linear,
    key: Linear,
    value: Linear,
    out_zero: Linear,
}

impl Attention {
    fn new(c: usize, groups: usize, device: &Device) -> Self {
        let lin = || LinearConfig::new(c, c).init(device);
        Attention {
            norm: norm(groups, c, device),
            query: lin(),
            key: lin(),
            value: lin(),
            out_zero: lin(),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let tokens = self
            .norm
            .forward(x.clone())
            .reshape([b, c, h * w])
            .swap_dims(1, 2);
        let q = self.query.forward(tokens.clone());
        let k = self.key.forward(tokens.clone());
        let v = self.value.forward(tokens);
        let scores = q.matmul(k.swap_dims(1, 2)).div_scalar((c as f64).sqrt());
        let mixed = softmax(scores, 2).matmul(v);
        let out = self
            .out_zero
            .forward(mixed)
            .swap_dims(1, 2)
            .reshape([b, c, h, w]);
        x + out
    }
}

#[derive(Module, Debug)]
pub struct Level {
    blocks: Vec<ResBlock>,
    /// Stride-2 convolution to the next level (absent on the lowest).
    down: Option<Conv2d>,
}

#[derive(Module, Debug)]
pub struct UpLevel {
    blocks: Vec<ResBlock>,
    /// Convolution after nearest-neighbour upsampling to the level above.
    up: Option<Conv2d>,
}

#[derive(Module, Debug)]
pub struct Unet {
    embed_1: Linear,
    embed_2: Linear,
    input: Conv2d,
    down: Vec<Level>,
    mid_1: ResBlock,
    mid_attention: Attention,
    mid_2: ResBlock,
    up: Vec<UpLevel>,
    out_norm: GroupNorm,
    output_zero: Conv2d,
    #[module(skip)]
    shape: [usize; 3],
}

impl Unet {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        channels: usize,
        height: usize,
        width: usize,
        base: usize,
        mults: &[usize],
        blocks: usize,
        groups: usize,
        embed: usize,
        device: &Device,
    ) -> Self {
        let t = 4 * base;
        let widths: Vec<usize> = mults.iter().map(|m| base * m).collect();
        let levels = widths.len();
        let mut down = Vec::new();
        let mut cur = base;
        for (l, &c) in widths.iter().enumerate() {
            let mut bl = Vec::new();
            for _ in 0..blocks {
                bl.push(ResBlock::new(cur, c, groups, t, device));
                cur = c;
            }
            let down_conv = (l + 1 < levels).then(|| conv(c, c, 3, 2, device));
            down.push(Level {
                blocks: bl,
                down: down_conv,
            });
        }
        let mut up = Vec::new();
        for l in (0..levels).rev() {
            let c = widths[l];
            let mut bl = Vec::new();
            for k in 0..blocks {
                let i = if k == 0 { cur + c } else { c };
                bl.push(ResBlock::new(i, c, groups, t, device));
                cur = c;
            }
            let up_conv = (l > 0).then(|| conv(c, widths[l - 1], 3, 1, device));
            if l > 0 {
                cur = widths[l - 1];
            }
            up.push(UpLevel {
                blocks: bl,
                up: up_conv,
            });
        }
        let last = *widths.last().expect("at least one level");
        Unet {
            embed_1: LinearConfig::new(embed, t).init(device),
            embed_2: LinearConfig::new(t, t).init(device),
            input: conv(channels, base, 3, 1, device),
            down,
            mid_1: ResBlock::new(last, last, groups, t, device),
            mid_attention: Attention::new(last, groups, device),
            mid_2: ResBlock::new(last, last, groups, t, device),
            up,
            out_norm: norm(groups, base, device),
            output_zero: conv(base, channels, 3, 1, device),
            shape: [channels, height, width],
        }
    }

    /// x: (B, C·H·W) already scaled by c_in; one c_noise per row.
    pub fn forward(&self, x: Tensor<2>, c_noise: &[f64]) -> Tensor<2> {
        let [b, d] = x.dims();
        let [c, h, w] = self.shape;
        let emb = embed_into(&self.embed_1, c_noise, &x.device());
        let t = self.embed_2.forward(silu(emb));
        let mut x = self.input.forward(x.reshape([b, c, h, w]));
        let mut skips = Vec::new();
        for level in &self.down {
            for block in &level.blocks {
                x = block.forward(x, t.clone());
            }
            skips.push(x.clone());
            if let Some(down) = &level.down {
                x = down.forward(x);
            }
        }
        x = self.mid_1.forward(x, t.clone());
        x = self.mid_attention.forward(x);
        x = self.mid_2.forward(x, t.clone());
        for level in &self.up {
            let skip = skips.pop().expect("one skip per level");
            x = Tensor::cat(vec![x, skip], 1);
            for block in &level.blocks {
                x = block.forward(x, t.clone());
            }
            if let Some(up) = &level.up {
                x = up.forward(upsample(x));
            }
        }
        let x = self.output_zero.forward(silu(self.out_norm.forward(x)));
        x.reshape([b, d])
    }
}

/// Nearest-neighbour 2x upsampling by repetition.
fn upsample(x: Tensor<4>) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h, 1, w, 1])
        .repeat_dim(3, 2)
        .repeat_dim(5, 2)
        .reshape([b, c, 2 * h, 2 * w])
}
