//! EDM's UNetBlock (training/networks.py), shared by SongUNet and
//! DhariwalUNet, which differ only in its settings (`Style`).

use burn::tensor::Tensor;

use super::edm_layers::{EdmConv, Resample, edm_norm};
use super::layers::{Dense, GroupNorm, Loader, attend, silu};

/// How a network builds its blocks.
pub struct Style {
    /// Scale and shift from the embedding (ADM) rather than a shift before the norm.
    pub adaptive_scale: bool,
    /// Attention heads of this many channels (ADM: 64); None: one head.
    pub channels_per_head: Option<usize>,
    pub skip_scale: f64,
    pub eps: f64,
    /// A 1x1 convolution on a resampling skip of unchanged width (SongUNet);
    /// otherwise the skip only resamples.
    pub resample_proj: bool,
}

pub struct Block {
    norm0: GroupNorm,
    conv0: EdmConv,
    affine: Dense,
    norm1: GroupNorm,
    conv1: EdmConv,
    skip: Option<EdmConv>,
    attn: Option<(GroupNorm, EdmConv, EdmConv, usize)>,
    adaptive_scale: bool,
    skip_scale: f64,
    pub in_channels: usize,
}

impl Block {
    #[allow(clippy::too_many_arguments)]
    pub fn load(
        style: &Style,
        l: &mut Loader,
        name: &str,
        i: usize,
        o: usize,
        emb: usize,
        resample: Resample,
        attention: bool,
        taps: usize,
    ) -> Self {
        let n = |part: &str| format!("{name}.{part}");
        let eps = style.eps;
        let skip = (o != i || resample != Resample::None).then(|| {
            let k = if style.resample_proj || o != i { 1 } else { 0 };
            EdmConv::load(l, &n("skip"), i, o, k, true, resample, taps)
        });
        let affine_out = if style.adaptive_scale { 2 * o } else { o };
        Block {
            norm0: edm_norm(l, &n("norm0"), i, eps),
            conv0: EdmConv::load(l, &n("conv0"), i, o, 3, true, resample, taps),
            affine: l.dense(&n("affine"), emb, affine_out),
            norm1: edm_norm(l, &n("norm1"), o, eps),
            conv1: EdmConv::load(l, &n("conv1"), o, o, 3, true, Resample::None, taps),
            skip,
            // EDM: o / channels_per_head heads, none at all below one head's width.
            attn: (attention && style.channels_per_head.is_none_or(|c| o >= c)).then(|| {
                let heads = style.channels_per_head.map_or(1, |c| o / c);
                (
                    edm_norm(l, &n("norm2"), o, eps),
                    EdmConv::load(l, &n("qkv"), o, 3 * o, 1, true, Resample::None, taps),
                    EdmConv::load(l, &n("proj"), o, o, 1, true, Resample::None, taps),
                    heads,
                )
            }),
            adaptive_scale: style.adaptive_scale,
            skip_scale: style.skip_scale,
            in_channels: i,
        }
    }

    pub fn forward(&self, x: Tensor<4>, emb: Tensor<2>) -> Tensor<4> {
        let orig = x.clone();
        let h = self.conv0.forward(silu(self.norm0.forward(x)));
        let [b, c, hh, ww] = h.dims();
        let params = self.affine.forward(emb);
        let h = if self.adaptive_scale {
            let scale = params.clone().narrow(1, 0, c).reshape([b, c, 1, 1]);
            let shift = params.narrow(1, c, c).reshape([b, c, 1, 1]);
            silu(shift + self.norm1.forward(h) * scale.add_scalar(1.0))
        } else {
            silu(self.norm1.forward(h + params.reshape([b, c, 1, 1])))
        };
        let h = self.conv1.forward(h);
        let skip = match &self.skip {
            Some(s) => s.forward(orig),
            None => orig,
        };
        let x = (h + skip).mul_scalar(self.skip_scale);
        let Some((norm, qkv, proj, heads)) = &self.attn else {
            return x;
        };
        // EDM interleaves q, k and v per channel: (B, C, 3, N).
        let qkv = qkv
            .forward(norm.forward(x.clone()))
            .reshape([b, c, 3, hh * ww]);
        let part = |j: usize| qkv.clone().narrow(2, j, 1).reshape([b, c, hh * ww]);
        let a = attend(part(0), part(1), part(2), *heads).reshape([b, c, hh, ww]);
        (proj.forward(a) + x).mul_scalar(self.skip_scale)
    }
}
