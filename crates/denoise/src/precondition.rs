//! Preconditioning (Karras et al., EDM, Table 1): a raw network F is wrapped
//! as D(x; σ) = c_skip(σ) x + c_out(σ) F(c_in(σ) x; c_noise(σ)), so that F
//! sees unit-variance inputs and learns a unit-variance target. The same
//! wrapper serves EDM, VE and VP (ε-prediction) parametrisations; a wrapped
//! network is a `Denoiser` like any other.

use geotraj_sampling::{Denoiser, Device, Tensor};
use serde::{Deserialize, Serialize};

/// One of EDM's preconditionings (networks.py: EDMPrecond, VEPrecond, VPPrecond).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Preconditioning {
    /// Karras et al.: skip connection and scales from the data's standard deviation.
    Edm { sigma_data: f64 },
    /// Song et al.'s VE: D = x + σ F(x; ln(σ / 2)).
    Ve,
    /// Song et al.'s VP as ε-prediction: D = x − σ F(x / √(σ² + 1); (M − 1) t(σ)),
    /// with t(σ) the VP-SDE time of σ and M training time steps.
    Vp {
        beta_d: f64,
        beta_min: f64,
        m: usize,
    },
}

/// The four coefficients at one σ.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coefficients {
    pub c_skip: f64,
    pub c_out: f64,
    pub c_in: f64,
    pub c_noise: f64,
}

impl Preconditioning {
    /// EDM's VP defaults (β_d = 19.9, β_min = 0.1, M = 1000).
    pub const VP: Preconditioning = Preconditioning::Vp {
        beta_d: 19.9,
        beta_min: 0.1,
        m: 1000,
    };

    pub fn coefficients(&self, sigma: f64) -> Coefficients {
        match *self {
            Preconditioning::Edm { sigma_data } => {
                let s2 = sigma * sigma + sigma_data * sigma_data;
                Coefficients {
                    c_skip: sigma_data * sigma_data / s2,
                    c_out: sigma * sigma_data / s2.sqrt(),
                    c_in: 1.0 / s2.sqrt(),
                    c_noise: sigma.ln() / 4.0,
                }
            }
            Preconditioning::Ve => Coefficients {
                c_skip: 1.0,
                c_out: sigma,
                c_in: 1.0,
                c_noise: (0.5 * sigma).ln(),
            },
            Preconditioning::Vp {
                beta_d,
                beta_min,
                m,
            } => {
                // t(σ) solves σ² = exp(β_d t²/2 + β_min t) − 1 for t.
                let t = ((beta_min * beta_min + 2.0 * beta_d * (sigma * sigma).ln_1p()).sqrt()
                    - beta_min)
                    / beta_d;
                Coefficients {
                    c_skip: 1.0,
                    c_out: -sigma,
                    c_in: 1.0 / (sigma * sigma + 1.0).sqrt(),
                    c_noise: (m as f64 - 1.0) * t,
                }
            }
        }
    }

    /// The loss weight λ(σ) of EDM's loss.py: 1 / c_out² for EDM (so every σ
    /// contributes a unit-variance target), 1 / σ² for VE and VP.
    pub fn loss_weight(&self, sigma: f64) -> f64 {
        match *self {
            Preconditioning::Edm { sigma_data } => {
                (sigma * sigma + sigma_data * sigma_data) / (sigma * sigma_data).powi(2)
            }
            Preconditioning::Ve | Preconditioning::Vp { .. } => 1.0 / (sigma * sigma),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Preconditioning::Edm { sigma_data } => format!("EDM (sigma_data = {sigma_data})"),
            Preconditioning::Ve => "VE".into(),
            Preconditioning::Vp {
                beta_d,
                beta_min,
                m,
            } => format!("VP (beta_d = {beta_d}, beta_min = {beta_min}, M = {m})"),
        }
    }
}

/// A raw network F(x_in; c_noise) on flattened rows.
pub trait Network: Send + Sync {
    /// F for a batch (batch x d) at one noise conditioning value.
    fn forward(&self, x_in: Tensor<2>, c_noise: f64) -> Tensor<2>;
    /// F for rows that are trajectories `first..` (see `Denoiser::denoise_rows`).
    fn forward_rows(&self, x_in: Tensor<2>, c_noise: f64, first: usize) -> Tensor<2> {
        let _ = first;
        self.forward(x_in, c_noise)
    }
    fn dim(&self) -> usize;
    fn device(&self) -> Device;
    fn describe(&self) -> String;
}

/// A network behind a preconditioning: a `Denoiser`.
pub struct Preconditioned<N: Network> {
    pub net: N,
    pub preconditioning: Preconditioning,
}

impl<N: Network> Denoiser for Preconditioned<N> {
    fn denoise(&self, x: Tensor<2>, sigma: f64) -> Tensor<2> {
        self.denoise_rows(x, sigma, 0)
    }

    fn denoise_rows(&self, x: Tensor<2>, sigma: f64, first: usize) -> Tensor<2> {
        let c = self.preconditioning.coefficients(sigma);
        let f = self
            .net
            .forward_rows(x.clone().mul_scalar(c.c_in), c.c_noise, first);
        x.mul_scalar(c.c_skip) + f.mul_scalar(c.c_out)
    }

    fn dim(&self) -> usize {
        self.net.dim()
    }

    fn device(&self) -> Device {
        self.net.device()
    }

    fn describe(&self) -> String {
        format!(
            "{} behind {} preconditioning",
            self.net.describe(),
            self.preconditioning.describe()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GaussianDenoiser;
    use geotraj_sampling::host;

    const SIGMAS: [f64; 7] = [0.002, 0.05, 0.5, 1.0, 3.0, 20.0, 80.0];

    #[test]
    fn edm_coefficients_match_table_1_and_give_unit_variances() {
        let sd = 0.5;
        let p = Preconditioning::Edm { sigma_data: sd };
        // At σ = σ_data: c_skip = 1/2, c_out = σ_data/√2, c_in = 1/(σ_data √2).
        let c = p.coefficients(sd);
        let r2 = 2f64.sqrt();
        assert!((c.c_skip - 0.5).abs() < 1e-15);
        assert!((c.c_out - sd / r2).abs() < 1e-15);
        assert!((c.c_in - 1.0 / (sd * r2)).abs() < 1e-15);
        assert!((c.c_noise - sd.ln() / 4.0).abs() < 1e-15);
        for s in SIGMAS {
            let c = p.coefficients(s);
            // For y with variance σ_data² and x = y + σ n: Var(c_in x) = 1, and
            // the target (y − c_skip x) / c_out has variance 1.
            let input = c.c_in * c.c_in * (sd * sd + s * s);
            let target = ((1.0 - c.c_skip).powi(2) * sd * sd + c.c_skip.powi(2) * s * s)
                / (c.c_out * c.c_out);
            assert!((input - 1.0).abs() < 1e-12, "σ = {s}: {input}");
            assert!((target - 1.0).abs() < 1e-12, "σ = {s}: {target}");
            // λ(σ) c_out² = 1: every σ weighs a unit-variance target equally.
            assert!((p.loss_weight(s) * c.c_out * c.c_out - 1.0).abs() < 1e-12);
        }
        // Small σ: D → x; large σ: D → 0 (the mean of centred data).
        let small = p.coefficients(1e-6);
        assert!((small.c_skip - 1.0).abs() < 1e-10 && small.c_out < 1e-5);
        let large = p.coefficients(1e4);
        assert!(large.c_skip < 1e-8 && (large.c_out - sd).abs() < 1e-6);
    }

    #[test]
    fn ve_and_vp_coefficients() {
        for s in SIGMAS {
            let ve = Preconditioning::Ve.coefficients(s);
            assert_eq!((ve.c_skip, ve.c_out, ve.c_in), (1.0, s, 1.0));
            assert!((ve.c_noise - (s / 2.0).ln()).abs() < 1e-14);
            assert!((Preconditioning::Ve.loss_weight(s) - 1.0 / (s * s)).abs() < 1e-9 / (s * s));

            let vp = Preconditioning::VP.coefficients(s);
            assert_eq!((vp.c_skip, vp.c_out), (1.0, -s));
            assert!((vp.c_in - 1.0 / (s * s + 1.0).sqrt()).abs() < 1e-15);
            // c_noise / (M − 1) is the VP time whose σ(t) is s.
            let t = vp.c_noise / 999.0;
            let back = (0.5 * 19.9 * t * t + 0.1 * t).exp_m1().sqrt();
            assert!(
                (back - s).abs() < 1e-10 * s.max(1.0),
                "σ = {s}: t = {t} gives {back}"
            );
        }
        // t = 1 is σ(1) = √(exp(β_d / 2 + β_min) − 1) ≈ 152, the last of M − 1 steps.
        let top = (0.5f64 * 19.9 + 0.1).exp_m1().sqrt();
        let c = Preconditioning::VP.coefficients(top).c_noise;
        assert!((c - 999.0).abs() < 1e-9, "{c}");
    }

    /// F(z; c) = W z + c b: linear in its input, with the noise level mixed in.
    struct Linear {
        w: Vec<f32>,
        b: Vec<f32>,
        d: usize,
    }

    impl Network for Linear {
        fn forward(&self, x_in: Tensor<2>, c_noise: f64) -> Tensor<2> {
            let [rows, d] = x_in.dims();
            let x = host::download(x_in);
            let mut out = vec![0f32; rows * d];
            for r in 0..rows {
                for i in 0..d {
                    let s: f32 = (0..d).map(|j| self.w[i * d + j] * x[r * d + j]).sum();
                    out[r * d + i] = s + c_noise as f32 * self.b[i];
                }
            }
            host::upload(&out, rows, d, &Device::flex())
        }
        fn dim(&self) -> usize {
            self.d
        }
        fn device(&self) -> Device {
            Device::flex()
        }
        fn describe(&self) -> String {
            "linear".into()
        }
    }

    #[test]
    fn wrapped_network_is_c_skip_x_plus_c_out_f() {
        let d = 3;
        let w: Vec<f32> = (0..d * d).map(|k| (k as f32 * 0.37).sin()).collect();
        let b = vec![0.3, -0.2, 0.1];
        let x = [0.4f32, -1.2, 2.0, 0.0, 0.5, -0.7];
        for p in [
            Preconditioning::Edm { sigma_data: 0.5 },
            Preconditioning::Ve,
            Preconditioning::VP,
        ] {
            let den = Preconditioned {
                net: Linear {
                    w: w.clone(),
                    b: b.clone(),
                    d,
                },
                preconditioning: p,
            };
            for s in SIGMAS {
                let got = host::download(den.denoise(host::upload(&x, 2, d, &Device::flex()), s));
                let c = p.coefficients(s);
                for r in 0..2 {
                    for i in 0..d {
                        let f: f64 = (0..d)
                            .map(|j| w[i * d + j] as f64 * c.c_in * x[r * d + j] as f64)
                            .sum::<f64>()
                            + c.c_noise * b[i] as f64;
                        let want = c.c_skip * x[r * d + i] as f64 + c.c_out * f;
                        let g = got[r * d + i] as f64;
                        assert!(
                            (g - want).abs() <= 1e-5 * want.abs().max(1.0),
                            "{p:?} σ = {s}: {g} vs {want}"
                        );
                    }
                }
            }
        }
    }

    /// The network that makes the wrapper exact for N(0, s² I):
    /// F(z) = (D(x) − c_skip x) / c_out with x = z / c_in.
    struct Ideal {
        std: f64,
        p: Preconditioning,
        d: usize,
    }

    impl Network for Ideal {
        fn forward(&self, x_in: Tensor<2>, c_noise: f64) -> Tensor<2> {
            // Recover σ from c_noise, as a trained network must.
            let sigma = match self.p {
                Preconditioning::Edm { .. } => (4.0 * c_noise).exp(),
                Preconditioning::Ve => 2.0 * c_noise.exp(),
                Preconditioning::Vp { .. } => {
                    let t = c_noise / 999.0;
                    (0.5 * 19.9 * t * t + 0.1 * t).exp_m1().sqrt()
                }
            };
            let c = self.p.coefficients(sigma);
            let a = self.std * self.std / (self.std * self.std + sigma * sigma);
            x_in.mul_scalar((a - c.c_skip) / (c.c_in * c.c_out))
        }
        fn dim(&self) -> usize {
            self.d
        }
        fn device(&self) -> Device {
            Device::flex()
        }
        fn describe(&self) -> String {
            "ideal".into()
        }
    }

    #[test]
    fn the_ideal_network_reproduces_the_exact_denoiser() {
        let (d, std) = (4, 0.7);
        let exact = GaussianDenoiser::new(vec![0.0; d], std, Device::flex());
        let x: Vec<f32> = (0..3 * d).map(|k| (k as f32 * 1.3).cos() * 5.0).collect();
        for p in [
            Preconditioning::Edm { sigma_data: 0.5 },
            Preconditioning::Ve,
            Preconditioning::VP,
        ] {
            let den = Preconditioned {
                net: Ideal { std, p, d },
                preconditioning: p,
            };
            for s in SIGMAS {
                let up = || host::upload(&x, 3, d, &Device::flex());
                let got = host::download(den.denoise(up(), s));
                let want = host::download(exact.denoise(up(), s));
                for (g, w) in got.iter().zip(&want) {
                    assert!(
                        (g - w).abs() <= 1e-4 * w.abs().max(1.0),
                        "{p:?} σ = {s}: {g} vs {w}"
                    );
                }
            }
        }
    }
}
