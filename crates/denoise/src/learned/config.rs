//! What a learned network is: its architecture, written beside every
//! checkpoint so that a checkpoint can be rebuilt and checked against it.

use serde::{Deserialize, Serialize};

/// A network architecture. Tagged by `kind` in TOML/JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum NetConfig {
    /// Residual MLP for flat low-dimensional data (2-D toys, GMMs, PCA features).
    Mlp {
        dim: usize,
        #[serde(default = "default_hidden")]
        hidden: usize,
        #[serde(default = "default_depth")]
        depth: usize,
        #[serde(default = "default_embed")]
        embed: usize,
    },
    /// U-Net for images of `channels` x `height` x `width`: `blocks` residual
    /// blocks per level at base x mults[l] channels, group norm, self-attention
    /// at the lowest resolution, a sinusoidal noise embedding.
    Unet {
        channels: usize,
        height: usize,
        width: usize,
        #[serde(default = "default_base")]
        base: usize,
        #[serde(default = "default_mults")]
        mults: Vec<usize>,
        #[serde(default = "default_blocks")]
        blocks: usize,
        #[serde(default = "default_groups")]
        groups: usize,
        #[serde(default = "default_embed")]
        embed: usize,
    },
}

fn default_hidden() -> usize {
    256
}
fn default_depth() -> usize {
    4
}
fn default_embed() -> usize {
    64
}
fn default_base() -> usize {
    32
}
fn default_mults() -> Vec<usize> {
    vec![1, 2, 2]
}
fn default_blocks() -> usize {
    1
}
fn default_groups() -> usize {
    8
}

impl NetConfig {
    /// The flattened state dimension the network maps.
    pub fn dim(&self) -> usize {
        match self {
            NetConfig::Mlp { dim, .. } => *dim,
            NetConfig::Unet {
                channels,
                height,
                width,
                ..
            } => channels * height * width,
        }
    }

    /// About how many weights the network has (f64: no size overflows).
    pub fn approx_parameters(&self) -> f64 {
        match self {
            NetConfig::Mlp {
                dim,
                hidden,
                depth,
                embed,
            } => {
                let (d, h, e) = (*dim as f64, *hidden as f64, *embed as f64);
                2.0 * d * h + *depth as f64 * (2.0 * h * h + e * h) + e * e
            }
            NetConfig::Unet {
                channels,
                base,
                mults,
                blocks,
                embed,
                ..
            } => {
                let e = *embed as f64;
                let levels: f64 = mults
                    .iter()
                    .map(|m| {
                        let c = (*base as f64) * (*m as f64);
                        // Two 3x3 convolutions and an embedding projection per block, down and up.
                        2.0 * (*blocks as f64 + 1.0) * (18.0 * c * c + e * c)
                    })
                    .sum();
                levels + 18.0 * *channels as f64 * *base as f64 + e * e
            }
        }
    }

    /// Why this architecture cannot be built, naming the key; None when it can.
    pub fn problem(&self) -> Option<String> {
        let bad = |key: &str, what: String| Some(format!("net.{key}: {what}"));
        if let Some(p) = self.size_problem() {
            return Some(p);
        }
        match self {
            NetConfig::Mlp {
                dim,
                hidden,
                depth,
                embed,
            } => {
                if *dim == 0 || *hidden == 0 || *depth == 0 {
                    return bad("dim/hidden/depth", "expected positive sizes".into());
                }
                if *embed < 2 || !embed.is_multiple_of(2) {
                    return bad("embed", format!("expected an even size >= 2, got {embed}"));
                }
                None
            }
            NetConfig::Unet {
                channels,
                height,
                width,
                base,
                mults,
                blocks,
                groups,
                embed,
            } => {
                if *channels == 0 || *height == 0 || *width == 0 {
                    return bad("channels/height/width", "expected positive sizes".into());
                }
                if mults.is_empty() || mults.contains(&0) {
                    return bad(
                        "mults",
                        "expected a non-empty list of positive factors".into(),
                    );
                }
                if *blocks == 0 {
                    return bad("blocks", "expected at least 1".into());
                }
                let scale = 1usize << (mults.len() - 1);
                if !height.is_multiple_of(scale) || !width.is_multiple_of(scale) {
                    return bad(
                        "mults",
                        format!(
                            "{} levels halve {height}x{width} {} times; both sides must be divisible by {scale}",
                            mults.len(),
                            mults.len() - 1
                        ),
                    );
                }
                for m in mults {
                    let c = base * m;
                    if *groups == 0 || !c.is_multiple_of(*groups) {
                        return bad(
                            "groups",
                            format!(
                                "{groups} groups must divide every level's channels (base {base} x {m} = {c})"
                            ),
                        );
                    }
                }
                if *embed < 2 || !embed.is_multiple_of(2) {
                    return bad("embed", format!("expected an even size >= 2, got {embed}"));
                }
                None
            }
        }
    }

    /// Sizes beyond what any network here could allocate: each is bounded
    /// so the products computed later cannot overflow.
    fn size_problem(&self) -> Option<String> {
        let bad = |key: &str, what: String| Some(format!("net.{key}: {what}"));
        let (dim, levels) = match self {
            NetConfig::Mlp { dim, .. } => (Some(*dim), 0),
            NetConfig::Unet {
                channels,
                height,
                width,
                mults,
                ..
            } => (
                channels
                    .checked_mul(*height)
                    .and_then(|c| c.checked_mul(*width)),
                mults.len(),
            ),
        };
        const MAX_DIM: usize = 1 << 28;
        match dim {
            Some(d) if d <= MAX_DIM => {}
            _ => return bad("dim", format!("the state has more than {MAX_DIM} values")),
        }
        if levels > 10 {
            return bad("mults", format!("{levels} levels; at most 10"));
        }
        const MAX_PARAMETERS: f64 = 2e9;
        let p = self.approx_parameters();
        if p.is_nan() || p > MAX_PARAMETERS {
            return bad(
                "hidden/base",
                format!("the network would have about {p:.3e} weights; at most {MAX_PARAMETERS:e}"),
            );
        }
        None
    }

    pub fn describe(&self) -> String {
        match self {
            NetConfig::Mlp {
                dim, hidden, depth, ..
            } => format!("MLP (d = {dim}, {depth} residual blocks of {hidden})"),
            NetConfig::Unet {
                channels,
                height,
                width,
                base,
                mults,
                blocks,
                ..
            } => format!(
                "U-Net ({channels}x{height}x{width}, channels {:?}, {blocks} block(s) per level)",
                mults.iter().map(|m| base * m).collect::<Vec<_>>()
            ),
        }
    }
}
