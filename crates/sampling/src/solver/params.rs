//! Building a solver from its name and optional parameters, with every
//! error naming the parameter at fault.

use super::kind::Solver;
use std::fmt;

/// The optional parameters a config may give a solver. A parameter that the
/// named solver does not use is an error, so that a typo never goes unnoticed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SolverParams {
    pub order: Option<usize>,
    pub gamma: Option<f64>,
    pub mu: Option<f64>,
    pub s_churn: Option<f64>,
    pub s_min: Option<f64>,
    pub s_max: Option<f64>,
    pub s_noise: Option<f64>,
}

/// A solver that cannot be built: the key (a `SolverParams` field or
/// "solver") and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct SolverParamError {
    pub key: &'static str,
    pub message: String,
}

impl fmt::Display for SolverParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for SolverParamError {}

fn err(key: &'static str, message: impl Into<String>) -> SolverParamError {
    SolverParamError {
        key,
        message: message.into(),
    }
}

impl SolverParams {
    /// (key, is set) for every parameter, in declaration order.
    fn given(&self) -> [(&'static str, bool); 7] {
        [
            ("order", self.order.is_some()),
            ("gamma", self.gamma.is_some()),
            ("mu", self.mu.is_some()),
            ("s_churn", self.s_churn.is_some()),
            ("s_min", self.s_min.is_some()),
            ("s_max", self.s_max.is_some()),
            ("s_noise", self.s_noise.is_some()),
        ]
    }
}

fn order(p: &SolverParams, default: usize, max: usize) -> Result<usize, SolverParamError> {
    let o = p.order.unwrap_or(default);
    if (1..=max).contains(&o) {
        Ok(o)
    } else {
        Err(err("order", format!("must be 1 to {max}, got {o}")))
    }
}

fn finite(key: &'static str, v: f64, ok: bool, expected: &str) -> Result<f64, SolverParamError> {
    if v.is_finite() && ok {
        Ok(v)
    } else {
        Err(err(key, format!("expected {expected}, got {v}")))
    }
}

impl Solver {
    /// Every parameter this solver runs with (defaults included), the
    /// inverse of `Solver::new`: `Solver::new(s.name(), &s.params()) == s`.
    pub fn params(&self) -> SolverParams {
        let none = SolverParams::default();
        match *self {
            Solver::Ipndm { order }
            | Solver::Deis { order }
            | Solver::UniPc { order }
            | Solver::Lms { order } => SolverParams {
                order: Some(order),
                ..none
            },
            Solver::GradientEstimation { gamma, mu } => SolverParams {
                gamma: Some(gamma),
                mu: Some(mu),
                ..none
            },
            Solver::EdmStochastic {
                churn,
                s_min,
                s_max,
                s_noise,
            } => SolverParams {
                s_churn: Some(churn),
                s_min: Some(s_min),
                s_max: Some(s_max),
                s_noise: Some(s_noise),
                ..none
            },
            Solver::Euler | Solver::Heun | Solver::Dpm2 | Solver::DpmPp2m => none,
        }
    }

    /// The solver called `name` (one of `Solver::NAMES`) with `params`;
    /// unset parameters take the reference implementation's defaults.
    pub fn new(name: &str, p: &SolverParams) -> Result<Solver, SolverParamError> {
        let (solver, uses): (Solver, &[&str]) = match name {
            "euler" | "ddim" => (Solver::Euler, &[]),
            "heun" => (Solver::Heun, &[]),
            "dpm2" => (Solver::Dpm2, &[]),
            "dpm++2m" => (Solver::DpmPp2m, &[]),
            "ipndm" => (
                Solver::Ipndm {
                    order: order(p, 4, 4)?,
                },
                &["order"],
            ),
            "deis" => (
                Solver::Deis {
                    order: order(p, 3, 4)?,
                },
                &["order"],
            ),
            "unipc" => (
                Solver::UniPc {
                    order: order(p, 3, 3)?,
                },
                &["order"],
            ),
            "lms" => (
                Solver::Lms {
                    order: order(p, 4, 4)?,
                },
                &["order"],
            ),
            "gradient-estimation" | "ddpm" => {
                let (g0, m0) = if name == "ddpm" {
                    (1.0, 0.5)
                } else {
                    (2.0, 0.0)
                };
                let gamma = p.gamma.unwrap_or(g0);
                let mu = p.mu.unwrap_or(m0);
                (
                    Solver::GradientEstimation {
                        gamma: finite("gamma", gamma, true, "a finite number")?,
                        mu: finite("mu", mu, (0.0..1.0).contains(&mu), "0 <= mu < 1")?,
                    },
                    &["gamma", "mu"],
                )
            }
            "edm-stochastic" => {
                // EDM's settings for ImageNet-64 (Karras et al., Table 5).
                let churn = p.s_churn.unwrap_or(40.0);
                let s_min = p.s_min.unwrap_or(0.05);
                let s_max = p.s_max.unwrap_or(50.0);
                let s_noise = p.s_noise.unwrap_or(1.003);
                (
                    Solver::EdmStochastic {
                        churn: finite("s_churn", churn, churn >= 0.0, "a non-negative number")?,
                        s_min: finite("s_min", s_min, s_min >= 0.0, "a non-negative number")?,
                        s_max: if s_max == f64::INFINITY {
                            s_max
                        } else {
                            finite("s_max", s_max, s_max >= s_min, "a number >= s_min")?
                        },
                        s_noise: finite(
                            "s_noise",
                            s_noise,
                            s_noise >= 0.0,
                            "a non-negative number",
                        )?,
                    },
                    &["s_churn", "s_min", "s_max", "s_noise"],
                )
            }
            _ => {
                return Err(err(
                    "solver",
                    format!(
                        "unknown solver {name:?}, expected one of {}",
                        Solver::NAMES.join(", ")
                    ),
                ));
            }
        };
        if let Some((key, _)) = p
            .given()
            .into_iter()
            .find(|(k, set)| *set && !uses.contains(k))
        {
            return Err(err(key, format!("not used by solver {name:?}")));
        }
        Ok(solver)
    }

    /// `Solver::new` with default parameters (`None` for an unknown name).
    pub fn parse(name: &str) -> Option<Solver> {
        Solver::new(name, &SolverParams::default()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_the_inverse_of_new() {
        let given = SolverParams {
            gamma: Some(1.5),
            mu: Some(0.25),
            ..Default::default()
        };
        for name in Solver::NAMES {
            let s = Solver::new(name, &SolverParams::default()).unwrap();
            assert_eq!(Solver::new(s.name(), &s.params()), Ok(s), "{name}");
        }
        let ge = Solver::new("gradient-estimation", &given).unwrap();
        assert_eq!((ge.params().gamma, ge.params().mu), (Some(1.5), Some(0.25)));
        assert_eq!(Solver::Heun.params(), SolverParams::default());
    }

    #[test]
    fn names_build_with_defaults() {
        for name in Solver::NAMES {
            assert!(Solver::parse(name).is_some(), "{name}");
        }
        assert_eq!(Solver::parse("ddim"), Some(Solver::Euler));
        assert_eq!(
            Solver::parse("ddpm"),
            Some(Solver::GradientEstimation {
                gamma: 1.0,
                mu: 0.5
            })
        );
        assert_eq!(Solver::parse("ipndm"), Some(Solver::Ipndm { order: 4 }));
    }

    #[test]
    fn bad_parameters_name_their_key() {
        let e = |name: &str, p: SolverParams| Solver::new(name, &p).unwrap_err().key;
        assert_eq!(e("rk4", SolverParams::default()), "solver");
        let p = SolverParams {
            order: Some(5),
            ..Default::default()
        };
        assert_eq!(e("ipndm", p), "order");
        assert_eq!(e("heun", p), "order");
        let p = SolverParams {
            mu: Some(1.0),
            ..Default::default()
        };
        assert_eq!(e("gradient-estimation", p), "mu");
        let p = SolverParams {
            gamma: Some(f64::NAN),
            ..Default::default()
        };
        assert_eq!(e("ddpm", p), "gamma");
        let p = SolverParams {
            s_churn: Some(-1.0),
            ..Default::default()
        };
        assert_eq!(e("edm-stochastic", p), "s_churn");
        assert_eq!(e("euler", p), "s_churn");
    }
}
