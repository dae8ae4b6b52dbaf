//! Noise schedules: pure functions from (steps, sigma_min, sigma_max, params)
//! to a strictly decreasing list of sigmas, one more than the number of steps.

use std::fmt;

/// Where a schedule ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "kebab-case")
)]
pub enum ScheduleEnd {
    /// `steps` sigmas from sigma_max down to sigma_min, then a last step to 0
    /// (EDM's convention: the final sample is D's fixed point at sigma = 0).
    #[default]
    Zero,
    /// `steps + 1` sigmas from sigma_max down to sigma_min; sampling stops at sigma_min.
    SigmaMin,
    /// As `SigmaMin`; the sampler then jumps to D(x; sigma_min) (Chen et al., Obs. 3).
    Jump,
}

impl ScheduleEnd {
    /// The names `parse` accepts, in declaration order.
    pub const NAMES: &[&str] = &["zero", "sigma-min", "jump"];

    /// Parses "zero", "sigma-min" or "jump".
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "zero" => Some(ScheduleEnd::Zero),
            "sigma-min" => Some(ScheduleEnd::SigmaMin),
            "jump" => Some(ScheduleEnd::Jump),
            _ => None,
        }
    }

    /// The kebab-case name, as `parse` reads it.
    pub fn name(&self) -> &'static str {
        match self {
            ScheduleEnd::Zero => "zero",
            ScheduleEnd::SigmaMin => "sigma-min",
            ScheduleEnd::Jump => "jump",
        }
    }

    /// Whether the sampler ends with a jump to D(x; sigma_min).
    pub fn final_jump(&self) -> bool {
        matches!(self, ScheduleEnd::Jump)
    }
}

/// A named schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Schedule {
    /// Karras et al. (EDM): uniform in sigma^(1/rho).
    Edm { rho: f64 },
    /// Uniform in log sigma (Permenter & Yuan's schedule).
    LogLinear,
    /// k-diffusion `get_sigmas_polyexponential`: log sigma interpolated along
    /// linspace(1, 0)^rho.
    Polyexponential { rho: f64 },
    /// diff-sampler `get_schedule('logsnr')`: uniform in -ln sigma (equal to `LogLinear`).
    LogSnr,
    /// diff-sampler `time_uniform` with rho = 1 (EDM generate.py's `vp` discretization):
    /// uniform t from 1 to 1e-3 on the VP-SDE fitted to sigma(1) = sigma_max and
    /// sigma(1e-3) = sigma_min.
    TimeUniform,
    /// The VP-SDE sigma(t) = sqrt(exp(beta_d t^2 / 2 + beta_min t) - 1) (Song et al.),
    /// uniform t between t(sigma_max) and t(sigma_min).
    VpContinuous { beta_d: f64, beta_min: f64 },
    /// Permenter & Yuan's "DDIM": smalldiffusion `ScheduleDDPM().sample_sigmas`, trailing
    /// spacing of the 1000-step linear-beta DDPM table from sigma ≈ 157.4. Ignores sigma_min/max.
    Ddim,
    /// Permenter & Yuan's "DDIM Offset": as `Ddim` on the table cut at the sigma closest
    /// to `sigma` (40 by default). Ignores sigma_min/max.
    DdimOffset { sigma: f64 },
    /// An explicit list, used as given (it must be valid).
    Explicit(Vec<f64>),
}

/// Linear betas of the discrete DDPM table (Ho et al.; smalldiffusion's defaults).
const DDPM_BETA_START: f64 = 1e-4;
const DDPM_BETA_END: f64 = 0.02;
const DDPM_STEPS: usize = 1000;
/// EDM's epsilon_s: the smallest time of the `TimeUniform` (VP) discretization.
const VP_EPSILON_S: f64 = 1e-3;

/// VP-SDE noise level sigma(t) = sqrt(exp(beta_d t^2 / 2 + beta_min t) - 1).
fn vp_sigma(beta_d: f64, beta_min: f64, t: f64) -> f64 {
    (0.5 * beta_d * t * t + beta_min * t).exp_m1().sqrt()
}

/// EDM generate.py's VP betas: sigma(1) = sigma_max and sigma(epsilon_s) = sigma_min.
fn vp_fit(sigma_min: f64, sigma_max: f64) -> (f64, f64) {
    let eps = VP_EPSILON_S;
    let l_min = (sigma_min * sigma_min).ln_1p();
    let l_max = (sigma_max * sigma_max).ln_1p();
    let beta_d = 2.0 * (l_min / eps - l_max) / (eps - 1.0);
    (beta_d, l_max - 0.5 * beta_d)
}

/// The discrete DDPM sigmas sigma_t = sqrt(1 / prod_{s<=t} (1 - beta_s) - 1) for
/// betas = linspace(1e-4, 0.02, 1000), increasing from ≈ 0.0100 to ≈ 157.4.
/// Computed in f64; smalldiffusion computes in float32, which differs by up to ~1e-4 relative.
pub fn ddpm_sigmas() -> Vec<f64> {
    let step = (DDPM_BETA_END - DDPM_BETA_START) / (DDPM_STEPS - 1) as f64;
    let mut alpha_bar = 1.0;
    (0..DDPM_STEPS)
        .map(|i| {
            alpha_bar *= 1.0 - (DDPM_BETA_START + i as f64 * step);
            (1.0 / alpha_bar - 1.0).sqrt()
        })
        .collect()
}

/// smalldiffusion `Schedule.sample_sigmas(k)` on an increasing `table`: indices
/// round(len (1 - j/k)) - 1 for j in 0..k ("trailing" spacing), then index 0;
/// numpy rounds half to even, and so does this.
fn sample_sigmas(table: &[f64], k: usize) -> Vec<f64> {
    let len = table.len() as f64;
    (0..k)
        .map(|j| (len * (1.0 - j as f64 / k as f64)).round_ties_even() as usize - 1)
        .chain([0])
        .map(|i| table[i])
        .collect()
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
    /// `VpContinuous` defaults (Song et al.'s VP-SDE).
    pub const VP_BETA_D: f64 = 19.9;
    pub const VP_BETA_MIN: f64 = 0.1;
    /// `DdimOffset` default starting sigma.
    pub const DDIM_OFFSET_SIGMA: f64 = 40.0;

    /// The kebab-case name of the variant.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The sigmas of a `steps`-step solve. `Explicit` ignores the other arguments;
    /// `Ddim` and `DdimOffset` ignore sigma_min and sigma_max.
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
        // Number of points from sigma_max to sigma_min inclusive.
        let points = match end {
            ScheduleEnd::Zero => steps,
            ScheduleEnd::SigmaMin | ScheduleEnd::Jump => steps + 1,
        };
        let mut sigmas = match self {
            Schedule::Ddim | Schedule::DdimOffset { .. } => self.discrete(points)?,
            _ => self.continuous(points, sigma_min, sigma_max)?,
        };
        if end == ScheduleEnd::Zero {
            sigmas.push(0.0);
        }
        validate(&sigmas)?;
        Ok(sigmas)
    }

    /// `points` sigmas from sigma_max to sigma_min, ends pinned exactly.
    fn continuous(
        &self,
        points: usize,
        sigma_min: f64,
        sigma_max: f64,
    ) -> Result<Vec<f64>, ScheduleError> {
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
        let frac = |i: usize| {
            if points == 1 {
                0.0
            } else {
                i as f64 / (points - 1) as f64
            }
        };
        // Interpolates a from i = 0 to b at i = points - 1.
        let lerp = |a: f64, b: f64| (0..points).map(move |i| a + frac(i) * (b - a));
        let positive = |key: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(err(key, format!("must be positive, got {v}")))
            }
        };
        let (ln_max, ln_min) = (sigma_max.ln(), sigma_min.ln());
        let mut sigmas: Vec<f64> = match *self {
            Schedule::Edm { rho } => {
                positive("rho", rho)?;
                let (a, b) = (sigma_max.powf(1.0 / rho), sigma_min.powf(1.0 / rho));
                lerp(a, b).map(|s| s.powf(rho)).collect()
            }
            Schedule::LogLinear => lerp(ln_max, ln_min).map(f64::exp).collect(),
            Schedule::Polyexponential { rho } => {
                positive("rho", rho)?;
                lerp(1.0, 0.0)
                    .map(|ramp| (ramp.powf(rho) * (ln_max - ln_min) + ln_min).exp())
                    .collect()
            }
            Schedule::LogSnr => lerp(-ln_max, -ln_min).map(|l| (-l).exp()).collect(),
            Schedule::TimeUniform => {
                let (beta_d, beta_min) = vp_fit(sigma_min, sigma_max);
                lerp(1.0, VP_EPSILON_S)
                    .map(|t| vp_sigma(beta_d, beta_min, t))
                    .collect()
            }
            Schedule::VpContinuous { beta_d, beta_min } => {
                if !(beta_d.is_finite() && beta_d >= 0.0) {
                    return Err(err("beta_d", format!("must be non-negative, got {beta_d}")));
                }
                positive("beta_min", beta_min)?;
                // t(sigma) = (sqrt(beta_min^2 + 2 beta_d L) - beta_min) / beta_d with
                // L = ln(sigma^2 + 1), rationalised so that beta_d = 0 works.
                let t = |s: f64| {
                    let l = (s * s).ln_1p();
                    2.0 * l / ((beta_min * beta_min + 2.0 * beta_d * l).sqrt() + beta_min)
                };
                lerp(t(sigma_max), t(sigma_min))
                    .map(|t| vp_sigma(beta_d, beta_min, t))
                    .collect()
            }
            Schedule::Ddim | Schedule::DdimOffset { .. } | Schedule::Explicit(_) => {
                unreachable!("handled by the caller")
            }
        };
        // Pin the ends exactly: powf/exp round-trips are not exact.
        sigmas[0] = sigma_max;
        if points > 1 {
            sigmas[points - 1] = sigma_min;
        }
        Ok(sigmas)
    }

    /// `points` sigmas of the discrete DDPM table: smalldiffusion's
    /// `sample_sigmas(points - 1)`, or just the top of the table for one point.
    fn discrete(&self, points: usize) -> Result<Vec<f64>, ScheduleError> {
        let mut table = ddpm_sigmas();
        if let Schedule::DdimOffset { sigma } = *self {
            if !(sigma.is_finite() && sigma > 0.0) {
                return Err(err("sigma", format!("must be positive, got {sigma}")));
            }
            let closest = (0..table.len())
                .min_by(|&i, &j| {
                    (table[i] - sigma)
                        .abs()
                        .total_cmp(&(table[j] - sigma).abs())
                })
                .expect("the table is not empty");
            table.truncate(closest + 1);
        }
        if points == 1 {
            return Ok(vec![table[table.len() - 1]]);
        }
        let too_many = || {
            let n = table.len();
            err(
                "steps",
                format!("too many for the discrete DDPM table of {n} sigmas"),
            )
        };
        // k >= len would round an index below 0; fewer can still repeat indices.
        if points > table.len() {
            return Err(too_many());
        }
        let sigmas = sample_sigmas(&table, points - 1);
        if sigmas.windows(2).any(|w| w[1] >= w[0]) {
            return Err(too_many());
        }
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
    use crate::ScheduleKind;

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

    fn assert_close(got: &[f64], want: &[f64], rel: f64) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= rel * w.abs(), "value {i}: {g} vs {w}");
        }
    }

    fn every_schedule() -> Vec<Schedule> {
        vec![
            Schedule::Edm { rho: 7.0 },
            Schedule::LogLinear,
            Schedule::Polyexponential { rho: 2.0 },
            Schedule::LogSnr,
            Schedule::TimeUniform,
            Schedule::VpContinuous {
                beta_d: Schedule::VP_BETA_D,
                beta_min: Schedule::VP_BETA_MIN,
            },
            Schedule::Ddim,
            Schedule::DdimOffset {
                sigma: Schedule::DDIM_OFFSET_SIGMA,
            },
        ]
    }

    // Reference values for 5 steps ending at sigma_min (6 points), sigma 80 -> 0.002,
    // evaluated in plain Python (math module) from the reference formulas, literally:
    //   poly:   k-diffusion get_sigmas_polyexponential, rho = 2
    //   logsnr: diff-sampler get_schedule('logsnr')
    //   tu:     EDM generate.py 'vp' (vp_beta_d, vp_beta_min, 1 + i/(n-1) (eps_s - 1), vp_sigma)
    //   vpc:    vp_sigma(19.9, 0.1) at linspace(vp_sigma_inv(80), vp_sigma_inv(0.002), 6)
    // The ends (pinned here) are left out.
    const POLY: [f64; 4] = [
        1.763390066951849,
        0.09073432078279318,
        0.010898320969292217,
        0.0030557118284467023,
    ];
    const LOGSNR: [f64; 4] = [
        9.608995471851447,
        1.1541599247257706,
        0.1386289686310293,
        0.01665106414803746,
    ];
    const TU: [f64; 4] = [
        16.50620633265823,
        4.7463379579046014,
        1.7541111733745074,
        0.6502159050842388,
    ];
    const VPC: [f64; 4] = [
        16.614348012588902,
        4.794943550694737,
        1.776869920142352,
        0.6643916836262539,
    ];

    #[test]
    fn continuous_schedules_match_their_references() {
        let vp = Schedule::VpContinuous {
            beta_d: 19.9,
            beta_min: 0.1,
        };
        for (schedule, want) in [
            (Schedule::Polyexponential { rho: 2.0 }, POLY),
            (Schedule::LogSnr, LOGSNR),
            (Schedule::TimeUniform, TU),
            (vp, VPC),
        ] {
            let s = schedule
                .sigmas(5, 0.002, 80.0, ScheduleEnd::SigmaMin)
                .unwrap();
            assert_eq!((s[0], s[5]), (80.0, 0.002), "{schedule:?}");
            assert_close(&s[1..5], &want, 1e-11);
        }
    }

    #[test]
    fn polyexponential_with_rho_one_is_log_linear() {
        let p = Schedule::Polyexponential { rho: 1.0 }.sigmas(9, 0.01, 50.0, ScheduleEnd::Zero);
        let l = Schedule::LogLinear.sigmas(9, 0.01, 50.0, ScheduleEnd::Zero);
        assert_close(&p.unwrap(), &l.unwrap(), 1e-12);
    }

    #[test]
    fn log_snr_equals_log_linear() {
        for (steps, smin, smax) in [(1, 0.002, 80.0), (10, 0.002, 80.0), (37, 0.02, 10.0)] {
            for end in [ScheduleEnd::Zero, ScheduleEnd::SigmaMin] {
                let a = Schedule::LogSnr.sigmas(steps, smin, smax, end).unwrap();
                let b = Schedule::LogLinear.sigmas(steps, smin, smax, end).unwrap();
                assert_close(&a, &b, 1e-12);
            }
        }
    }

    #[test]
    fn time_uniform_fits_both_ends() {
        // EDM generate.py for sigma 80 -> 0.002: vp_beta_d, vp_beta_min in Python with
        // math.log1p (np.log(s**2 + 1) loses ~1e-13 absolute in beta_min to cancellation).
        let (beta_d, beta_min) = vp_fit(0.002, 80.0);
        assert_close(&[beta_d], &[17.537956987271237], 1e-14);
        assert!((beta_min - -0.004768986493614236).abs() < 1e-15);
        for (smin, smax) in [(0.002, 80.0), (0.01, 157.0), (0.5, 3.0)] {
            let (beta_d, beta_min) = vp_fit(smin, smax);
            assert_close(&[vp_sigma(beta_d, beta_min, 1.0)], &[smax], 1e-12);
            assert_close(&[vp_sigma(beta_d, beta_min, VP_EPSILON_S)], &[smin], 1e-9);
        }
    }

    #[test]
    fn lengths_pinning_and_decrease_for_every_end() {
        for schedule in every_schedule() {
            let discrete = matches!(schedule, Schedule::Ddim | Schedule::DdimOffset { .. });
            for steps in [1, 2, 7, 20] {
                for end in [ScheduleEnd::Zero, ScheduleEnd::SigmaMin, ScheduleEnd::Jump] {
                    let s = schedule.sigmas(steps, 0.002, 80.0, end).unwrap();
                    let tag = format!("{schedule:?} {steps} {end:?}");
                    assert_eq!(s.len(), steps + 1, "{tag}");
                    assert!(s.windows(2).all(|w| w[1] < w[0]), "{tag}: {s:?}");
                    if end == ScheduleEnd::Zero {
                        assert_eq!(s[steps], 0.0, "{tag}");
                    }
                    let last = if end == ScheduleEnd::Zero && steps > 1 {
                        s[steps - 1]
                    } else {
                        s[steps]
                    };
                    if !discrete {
                        assert_eq!(s[0], 80.0, "{tag}");
                        if end != ScheduleEnd::Zero || steps > 1 {
                            assert_eq!(last, 0.002, "{tag}");
                        }
                    } else if end != ScheduleEnd::Zero || steps > 1 {
                        assert_eq!(last, ddpm_sigmas()[0], "{tag}");
                    }
                    if end == ScheduleEnd::Jump {
                        let m = schedule.sigmas(steps, 0.002, 80.0, ScheduleEnd::SigmaMin);
                        assert_eq!(s, m.unwrap(), "{tag}");
                    }
                }
            }
        }
    }

    #[test]
    fn ddpm_table_matches_python() {
        // smalldiffusion ScheduleDDPM() in plain-Python f64: betas 1e-4 + i (0.02 - 1e-4)/999,
        // running product of 1 - beta, sqrt(1/prod - 1).
        let t = ddpm_sigmas();
        assert_eq!(t.len(), 1000);
        assert_close(
            &[t[0], t[1], t[499], t[999]],
            &[
                0.01000050003749898,
                0.014830923708980388,
                3.424136619044041,
                157.40728081040757,
            ],
            1e-12,
        );
        assert!(t.windows(2).all(|w| w[1] > w[0]));
    }

    #[test]
    fn ddim_is_smalldiffusion_sample_sigmas() {
        // Python: [tab[i] for i in [round(1000 (1 - j/10)) - 1 for j in range(10)] + [0]]
        // = indices 999, 899, ..., 99, 0.
        let s = Schedule::Ddim
            .sigmas(10, 0.0, 0.0, ScheduleEnd::SigmaMin)
            .unwrap();
        let want = [
            157.40728081040757,
            60.271410067824064,
            25.52848138920485,
            11.939519622754792,
            6.135208879028882,
            3.424136619044041,
            2.030851234838281,
            1.233928115974517,
            0.7192788171500825,
            0.33882834898350755,
            0.01000050003749898,
        ];
        assert_close(&s, &want, 1e-12);
        assert!((s[0] - 157.4).abs() < 0.01);
        // Ending at 0: sample_sigmas(9) (indices 999, 888, ..., 110, 0), then 0.
        let z = Schedule::Ddim
            .sigmas(10, 0.002, 80.0, ScheduleEnd::Zero)
            .unwrap();
        let want = [
            157.40728081040757,
            54.567513088189685,
            21.417496171227604,
            9.488920229525215,
            4.703333948915076,
            2.5414813130318628,
            1.4551132702936442,
            0.8173133413675094,
            0.3768774534631877,
            0.01000050003749898,
            0.0,
        ];
        assert_close(&z, &want, 1e-12);
        // 16 steps hit ties (937.5, 812.5, 687.5, 562.5): Python's round, like numpy's,
        // goes to even, giving indices 937, 811, 687, 561.
        let s = Schedule::Ddim
            .sigmas(16, 0.0, 0.0, ScheduleEnd::SigmaMin)
            .unwrap();
        let t = ddpm_sigmas();
        assert_eq!([s[1], s[3], s[5], s[7]], [t[937], t[811], t[687], t[561]]);
        assert_close(&s[3..4], &[28.151324312838025], 1e-12);
    }

    #[test]
    fn ddim_offset_starts_at_the_sigma_closest_to_40() {
        let t = ddpm_sigmas();
        let s = Schedule::DdimOffset { sigma: 40.0 }
            .sigmas(10, 0.0, 0.0, ScheduleEnd::SigmaMin)
            .unwrap();
        assert!(t.iter().all(|x| (s[0] - 40.0).abs() <= (x - 40.0).abs()));
        // Python: t* = 853 (sigma 40.0937...); sample_sigmas(10) on tab[:854]
        // = indices 853, 768, 682, 597, 511, 426, 341, 255, 170, 84, 0.
        let want = [
            40.09373256098278,
            19.96051535905427,
            10.59348404057657,
            6.059479191373856,
            3.6585888162952984,
            2.328579591023898,
            1.5215713447662031,
            0.9838106815231121,
            0.5994440462234228,
            0.28795926486468953,
            0.01000050003749898,
        ];
        assert_close(&s, &want, 1e-12);
        assert_eq!(s[0], t[853]);
    }

    #[test]
    fn names_round_trip() {
        let mut names: Vec<&str> = every_schedule().iter().map(Schedule::name).collect();
        names.push(Schedule::Explicit(vec![1.0, 0.0]).name());
        // Every kind but GITS is a formula, in the same order.
        assert_eq!(names, ScheduleKind::NAMES[..ScheduleKind::NAMES.len() - 1]);
        for name in ScheduleEnd::NAMES {
            assert_eq!(ScheduleEnd::parse(name).unwrap().name(), *name);
        }
        assert_eq!(ScheduleEnd::parse("sigma_min"), None);
        assert!(ScheduleEnd::Jump.final_jump());
        assert!(!ScheduleEnd::Zero.final_jump());
        assert!(!ScheduleEnd::SigmaMin.final_jump());
    }

    #[test]
    fn new_schedules_name_their_bad_keys() {
        let cases = [
            (Schedule::Polyexponential { rho: 0.0 }, "rho"),
            (
                Schedule::VpContinuous {
                    beta_d: -1.0,
                    beta_min: 0.1,
                },
                "beta_d",
            ),
            (
                Schedule::VpContinuous {
                    beta_d: 19.9,
                    beta_min: 0.0,
                },
                "beta_min",
            ),
            (Schedule::DdimOffset { sigma: 0.0 }, "sigma"),
            (Schedule::DdimOffset { sigma: f64::NAN }, "sigma"),
        ];
        for (schedule, key) in cases {
            let e = schedule.sigmas(5, 0.002, 80.0, ScheduleEnd::Zero);
            assert_eq!(e.unwrap_err().key, key, "{schedule:?}");
        }
        // More steps than the discrete table can space out.
        for steps in [999, 1000, 5000] {
            let e = Schedule::Ddim.sigmas(steps, 0.002, 80.0, ScheduleEnd::SigmaMin);
            assert_eq!(e.unwrap_err().key, "steps", "{steps}");
        }
        // beta_d = 0 is allowed: sigma(t) = sqrt(exp(beta_min t) - 1).
        let vp0 = Schedule::VpContinuous {
            beta_d: 0.0,
            beta_min: 1.0,
        };
        assert!(vp0.sigmas(5, 0.002, 80.0, ScheduleEnd::Zero).is_ok());
    }
}
