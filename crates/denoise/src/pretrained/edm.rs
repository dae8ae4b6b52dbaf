//! EDM's networks as σ-denoisers: the U-Net (SongUNet or DhariwalUNet), the
//! class each image is given, and iDDPMPrecond, the one preconditioning
//! whose noise input is an index into a table rather than a formula of σ.

use burn::tensor::TensorData;
use geotraj_data::rng;
use geotraj_sampling::{Denoiser, Device, Tensor};

use super::dhariwal::DhariwalUnet;
use super::edm_config::{EdmArch, EdmNetworkConfig};
use super::error::PretrainedError;
use super::song::SongUnet;

/// One of EDM's networks (boxed: their layers are large and of different sizes).
pub enum EdmUnet {
    Song(Box<SongUnet>),
    Dhariwal(Box<DhariwalUnet>),
}

impl EdmUnet {
    /// Builds the network `config` describes from an exported state dict.
    pub fn load(
        config: &EdmNetworkConfig,
        weights: &geotraj_data::weights::Weights,
        prefix: Option<&str>,
        device: &Device,
    ) -> Result<Self, PretrainedError> {
        Ok(match &config.arch {
            EdmArch::Song(c) => {
                EdmUnet::Song(Box::new(SongUnet::load(c, weights, prefix, device)?))
            }
            EdmArch::Dhariwal(c) => {
                EdmUnet::Dhariwal(Box::new(DhariwalUnet::load(c, weights, prefix, device)?))
            }
        })
    }

    pub fn parameters(&self) -> usize {
        match self {
            EdmUnet::Song(u) => u.parameters(),
            EdmUnet::Dhariwal(u) => u.parameters(),
        }
    }

    /// (image channels, resolution, classes).
    fn shape(&self) -> (usize, usize, usize) {
        match self {
            EdmUnet::Song(u) => {
                let c = u.config();
                (c.in_channels, c.img_resolution, c.label_dim)
            }
            EdmUnet::Dhariwal(u) => {
                let c = u.config();
                (c.in_channels, c.img_resolution, c.label_dim)
            }
        }
    }

    fn device(&self) -> Device {
        match self {
            EdmUnet::Song(u) => u.device(),
            EdmUnet::Dhariwal(u) => u.device(),
        }
    }
}

/// The class a class-conditional network is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classes {
    /// EDM's zero label, as it passes when no class is chosen.
    None,
    /// The same class for every image.
    Fixed(usize),
    /// Trajectory i gets `keyed_class(seed, i, classes)`, as EDM's
    /// generate.py draws one class per seed: a pure function of (seed, i),
    /// so batching, threads and shards never change it.
    PerTrajectory { seed: u64 },
}

/// Added to the run's seed for the class stream, so that classes share no
/// random stream with the starting or step noise.
const CLASS_SEED_OFFSET: u64 = 0x2F49_14A3_C1D7_6E05;

/// Trajectory `i`'s class of `classes` (> 0) under seed `seed`: uniform.
pub fn keyed_class(seed: u64, i: usize, classes: usize) -> usize {
    let u = rng::uniform(seed.wrapping_add(CLASS_SEED_OFFSET), i as u64, 0);
    ((u * classes as f64) as usize).min(classes - 1)
}

/// An EDM network as the raw network F of its preconditioning.
pub struct EdmNetwork {
    pub unet: EdmUnet,
    pub classes: Classes,
}

impl EdmNetwork {
    /// A one-hot class row per image of trajectories `first..first + batch`,
    /// or None for an unconditional network.
    fn class_rows(&self, first: usize, batch: usize) -> Option<Tensor<2>> {
        let (_, _, n) = self.unet.shape();
        (n > 0).then(|| {
            let mut rows = vec![0f32; batch * n];
            for r in 0..batch {
                let k = match self.classes {
                    Classes::None => continue,
                    Classes::Fixed(k) => k,
                    Classes::PerTrajectory { seed } => keyed_class(seed, first + r, n),
                };
                if k < n {
                    rows[r * n + k] = 1.0;
                }
            }
            Tensor::from_data(TensorData::new(rows, [batch, n]), &self.unet.device())
        })
    }
}

impl crate::precondition::Network for EdmNetwork {
    fn forward(&self, x_in: Tensor<2>, c_noise: f64) -> Tensor<2> {
        self.forward_rows(x_in, c_noise, 0)
    }

    fn forward_rows(&self, x_in: Tensor<2>, c_noise: f64, first: usize) -> Tensor<2> {
        let [b, d] = x_in.dims();
        let (ch, r, _) = self.unet.shape();
        let x = x_in.reshape([b, ch, r, r]);
        let class = self.class_rows(first, b);
        let noise = vec![c_noise; b];
        let out = match &self.unet {
            EdmUnet::Song(u) => u.forward_images(x, &noise, class),
            EdmUnet::Dhariwal(u) => u.forward_images(x, &noise, class),
        };
        // iDDPM's networks also predict a variance: keep the image channels.
        let out = if out.dims()[1] > ch {
            out.narrow(1, 0, ch)
        } else {
            out
        };
        out.reshape([b, d])
    }

    fn dim(&self) -> usize {
        let (ch, r, _) = self.unet.shape();
        ch * r * r
    }

    fn device(&self) -> Device {
        self.unet.device()
    }

    fn describe(&self) -> String {
        let (ch, r, labels) = self.unet.shape();
        let kind = match &self.unet {
            EdmUnet::Song(u) if u.config().embedding_type == "fourier" => "SongUNet NCSN++",
            EdmUnet::Song(_) => "SongUNet DDPM++",
            EdmUnet::Dhariwal(_) => "DhariwalUNet (ADM)",
        };
        let class = match (labels, self.classes) {
            (0, _) => String::new(),
            (_, Classes::Fixed(k)) => format!(", class {k} of {labels}"),
            (_, Classes::PerTrajectory { .. }) => {
                format!(", one class of {labels} per trajectory")
            }
            (_, Classes::None) => format!(", no class of {labels}"),
        };
        format!(
            "EDM {kind} ({ch}x{r}x{r}{class}), {} parameters",
            self.unet.parameters()
        )
    }
}

/// EDM's iDDPMPrecond (the ADM and iDDPM baselines): D = x − σ F(x/√(σ²+1);
/// M − 1 − j), with j the index of the entry of the table u nearest σ.
pub struct IddpmPrecond {
    pub net: EdmNetwork,
    /// u_0 > u_1 > ... > u_M = 0, in f32 as EDM computes and stores it.
    u: Vec<f32>,
}

impl IddpmPrecond {
    /// The table of EDM's constructor (C_1, C_2, M), computed in f32 in
    /// its order of operations: u_{j−1} = √((u_j² + 1) / max(ᾱ_{j−1}/ᾱ_j, C_1) − 1),
    /// ᾱ_j = sin(π/2 · j / M / (C_2 + 1))². torch's f32 sine is off by an
    /// ulp now and then, so this agrees with EDM's to about 1e-5 relative:
    /// `with_table` takes the table EDM stored instead.
    pub fn new(net: EdmNetwork, c1: f64, c2: f64, m: usize) -> Self {
        let alpha_bar = |j: usize| {
            let a = (std::f64::consts::FRAC_PI_2 as f32 * j as f32 / m as f32 / (c2 + 1.0) as f32)
                .sin();
            a * a
        };
        let mut u = vec![0f32; m + 1];
        for j in (1..=m).rev() {
            let ratio = (alpha_bar(j - 1) / alpha_bar(j)).max(c1 as f32);
            u[j - 1] = ((u[j] * u[j] + 1.0) / ratio - 1.0).sqrt();
        }
        IddpmPrecond { net, u }
    }

    /// With the table EDM stored in the state dict (its buffer `u`): M + 1
    /// finite values, decreasing, ending at 0.
    pub fn with_table(net: EdmNetwork, u: Vec<f32>, m: usize) -> Result<Self, String> {
        if u.len() != m + 1 {
            return Err(format!(
                "u: {} entries, expected M + 1 = {}",
                u.len(),
                m + 1
            ));
        }
        if let Some(j) = u.iter().position(|v| !v.is_finite()) {
            return Err(format!("u: entry {j} is not finite"));
        }
        if let Some(j) = u.windows(2).position(|w| w[0] <= w[1]) {
            return Err(format!("u: not decreasing at entry {j}"));
        }
        if u[m] != 0.0 {
            return Err(format!("u: the last entry is {}, expected 0", u[m]));
        }
        Ok(IddpmPrecond { net, u })
    }

    /// The network, to wrap again (with other classes, say).
    pub fn into_network(self) -> EdmNetwork {
        self.net
    }

    pub fn table(&self) -> &[f32] {
        &self.u
    }

    /// The first index of the entry nearest σ (in f32, as EDM rounds σ).
    pub fn index(&self, sigma: f64) -> usize {
        let s = sigma as f32;
        let mut best = (f32::INFINITY, 0);
        for (j, &u) in self.u.iter().enumerate() {
            let gap = (s - u).abs();
            if gap < best.0 {
                best = (gap, j);
            }
        }
        best.1
    }
}

impl Denoiser for IddpmPrecond {
    fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
        self.denoise_rows(x, sigma, 0)
    }

    fn denoise_rows(&self, x: Tensor<2>, sigma: f64, first: usize) -> Tensor<2> {
        use crate::precondition::Network;
        let m = self.u.len() - 1;
        let c_noise = m as f64 - 1.0 - self.index(sigma) as f64;
        let c_in = 1.0 / (sigma * sigma + 1.0).sqrt();
        let f = self
            .net
            .forward_rows(x.clone().mul_scalar(c_in), c_noise, first);
        x - f.mul_scalar(sigma)
    }

    fn dim(&self) -> usize {
        use crate::precondition::Network;
        self.net.dim()
    }

    fn device(&self) -> Device {
        self.net.unet.device()
    }

    fn describe(&self) -> String {
        use crate::precondition::Network;
        format!(
            "{} behind iDDPM preconditioning (M = {}, sigma {:.4}..{:.2})",
            self.net.describe(),
            self.u.len() - 1,
            self.u[self.u.len() - 2],
            self.u[0]
        )
    }
}
