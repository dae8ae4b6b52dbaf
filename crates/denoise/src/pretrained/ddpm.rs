//! The DDPM U-Net of Ho et al. as the DDIM code base builds it
//! (ermongroup/ddim models/diffusion.py `Model`): the network of the
//! ema_diffusion_cifar10_model and celeba checkpoints, and of diffusers'
//! `UNet2DModel` in its DDPM configurations (google/ddpm-cifar10-32), whose
//! keys names.rs maps. It predicts ε from (x_t, t) with t the discrete time
//! step (fractional t allowed).

use burn::tensor::{Device, Tensor};
use geotraj_data::weights::Weights;
use serde::{Deserialize, Serialize};

use super::error::PretrainedError;
use super::layers::{
    Conv, Dense, GroupNorm, Loader, attend, avg_pool, load_network, random_network, silu,
    sinusoids, upsample,
};
use super::names::{Layout, Names, Part};

/// The `model:` section of the DDIM code base's YAML configs (plus the
/// image size from `data:`), under the same names; the fields after
/// `resamp_with_conv` cover diffusers' variants and default to DDPM's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DdpmConfig {
    pub ch: usize,
    pub out_ch: usize,
    pub ch_mult: Vec<usize>,
    pub num_res_blocks: usize,
    pub attn_resolutions: Vec<usize>,
    pub in_channels: usize,
    /// `data.image_size`: the side of the square images.
    pub resolution: usize,
    #[serde(default = "yes")]
    pub resamp_with_conv: bool,
    /// GroupNorm groups and epsilon (DDPM: 32, 1e-6).
    #[serde(default = "groups")]
    pub norm_groups: usize,
    #[serde(default = "norm_eps")]
    pub norm_eps: f64,
    /// Channels per attention head; None: one head (DDPM).
    #[serde(default)]
    pub attention_head_dim: Option<usize>,
    /// Time embedding [cos, sin] instead of DDPM's [sin, cos].
    #[serde(default)]
    pub flip_sin_to_cos: bool,
    /// Frequencies exp(−k ln(10⁴)/(half − freq_shift)); DDPM: 1.
    #[serde(default = "one")]
    pub freq_shift: usize,
    /// 0: DDPM's pad of one row and column after, then a valid stride-2
    /// convolution; 1: padding 1 on every side.
    #[serde(default)]
    pub downsample_padding: usize,
}

fn yes() -> bool {
    true
}
fn groups() -> usize {
    32
}
fn norm_eps() -> f64 {
    1e-6
}
fn one() -> usize {
    1
}

impl DdpmConfig {
    /// configs/cifar10.yml: the ema_diffusion_cifar10_model checkpoint (35.7M parameters).
    pub fn cifar10() -> Self {
        DdpmConfig {
            ch: 128,
            out_ch: 3,
            ch_mult: vec![1, 2, 2, 2],
            num_res_blocks: 2,
            attn_resolutions: vec![16],
            in_channels: 3,
            resolution: 32,
            resamp_with_conv: true,
            norm_groups: groups(),
            norm_eps: norm_eps(),
            attention_head_dim: None,
            flip_sin_to_cos: false,
            freq_shift: 1,
            downsample_padding: 0,
        }
    }

    /// configs/celeba.yml: the 64 x 64 CelebA checkpoint.
    pub fn celeba() -> Self {
        DdpmConfig {
            ch_mult: vec![1, 2, 2, 2, 4],
            resolution: 64,
            ..Self::cifar10()
        }
    }

    pub fn dim(&self) -> usize {
        self.in_channels * self.resolution * self.resolution
    }

    fn check(&self) -> Result<(), String> {
        if self.ch == 0 || self.ch_mult.is_empty() || self.num_res_blocks == 0 {
            return Err("ch, ch_mult and num_res_blocks must be non-empty and positive".into());
        }
        let levels = self.ch_mult.len();
        let halves = 1usize.checked_shl((levels - 1) as u32).unwrap_or(0);
        if halves == 0 || !self.resolution.is_multiple_of(halves) {
            return Err(format!(
                "resolution {} does not halve {} times",
                self.resolution,
                levels - 1
            ));
        }
        if self.downsample_padding > 1 {
            return Err(format!(
                "downsample_padding must be 0 or 1, got {}",
                self.downsample_padding
            ));
        }
        if self.ch < 2 || self.freq_shift >= self.ch / 2 {
            return Err(format!(
                "freq_shift {} must be below half of ch {}",
                self.freq_shift, self.ch
            ));
        }
        if !(self.norm_eps > 0.0 && self.norm_eps.is_finite()) {
            return Err(format!("norm_eps must be positive, got {}", self.norm_eps));
        }
        for m in &self.ch_mult {
            let c = self.ch * m;
            if self.norm_groups == 0 || !c.is_multiple_of(self.norm_groups) {
                return Err(format!(
                    "{c} channels do not split into {} norm groups",
                    self.norm_groups
                ));
            }
            if let Some(h) = self.attention_head_dim
                && (h == 0 || !c.is_multiple_of(h))
            {
                return Err(format!("{c} channels do not split into heads of {h}"));
            }
        }
        if self.in_channels == 0 || self.out_ch != self.in_channels {
            return Err(format!(
                "out_ch {} must equal in_channels {} for an ε-prediction network",
                self.out_ch, self.in_channels
            ));
        }
        Ok(())
    }
}

struct ResBlock {
    norm1: GroupNorm,
    conv1: Conv,
    temb_proj: Dense,
    norm2: GroupNorm,
    conv2: Conv,
    shortcut: Option<Conv>,
}

/// What every block of one network shares when loading.
struct Ctx<'a> {
    names: &'a Names,
    config: &'a DdpmConfig,
    temb: usize,
}

impl Ctx<'_> {
    fn norm(&self, l: &mut Loader, name: &str, c: usize) -> GroupNorm {
        l.group_norm(name, self.config.norm_groups, c, self.config.norm_eps)
    }
}

impl ResBlock {
    fn load(l: &mut Loader, x: &Ctx, name: &str, i: usize, o: usize) -> Self {
        let n = x.names;
        ResBlock {
            norm1: x.norm(l, &format!("{name}.norm1"), i),
            conv1: l.conv(&format!("{name}.conv1"), i, o, 3, 1, 1),
            temb_proj: l.dense(&format!("{name}.{}", n.temb_proj()), x.temb, o),
            norm2: x.norm(l, &format!("{name}.norm2"), o),
            conv2: l.conv(&format!("{name}.conv2"), o, o, 3, 1, 1),
            // The pretrained configs never set conv_shortcut: a 1x1 shortcut.
            shortcut: (i != o).then(|| l.conv(&format!("{name}.{}", n.shortcut()), i, o, 1, 1, 0)),
        }
    }

    fn forward(&self, x: Tensor<4>, temb: Tensor<2>) -> Tensor<4> {
        let [b, _, _, _] = x.dims();
        let h = self.conv1.forward(silu(self.norm1.forward(x.clone())));
        let o = h.dims()[1];
        let h = h + self.temb_proj.forward(silu(temb)).reshape([b, o, 1, 1]);
        let h = self.conv2.forward(silu(self.norm2.forward(h)));
        match &self.shortcut {
            Some(s) => s.forward(x) + h,
            None => x + h,
        }
    }
}

struct AttnBlock {
    norm: GroupNorm,
    q: Conv,
    k: Conv,
    v: Conv,
    proj_out: Conv,
    heads: usize,
}

impl AttnBlock {
    fn load(l: &mut Loader, x: &Ctx, name: &str, c: usize) -> Self {
        let n = x.names;
        // diffusers before its attention rewrite named the projections differently.
        let deprecated = n.layout == Layout::Diffusers
            && !l.has(&format!("{name}.{}.weight", n.attn_part(Part::Q, false)))
            && l.has(&format!("{name}.{}.weight", n.attn_part(Part::Q, true)));
        let mut one = |part: Part| {
            let key = format!("{name}.{}", n.attn_part(part, deprecated));
            match n.layout {
                Layout::Ddim => l.conv(&key, c, c, 1, 1, 0),
                Layout::Diffusers => l.conv1x1_from_dense(&key, c, c),
            }
        };
        let (q, k, v, proj_out) = (one(Part::Q), one(Part::K), one(Part::V), one(Part::Out));
        AttnBlock {
            norm: x.norm(l, &format!("{name}.{}", n.attn_norm()), c),
            q,
            k,
            v,
            proj_out,
            heads: x.config.attention_head_dim.map_or(1, |h| c / h),
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let n = self.norm.forward(x.clone());
        let flat = |t: Tensor<4>| t.reshape([b, c, h * w]);
        let out = attend(
            flat(self.q.forward(n.clone())),
            flat(self.k.forward(n.clone())),
            flat(self.v.forward(n)),
            self.heads,
        );
        x + self.proj_out.forward(out.reshape([b, c, h, w]))
    }
}

/// One resolution of the down or up path.
struct Level {
    blocks: Vec<ResBlock>,
    attn: Vec<AttnBlock>,
    /// Downsample (down path) or upsample (up path) convolution.
    resample: Option<Conv>,
}

/// The DDPM U-Net with its weights, ready to run.
pub struct DdpmUnet {
    config: DdpmConfig,
    temb: [Dense; 2],
    conv_in: Conv,
    down: Vec<Level>,
    mid: (ResBlock, AttnBlock, ResBlock),
    /// Indexed as the file indexes them: up[0] is the highest resolution.
    up: Vec<Level>,
    norm_out: GroupNorm,
    conv_out: Conv,
    parameters: usize,
    device: Device,
}

impl DdpmUnet {
    /// Builds the network `config` describes from `weights` (keys in
    /// `layout`, found under `prefix`, or under whatever prefix precedes
    /// "conv_in.weight").
    pub fn load(
        config: &DdpmConfig,
        layout: Layout,
        weights: &Weights,
        prefix: Option<&str>,
        device: &Device,
    ) -> Result<Self, PretrainedError> {
        let (mut net, parameters) = load_network(
            "DDPM U-Net",
            config.check(),
            weights,
            "conv_in.weight",
            prefix,
            device,
            |l| Self::build(config, layout, l, device),
        )?;
        net.parameters = parameters;
        Ok(net)
    }

    /// The network `config` describes with seeded random weights (PyTorch's
    /// scale): for benchmarks and smoke tests without a weights file.
    pub fn random(config: &DdpmConfig, seed: u64, device: &Device) -> Result<Self, String> {
        let (mut net, parameters) = random_network(config.check(), seed, device, |l| {
            Self::build(config, Layout::Ddim, l, device)
        })?;
        net.parameters = parameters;
        Ok(net)
    }

    fn build(config: &DdpmConfig, layout: Layout, l: &mut Loader, device: &Device) -> Self {
        let c = config;
        let levels = c.ch_mult.len();
        let names = Names { layout, levels };
        let x = Ctx {
            names: &names,
            config: c,
            temb: 4 * c.ch,
        };
        let temb = [
            l.dense(&names.temb(0), c.ch, x.temb),
            l.dense(&names.temb(1), x.temb, x.temb),
        ];
        let conv_in = l.conv("conv_in", c.in_channels, c.ch, 3, 1, 1);
        let mut res = c.resolution;
        let mut block_in = c.ch;
        let mut down = Vec::new();
        let mut skips = vec![c.ch];
        for (i, &m) in c.ch_mult.iter().enumerate() {
            let out = c.ch * m;
            let (mut blocks, mut attn) = (Vec::new(), Vec::new());
            for j in 0..c.num_res_blocks {
                blocks.push(ResBlock::load(
                    l,
                    &x,
                    &names.down_block(i, j),
                    block_in,
                    out,
                ));
                block_in = out;
                if c.attn_resolutions.contains(&res) {
                    attn.push(AttnBlock::load(l, &x, &names.down_attn(i, j), out));
                }
                skips.push(out);
            }
            let mut resample = None;
            if i + 1 < levels {
                res /= 2;
                skips.push(out);
                if c.resamp_with_conv {
                    // DDPM pads one row and column after, then convolves without padding.
                    let pad = match c.downsample_padding {
                        0 => [(0, 1), (0, 1)],
                        _ => [(1, 1), (1, 1)],
                    };
                    resample = Some(l.conv_padded(&names.downsample(i), out, out, 3, 2, pad));
                }
            }
            down.push(Level {
                blocks,
                attn,
                resample,
            });
        }
        let mid = (
            ResBlock::load(l, &x, &names.mid_block(0), block_in, block_in),
            AttnBlock::load(l, &x, names.mid_attn(), block_in),
            ResBlock::load(l, &x, &names.mid_block(1), block_in, block_in),
        );
        let mut up: Vec<Option<Level>> = (0..levels).map(|_| None).collect();
        for i in (0..levels).rev() {
            let out = c.ch * c.ch_mult[i];
            let (mut blocks, mut attn) = (Vec::new(), Vec::new());
            for j in 0..=c.num_res_blocks {
                let skip = skips.pop().expect("one skip per block");
                blocks.push(ResBlock::load(
                    l,
                    &x,
                    &names.up_block(i, j),
                    block_in + skip,
                    out,
                ));
                block_in = out;
                if c.attn_resolutions.contains(&res) {
                    attn.push(AttnBlock::load(l, &x, &names.up_attn(i, j), out));
                }
            }
            let resample = if i > 0 && c.resamp_with_conv {
                Some(l.conv(&names.upsample(i), out, out, 3, 1, 1))
            } else {
                None
            };
            if i > 0 {
                res *= 2;
            }
            up[i] = Some(Level {
                blocks,
                attn,
                resample,
            });
        }
        let norm_out = x.norm(l, names.norm_out(), block_in);
        let conv_out = l.conv("conv_out", block_in, c.out_ch, 3, 1, 1);
        DdpmUnet {
            config: config.clone(),
            temb,
            conv_in,
            down,
            mid,
            up: up
                .into_iter()
                .map(|u| u.expect("every level built"))
                .collect(),
            norm_out,
            conv_out,
            parameters: 0,
            device: device.clone(),
        }
    }

    pub fn config(&self) -> &DdpmConfig {
        &self.config
    }

    pub fn parameters(&self) -> usize {
        self.parameters
    }

    pub fn device(&self) -> Device {
        self.device.clone()
    }

    /// ε(x, t) for images (B, C, H, W) and one time step per image.
    pub fn forward_images(&self, x: Tensor<4>, t: &[f64]) -> Tensor<4> {
        let c = &self.config;
        let emb = timestep_embedding(t, c.ch, c.flip_sin_to_cos, c.freq_shift, &x.device());
        let temb = self.temb[1].forward(silu(self.temb[0].forward(emb)));
        let mut hs = vec![self.conv_in.forward(x)];
        let levels = self.down.len();
        for (i, level) in self.down.iter().enumerate() {
            for (j, block) in level.blocks.iter().enumerate() {
                let mut h = block.forward(hs.last().expect("input").clone(), temb.clone());
                if let Some(a) = level.attn.get(j) {
                    h = a.forward(h);
                }
                hs.push(h);
            }
            if i + 1 < levels {
                let last = hs.last().expect("input").clone();
                hs.push(match &level.resample {
                    Some(conv) => conv.forward(last),
                    None => avg_pool(last),
                });
            }
        }
        let mut h = hs.last().expect("input").clone();
        h = self.mid.0.forward(h, temb.clone());
        h = self.mid.1.forward(h);
        h = self.mid.2.forward(h, temb.clone());
        for i in (0..levels).rev() {
            let level = &self.up[i];
            for (j, block) in level.blocks.iter().enumerate() {
                let skip = hs.pop().expect("one skip per block");
                h = block.forward(Tensor::cat(vec![h, skip], 1), temb.clone());
                if let Some(a) = level.attn.get(j) {
                    h = a.forward(h);
                }
            }
            if i > 0 {
                h = upsample(h);
                if let Some(conv) = &level.resample {
                    h = conv.forward(h);
                }
            }
        }
        self.conv_out.forward(silu(self.norm_out.forward(h)))
    }

    /// ε for flattened rows (B, C·H·W) at one time step.
    pub fn forward(&self, x: Tensor<2>, t: f64) -> Tensor<2> {
        let [b, d] = x.dims();
        let (c, r) = (self.config.in_channels, self.config.resolution);
        let out = self.forward_images(x.reshape([b, c, r, r]), &vec![t; b]);
        out.reshape([b, d])
    }
}

/// Floating-point operations of one forward pass per image: 2 per
/// multiply-add of the convolutions, linear layers and attention products
/// (normalisations and activations, a few per value, are left out).
pub fn flops_per_image(c: &DdpmConfig) -> u64 {
    let mac = |i: usize, o: usize, k: usize, r: usize| 2 * (i * o * k * k * r * r) as u64;
    let temb = 4 * c.ch;
    let res_block = |i: usize, o: usize, r: usize| {
        mac(i, o, 3, r)
            + mac(o, o, 3, r)
            + 2 * (temb * o) as u64
            + if i != o { mac(i, o, 1, r) } else { 0 }
    };
    let attn = |ch: usize, r: usize| {
        let n = (r * r) as u64;
        4 * mac(ch, ch, 1, r) + 2 * 2 * n * n * ch as u64
    };
    let mut f = 2 * (c.ch * temb + temb * temb) as u64 + mac(c.in_channels, c.ch, 3, c.resolution);
    let (mut r, mut block_in, mut skips) = (c.resolution, c.ch, vec![c.ch]);
    for (i, &m) in c.ch_mult.iter().enumerate() {
        let out = c.ch * m;
        for _ in 0..c.num_res_blocks {
            f += res_block(block_in, out, r);
            block_in = out;
            if c.attn_resolutions.contains(&r) {
                f += attn(out, r);
            }
            skips.push(out);
        }
        if i + 1 < c.ch_mult.len() {
            r /= 2;
            if c.resamp_with_conv {
                f += mac(out, out, 3, r);
            }
            skips.push(out);
        }
    }
    f += 2 * res_block(block_in, block_in, r) + attn(block_in, r);
    for i in (0..c.ch_mult.len()).rev() {
        let out = c.ch * c.ch_mult[i];
        for _ in 0..=c.num_res_blocks {
            let skip = skips.pop().unwrap_or(0);
            f += res_block(block_in + skip, out, r);
            block_in = out;
            if c.attn_resolutions.contains(&r) {
                f += attn(out, r);
            }
        }
        if i > 0 {
            r *= 2;
            if c.resamp_with_conv {
                f += mac(out, out, 3, r);
            }
        }
    }
    f + mac(block_in, c.out_ch, 3, r)
}

/// The sinusoidal embedding of DDPM (Vaswani et al.'s; [sin, cos], or
/// [cos, sin] flipped), computed as the reference does in f32: frequencies
/// exp(−k ln(10⁴)/(h − shift)) and their products with t rounded to f32
/// before sin and cos.
pub fn timestep_embedding(
    t: &[f64],
    dim: usize,
    flip: bool,
    shift: usize,
    device: &Device,
) -> Tensor<2> {
    let half = dim / 2;
    let scale = -((10000f64).ln() / (half as f64 - shift as f64)) as f32;
    let freqs: Vec<f32> = (0..half).map(|k| (k as f32 * scale).exp()).collect();
    sinusoids(t, &freqs, !flip, dim, device)
}
