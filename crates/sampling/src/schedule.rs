//! Noise schedules: pure functions from (steps, sigma_min, sigma_max, params)
//! to a strictly decreasing list of sigmas, one more than the number of steps.

use std::fmt;

/// Where a schedule ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleEnd {
    /// `steps` sigmas from sigma_max down to sigma_min, then a last step to 0
    /// (EDM's convention: the final sample is D's fixed point at sigma = 0).
    Zero,
    /// `steps + 1` sigmas from sigma_max down to sigma_min; sampling stops at sigma_min.
    SigmaMin,
}

/// A named schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Karras et al. (EDM): uniform in sigma^(1/rho).
    Edm { rho: f64 },
    /// Uniform in log sigma (Permenter & Yuan's schedule).
    LogLinear,
    /// An explicit list, used as given (it must be valid).
    Explicit(Vec<f64>),
}

/// A schedule that cannot be built, with the parameter at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleError {
    pub key: &'static str,
    pub message: String,
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for ScheduleError {}

fn err(key: &'static str, message: impl Into<String>) -> ScheduleError {
    ScheduleError {
        key,
        message: message.into(),
    }
}

impl Schedule {
    /// The sigmas of a `steps`-step solve. `Explicit` ignores the other arguments.
    pub fn sigmas(
        &self,
        steps: usize,
        sigma_min: f64,
        sigma_max: f64,
        end: ScheduleEnd,
    ) -> Result<Vec<f64>, ScheduleError> {
        if let Schedule::Explicit(list) = self {
            validate(list)?;
            return Ok(list.clone());
        }
        if steps == 0 {
            return Err(err("steps", "must be at least 1"));
        }
        if !(sigma_min.is_finite() && sigma_min > 0.0) {
            return Err(err(
                "sigma_min",
                format!("must be positive, got {sigma_min}"),
            ));
        }
        if !(sigma_max.is_finite() && sigma_max > sigma_min) {
            return Err(err(
                "sigma_max",
                format!("must be greater than sigma_min ({sigma_min}), got {sigma_max}"),
            ));
        }
        // Number of points from sigma_max to sigma_min inclusive.
        let points = match end {
            ScheduleEnd::Zero => steps,
            ScheduleEnd::SigmaMin => steps + 1,
        };
        let frac = |i: usize| {
            if points == 1 {
                0.0
            } else {
                i as f64 / (points - 1) as f64
            }
        };
        let mut sigmas: Vec<f64> = match self {
            Schedule::Edm { rho } => {
                if !(rho.is_finite() && *rho > 0.0) {
                    return Err(err("rho", format!("must be positive, got {rho}")));
                }
                let (a, b) = (sigma_max.powf(1.0 / rho), sigma_min.powf(1.0 / rho));
                (0..points)
                    .map(|i| (a + frac(i) * (b - a)).powf(*rho))
                    .collect()
            }
            Schedule::LogLinear => {
                let (a, b) = (sigma_max.ln(), sigma_min.ln());
                (0..points).map(|i| (a + frac(i) * (b - a)).exp()).collect()
            }
            Schedule::Explicit(_) => unreachable!("handled above"),
        };
        // Pin the ends exactly: powf/exp round-trips are not exact.
        sigmas[0] = sigma_max;
        if points > 1 {
            sigmas[points - 1] = sigma_min;
        }
        if end == ScheduleEnd::Zero {
            sigmas.push(0.0);
        }
        validate(&sigmas)?;
        Ok(sigmas)
    }
}

/// A usable schedule: at least two points, finite, strictly decreasing,
/// positive except for an optional final 0.
pub fn validate(sigmas: &[f64]) -> Result<(), ScheduleError> {
    if sigmas.len() < 2 {
        return Err(err(
            "sigmas",
            format!("needs at least 2 values, got {}", sigmas.len()),
        ));
    }
    for (i, &s) in sigmas.iter().enumerate() {
        let last = i + 1 == sigmas.len();
        if !s.is_finite() || s < 0.0 || (s == 0.0 && !last) {
            return Err(err(
                "sigmas",
                format!("value {i} is {s}: expected positive and finite (only the last may be 0)"),
            ));
        }
        if i > 0 && s >= sigmas[i - 1] {
            return Err(err(
                "sigmas",
                format!(
                    "must be strictly decreasing: value {i} ({s}) is not below value {} ({})",
                    i - 1,
                    sigmas[i - 1]
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edm_matches_the_karras_formula() {
        // EDM generate.py: (smax^(1/rho) + i/(N-1) (smin^(1/rho) - smax^(1/rho)))^rho, then 0.
        let s = Schedule::Edm { rho: 7.0 }
            .sigmas(18, 0.002, 80.0, ScheduleEnd::Zero)
            .unwrap();
        assert_eq!(s.len(), 19);
        assert_eq!(s[0], 80.0);
        assert_eq!(s[17], 0.002);
        assert_eq!(s[18], 0.0);
        let a = 80f64.powf(1.0 / 7.0);
        let b = 0.002f64.powf(1.0 / 7.0);
        let s5 = (a + 5.0 / 17.0 * (b - a)).powi(7);
        assert!((s[5] - s5).abs() < 1e-12 * s5);
        // EDM's default 18-step schedule, evaluated independently in Python:
        // [80.0, 57.58598472124816, 40.78557379650796, 28.374584604156844, ...]
        for (got, want) in s.iter().zip([
            80.0,
            57.585_984_721_248_16,
            40.785_573_796_507_96,
            28.374_584_604_156_844,
        ]) {
            assert!((got - want).abs() < 1e-11 * want, "{got} vs {want}");
        }
    }

    #[test]
    fn log_linear_has_constant_ratio() {
        let s = Schedule::LogLinear
            .sigmas(10, 0.01, 10.0, ScheduleEnd::SigmaMin)
            .unwrap();
        assert_eq!(s.len(), 11);
        let r = s[1] / s[0];
        for w in s.windows(2) {
            assert!((w[1] / w[0] - r).abs() < 1e-12);
        }
        assert!((r - 1000f64.powf(-0.1)).abs() < 1e-12);
    }

    #[test]
    fn one_step_schedules() {
        let z = Schedule::Edm { rho: 7.0 }
            .sigmas(1, 0.002, 80.0, ScheduleEnd::Zero)
            .unwrap();
        assert_eq!(z, vec![80.0, 0.0]);
        let m = Schedule::LogLinear
            .sigmas(1, 0.002, 80.0, ScheduleEnd::SigmaMin)
            .unwrap();
        assert_eq!(m, vec![80.0, 0.002]);
    }

    #[test]
    fn bad_parameters_name_their_key() {
        let e = Schedule::LogLinear.sigmas(0, 0.1, 1.0, ScheduleEnd::Zero);
        assert_eq!(e.unwrap_err().key, "steps");
        let e = Schedule::LogLinear.sigmas(5, 1.0, 1.0, ScheduleEnd::Zero);
        assert_eq!(e.unwrap_err().key, "sigma_max");
        let e = Schedule::LogLinear.sigmas(5, 0.0, 1.0, ScheduleEnd::Zero);
        assert_eq!(e.unwrap_err().key, "sigma_min");
        let e = Schedule::Edm { rho: -1.0 }.sigmas(5, 0.1, 1.0, ScheduleEnd::Zero);
        assert_eq!(e.unwrap_err().key, "rho");
        for bad in [
            vec![1.0],
            vec![1.0, 2.0],
            vec![1.0, 0.0, 0.0],
            vec![2.0, f64::NAN],
        ] {
            let e = Schedule::Explicit(bad.clone()).sigmas(0, 0.0, 0.0, ScheduleEnd::Zero);
            assert_eq!(e.unwrap_err().key, "sigmas", "{bad:?}");
        }
        assert!(
            Schedule::Explicit(vec![3.0, 1.0, 0.0])
                .sigmas(0, 0.0, 0.0, ScheduleEnd::Zero)
                .is_ok()
        );
    }
}
