//! Where each weight of the DDPM U-Net sits in a checkpoint: the DDIM code
//! base's `Model` and diffusers' `UNet2DModel` hold the same network under
//! different keys (and diffusers' attention projections as linear layers).

use serde::{Deserialize, Serialize};

/// The key layout of a DDPM U-Net checkpoint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// ermongroup/ddim models/diffusion.py (and pesser/pytorch_diffusion).
    #[default]
    Ddim,
    /// diffusers' UNet2DModel (`diffusion_pytorch_model.safetensors`).
    Diffusers,
}

/// The four projections of an attention block.
#[derive(Clone, Copy)]
pub enum Part {
    Q,
    K,
    V,
    Out,
}

/// Key names for a network of `levels` resolutions.
pub struct Names {
    pub layout: Layout,
    pub levels: usize,
}

impl Names {
    fn ddim(&self) -> bool {
        self.layout == Layout::Ddim
    }

    pub fn temb(&self, i: usize) -> String {
        match (self.layout, i) {
            (Layout::Ddim, _) => format!("temb.dense.{i}"),
            (Layout::Diffusers, 0) => "time_embedding.linear_1".into(),
            (Layout::Diffusers, _) => "time_embedding.linear_2".into(),
        }
    }

    pub fn norm_out(&self) -> &'static str {
        if self.ddim() {
            "norm_out"
        } else {
            "conv_norm_out"
        }
    }

    pub fn down_block(&self, i: usize, j: usize) -> String {
        if self.ddim() {
            format!("down.{i}.block.{j}")
        } else {
            format!("down_blocks.{i}.resnets.{j}")
        }
    }

    pub fn down_attn(&self, i: usize, j: usize) -> String {
        if self.ddim() {
            format!("down.{i}.attn.{j}")
        } else {
            format!("down_blocks.{i}.attentions.{j}")
        }
    }

    pub fn downsample(&self, i: usize) -> String {
        if self.ddim() {
            format!("down.{i}.downsample.conv")
        } else {
            format!("down_blocks.{i}.downsamplers.0.conv")
        }
    }

    /// The middle's resnet blocks, k = 0 and 1.
    pub fn mid_block(&self, k: usize) -> String {
        if self.ddim() {
            format!("mid.block_{}", k + 1)
        } else {
            format!("mid_block.resnets.{k}")
        }
    }

    pub fn mid_attn(&self) -> &'static str {
        if self.ddim() {
            "mid.attn_1"
        } else {
            "mid_block.attentions.0"
        }
    }

    /// Up-path level i counts from the highest resolution, as the DDIM
    /// code does; diffusers counts from the lowest.
    pub fn up_block(&self, i: usize, j: usize) -> String {
        if self.ddim() {
            format!("up.{i}.block.{j}")
        } else {
            format!("up_blocks.{}.resnets.{j}", self.levels - 1 - i)
        }
    }

    pub fn up_attn(&self, i: usize, j: usize) -> String {
        if self.ddim() {
            format!("up.{i}.attn.{j}")
        } else {
            format!("up_blocks.{}.attentions.{j}", self.levels - 1 - i)
        }
    }

    pub fn upsample(&self, i: usize) -> String {
        if self.ddim() {
            format!("up.{i}.upsample.conv")
        } else {
            format!("up_blocks.{}.upsamplers.0.conv", self.levels - 1 - i)
        }
    }

    pub fn temb_proj(&self) -> &'static str {
        if self.ddim() {
            "temb_proj"
        } else {
            "time_emb_proj"
        }
    }

    pub fn shortcut(&self) -> &'static str {
        if self.ddim() {
            "nin_shortcut"
        } else {
            "conv_shortcut"
        }
    }

    pub fn attn_norm(&self) -> &'static str {
        if self.ddim() { "norm" } else { "group_norm" }
    }

    /// An attention projection; `deprecated` gives diffusers' names before
    /// its attention rewrite (query, key, value, proj_attn).
    pub fn attn_part(&self, part: Part, deprecated: bool) -> &'static str {
        match (self.layout, deprecated, part) {
            (Layout::Ddim, _, Part::Q) => "q",
            (Layout::Ddim, _, Part::K) => "k",
            (Layout::Ddim, _, Part::V) => "v",
            (Layout::Ddim, _, Part::Out) => "proj_out",
            (Layout::Diffusers, false, Part::Q) => "to_q",
            (Layout::Diffusers, false, Part::K) => "to_k",
            (Layout::Diffusers, false, Part::V) => "to_v",
            (Layout::Diffusers, false, Part::Out) => "to_out.0",
            (Layout::Diffusers, true, Part::Q) => "query",
            (Layout::Diffusers, true, Part::K) => "key",
            (Layout::Diffusers, true, Part::V) => "value",
            (Layout::Diffusers, true, Part::Out) => "proj_attn",
        }
    }
}
