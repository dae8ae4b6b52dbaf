//! The key numbers of a run beside the papers' values. Rows come from what
//! the run computed (so any config gets them); only the papers' side is
//! fixed here, from the last paragraph of the design catalogue.

use crate::config::{MeasuresConfig, QualityFeatures};
use crate::execute::case::Case;
use crate::execute::learned_vs_optimal::Gaps;
use crate::execute::model::Model;
use crate::execute::projection::ProjectionResult;
use crate::execute::sweep::SweepRow;
use crate::execute::{Outcome, Run};
use crate::outputs::learned::agreement;
use crate::outputs::style::fmt_num;
use crate::outputs::{ErrorCurve, error_curve};
use geotraj_metrics::nanmax;
use geotraj_records::Column;
use geotraj_sampling::Solver;
use serde::Serialize;

/// Chen et al. (A), CIFAR-10, EDM model, Euler 20 NFE (the authors'
/// notebook): peak deviation from the chord and the chord's length.
pub const CHEN_PEAK_DEVIATION: f64 = 14.0;
pub const CHEN_CHORD: f64 = 4430.0;
/// A: ‖x_t‖ ≈ t√d, so ‖x_0‖ / (σ_0 √d) ≈ 1.
pub const CHEN_NORM_RATIO: f64 = 1.0;
/// A: cos(ε, x − x_N) ≥ 0.996 at every step.
pub const CHEN_MIN_COS: f64 = 0.996;
/// A: the denoising trajectory's distance to its end falls monotonically.
pub const CHEN_DENOISED_MONOTONE: f64 = 1.0;
/// Permenter & Yuan (B), ideal-denoiser figure: relative error near 0 for
/// σ ≲ 2, peak 0.06–0.09 at σ ≈ 3–6.
pub const PY_SMALL_SIGMA: f64 = 2.0;
pub const PY_ERROR_PEAK: (f64, f64) = (0.06, 0.09);
pub const PY_ERROR_PEAK_SIGMA: (f64, f64) = (3.0, 6.0);
/// B: FID at N = 10 on CIFAR-10.
pub const PY_STEPS: usize = 10;
pub const PY_FID_GAMMA2: f64 = 3.8;
pub const PY_FID_DDIM: f64 = 16.9;

const CHEN: &str = "Chen et al., CIFAR-10, EDM, Euler 20 NFE";
const PY_ERROR: &str = "Permenter & Yuan, ideal-denoiser figure (CIFAR-10)";
const PY_FID: &str = "Permenter & Yuan, FID at N = 10 (CIFAR-10)";
const NONE: &str = "—";

/// One row of the key-number table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyNumber {
    pub measure: String,
    /// "data / sampler", a manifold, or a sweep cell.
    pub case: String,
    /// None where nothing finite was measured.
    pub value: Option<f64>,
    /// The value as shown (may add context, e.g. the σ of a peak).
    pub text: String,
    pub papers: String,
    pub source: String,
}

impl KeyNumber {
    pub(crate) fn new(
        measure: &str,
        case: String,
        value: f64,
        papers: String,
        source: &str,
    ) -> Self {
        Self {
            measure: measure.into(),
            case,
            value: value.is_finite().then_some(value),
            text: fmt_num(value),
            papers,
            source: source.into(),
        }
    }

    pub(crate) fn with_text(mut self, text: String) -> Self {
        self.text = text;
        self
    }
}

/// Every key number of a run: trajectory cases, then sweep, then
/// projection; the config's `headline` (a substring of a measure) first.
pub fn key_numbers(run: &Run) -> Vec<KeyNumber> {
    let config = &run.plan.config;
    let (mut rows, gaps) = match &run.outcome {
        Outcome::Trajectory(t) => (trajectory_rows(&t.cases, &config.measures), &t.gaps[..]),
        Outcome::Sweep(s) => (sweep_rows(&s.rows, s.features), &[][..]),
        Outcome::Projection(p) => (projection_rows(p), &[][..]),
    };
    rows.extend(learned_rows(run.model.as_ref(), gaps));
    if let Some(h) = &config.headline
        && let Some(i) = rows.iter().position(|r| r.measure.contains(h.as_str()))
    {
        let row = rows.remove(i);
        rows.insert(0, row);
    }
    rows
}

fn label(c: &Case) -> String {
    format!("{} / {}", c.data, c.sampler)
}

fn median(c: &Case, name: &str) -> f64 {
    c.measures.trajectory_median(name).unwrap_or(f64::NAN)
}

/// |x_0| / (σ_0 √d) from the step-0 medians of |x_n| and σ_n √d.
fn start_norm_ratio(c: &Case) -> f64 {
    let at0 = |name: &str| {
        c.measures
            .band(name, 0.5, 0.5)
            .and_then(|b| b.mid.first().copied())
            .unwrap_or(f64::NAN)
    };
    at0("norm_x") / at0("sigma_sqrt_d")
}

/// The smallest per-step median of cos(ε_n, x_n − x_N), over steps where it is defined.
fn min_cos(c: &Case) -> f64 {
    c.measures
        .band("cos_eps_to_end", 0.5, 0.5)
        .map_or(f64::NAN, |b| {
            b.mid
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .fold(f64::NAN, f64::min)
        })
}

fn trajectory_rows(cases: &[Case], mc: &MeasuresConfig) -> Vec<KeyNumber> {
    let mut rows = Vec::new();
    let chen_rel = CHEN_PEAK_DEVIATION / CHEN_CHORD;
    let each = |rows: &mut Vec<KeyNumber>, f: &dyn Fn(&Case) -> KeyNumber| {
        rows.extend(cases.iter().map(f));
    };
    each(&mut rows, &|c| {
        KeyNumber::new(
            "max deviation / chord (median)",
            label(c),
            median(c, "max_rel_deviation"),
            format!(
                "≈ {} ({CHEN_PEAK_DEVIATION} / {CHEN_CHORD})",
                fmt_num(chen_rel)
            ),
            CHEN,
        )
    });
    each(&mut rows, &|c| {
        KeyNumber::new(
            "|x_0| / (σ_0 √d) (medians)",
            label(c),
            start_norm_ratio(c),
            format!("≈ {CHEN_NORM_RATIO} (‖x_t‖ ≈ t√d)"),
            CHEN,
        )
    });
    each(&mut rows, &|c| {
        KeyNumber::new(
            "smallest per-step median cos(ε_n, x_n − x_N)",
            label(c),
            min_cos(c),
            format!("≥ {CHEN_MIN_COS}"),
            CHEN,
        )
    });
    each(&mut rows, &|c| {
        KeyNumber::new(
            "share of steps where |D(x_n) − D_last| does not grow (median)",
            label(c),
            median(c, "denoised_monotone_share"),
            format!("{CHEN_DENOISED_MONOTONE} (falls monotonically)"),
            CHEN,
        )
    });
    each(&mut rows, &|c| {
        KeyNumber::new(
            "share of steps where |x_n − x_N| does not grow (median)",
            label(c),
            median(c, "monotone_share"),
            NONE.into(),
            NONE,
        )
    });
    if mc.lowdim {
        each(&mut rows, &|c| {
            KeyNumber::new(
                "explained variance of the top 2 components (median)",
                label(c),
                median(c, "explained_2"),
                "trajectories lie in a 2–3-D subspace".into(),
                "qualitative (AMED Fig. 4 / GITS)",
            )
        });
    }
    if mc.distance {
        for c in cases {
            let Some(ErrorCurve {
                median,
                peak_step,
                peak,
            }) = error_curve(c)
            else {
                continue;
            };
            let sigmas = c.sigmas();
            let at = sigmas.get(peak_step).copied().unwrap_or(f64::NAN);
            let text = if peak.is_finite() {
                format!("{} at σ {}", fmt_num(peak), fmt_num(at))
            } else {
                fmt_num(peak)
            };
            rows.push(
                KeyNumber::new(
                    "peak median |D(x_n) − proj_K(x_n)| / dist_K(x_n)",
                    label(c),
                    peak,
                    format!(
                        "{}–{} at σ ≈ {}–{}",
                        PY_ERROR_PEAK.0,
                        PY_ERROR_PEAK.1,
                        PY_ERROR_PEAK_SIGMA.0,
                        PY_ERROR_PEAK_SIGMA.1
                    ),
                    PY_ERROR,
                )
                .with_text(text),
            );
            let small: Vec<f64> = median
                .iter()
                .zip(sigmas)
                .filter(|&(_, &s)| s <= PY_SMALL_SIGMA)
                .map(|(&v, _)| v)
                .collect();
            rows.push(KeyNumber::new(
                "largest median |D(x_n) − proj_K(x_n)| / dist_K(x_n) at σ ≤ 2",
                label(c),
                nanmax(&small),
                "≈ 0".into(),
                PY_ERROR,
            ));
        }
    }
    for c in cases {
        let Some(q) = &c.jump_quality else { continue };
        let total = q.nfe_state.last().copied().unwrap_or(0);
        let (value, text) = match q.early(1.1) {
            Some((nfe, _)) => (nfe as f64, format!("{nfe} of {total}")),
            None => (f64::NAN, format!("not before the end ({total})")),
        };
        rows.push(
            KeyNumber::new(
                "NFE at which FD(D(x_n)) is within 10 % of FD(x_N)",
                label(c),
                value,
                "well before the last step: D(x_n) converges faster".into(),
                "qualitative (Chen et al., Obs. 3)",
            )
            .with_text(text),
        );
    }
    if mc.identity > 0 {
        for c in cases {
            if let Some(e) = c.measures.trajectory_values("max_identity_error") {
                rows.push(KeyNumber::new(
                    "largest mean-shift identity error",
                    label(c),
                    nanmax(e),
                    "0 (an exact identity)".into(),
                    "Chen et al., theorem: optimal sampler = annealed mean shift",
                ));
            }
        }
    }
    rows
}

/// The sweep's name for a sampler ("ddim", "ddpm"), or the solver with its
/// parameters where the name is the solver's own.
fn sampler_name(r: &SweepRow) -> String {
    if r.cell.sampler == r.cell.solver.name() {
        r.cell.solver.describe()
    } else {
        r.cell.sampler.clone()
    }
}

/// DDIM in any of its spellings: Euler, or gradient estimation with γ = 1, μ = 0.
fn is_ddim(r: &SweepRow) -> bool {
    matches!(r.cell.solver, Solver::Euler)
        || matches!(r.cell.solver, Solver::GradientEstimation { gamma, mu } if gamma == 1.0 && mu == 0.0)
}

/// Permenter & Yuan's sampler as they report it: γ = 2, no fresh noise.
fn is_gamma2(r: &SweepRow) -> bool {
    matches!(r.cell.solver, Solver::GradientEstimation { gamma, mu } if gamma == 2.0 && mu == 0.0)
}

/// The sweep's FD at N = 10 (or the steps nearest 10 where it has none)
/// per data set, with B's FIDs beside; the DDIM / γ = 2 ratio; and GITS
/// against the EDM schedule.
fn sweep_rows(rows: &[SweepRow], features: QualityFeatures) -> Vec<KeyNumber> {
    let fd = features.label();
    // FID values compare with the papers' as they are; other features' only
    // through ratios (and their FIDs are marked as such beside them).
    // FID values sit beside the papers' FIDs; a Fréchet distance in other
    // features compares with them only as a ratio.
    let values_compare = features == QualityFeatures::Inception;
    // Ratios first (they, not FD values, compare with the papers; the first
    // row is the index's headline), then GITS against EDM, then each FD.
    let (mut ratios, mut gits, mut fds) = (Vec::new(), Vec::new(), Vec::new());
    let mut datas: Vec<&str> = Vec::new();
    for r in rows {
        if !datas.contains(&r.data.as_str()) {
            datas.push(&r.data);
        }
    }
    let schedules = |rs: &[&SweepRow]| {
        let mut v: Vec<&'static str> = Vec::new();
        for r in rs {
            if !v.contains(&r.cell.schedule.name()) {
                v.push(r.cell.schedule.name());
            }
        }
        v
    };
    let many_schedules = schedules(&rows.iter().collect::<Vec<_>>()).len() > 1;
    // FD values stand alone only where nothing better compares: beside B's
    // FIDs when the sweep has their γ = 2 sampler (then only the DDIM and
    // γ = 2 cells), and not at all when the GITS ratios below carry them.
    let has_gamma2 = rows.iter().any(is_gamma2);
    let has_gits = rows.iter().any(|r| r.cell.schedule.name() == "gits");
    for data in datas {
        let of: Vec<&SweepRow> = rows.iter().filter(|r| r.data == data).collect();
        let Some(steps) = of
            .iter()
            .map(|r| r.cell.steps)
            .min_by_key(|&s| (s.abs_diff(PY_STEPS), s))
        else {
            continue;
        };
        let at: Vec<&SweepRow> = of.into_iter().filter(|r| r.cell.steps == steps).collect();
        let paper = steps == PY_STEPS;
        let case = |r: &SweepRow| {
            let mut s = format!("{data} / {}", sampler_name(r));
            if many_schedules {
                s += &format!(" / {}", r.cell.schedule.name());
            }
            s
        };
        for schedule in schedules(&at) {
            let on: Vec<&&SweepRow> = at
                .iter()
                .filter(|r| r.cell.schedule.name() == schedule)
                .collect();
            let ddim = on.iter().find(|r| is_ddim(r));
            let g2 = on.iter().find(|r| is_gamma2(r));
            if let (Some(a), Some(b)) = (ddim, g2) {
                let mut case = format!("{data} / {} vs {}", sampler_name(a), sampler_name(b));
                if many_schedules {
                    case += &format!(" / {schedule}");
                }
                ratios.push(KeyNumber::new(
                    &format!("{fd}(DDIM) / {fd}(γ = 2) at N = {steps}"),
                    case,
                    a.fd / b.fd,
                    if paper {
                        format!(
                            "≈ {} ({PY_FID_DDIM} / {PY_FID_GAMMA2})",
                            fmt_num(PY_FID_DDIM / PY_FID_GAMMA2)
                        )
                    } else {
                        NONE.into()
                    },
                    if paper { PY_FID } else { NONE },
                ));
            }
        }
        for r in at
            .iter()
            .filter(|r| !has_gits && (!has_gamma2 || is_gamma2(r) || is_ddim(r)))
        {
            let (papers, source) = match (paper && values_compare, is_gamma2(r), is_ddim(r)) {
                (true, true, _) => (PY_FID_GAMMA2.to_string(), PY_FID),
                (true, _, true) => (PY_FID_DDIM.to_string(), PY_FID),
                _ => (NONE.to_string(), NONE),
            };
            fds.push(KeyNumber::new(
                &format!("{fd} at N = {steps}"),
                case(r),
                r.fd,
                papers,
                source,
            ));
        }
    }
    // Matched by name so this compiles before and after ScheduleKind has Gits.
    for g in rows.iter().filter(|r| r.cell.schedule.name() == "gits") {
        let edm = rows.iter().find(|r| {
            r.data == g.data
                && r.cell.schedule.name() == "edm"
                && r.cell.steps == g.cell.steps
                && r.cell.solver == g.cell.solver
        });
        if let Some(e) = edm {
            let ratio = g.fd / e.fd;
            gits.push(
                KeyNumber::new(
                    &format!("{fd} with GITS / {fd} with the EDM schedule"),
                    format!("{} / {} / N = {}", g.data, sampler_name(g), g.cell.steps),
                    ratio,
                    "GITS beats the EDM schedule at 5–10 NFE (ratio < 1)".into(),
                    "qualitative (GITS)",
                )
                .with_text(format!(
                    "{} ({} vs {})",
                    fmt_num(ratio),
                    fmt_num(g.fd),
                    fmt_num(e.fd)
                )),
            );
        }
    }
    ratios.extend(gits);
    ratios.extend(fds);
    ratios
}

/// Per manifold: the mean square of |proj_M(x_σ) − x_0| / (σ√k) over the
/// points at the smallest σ (1 in expectation while σ ≪ reach).
fn projection_rows(p: &ProjectionResult) -> Vec<KeyNumber> {
    let t = &p.table;
    let (Some(Column::Str(data)), Some(Column::F64(sigma)), Some(Column::F64(ratio))) = (
        t.column("data"),
        t.column("sigma"),
        t.column("manifold_ratio"),
    ) else {
        return Vec::new();
    };
    p.curves
        .iter()
        .map(|c| {
            let s0 = c.sigmas.first().copied().unwrap_or(f64::NAN);
            let sq: Vec<f64> = (0..t.len())
                .filter(|&i| data[i] == c.data && sigma[i] == s0 && ratio[i].is_finite())
                .map(|i| ratio[i] * ratio[i])
                .collect();
            let ms = if sq.is_empty() {
                f64::NAN
            } else {
                sq.iter().sum::<f64>() / sq.len() as f64
            };
            KeyNumber::new(
                &format!(
                    "mean square of |proj_M(x_σ) − x_0| / (σ√k) at σ = {}",
                    fmt_num(s0)
                ),
                format!(
                    "{} (k = {}, reach {})",
                    c.data,
                    c.k,
                    if c.reach.is_finite() {
                        fmt_num(c.reach)
                    } else {
                        "∞".into()
                    }
                ),
                ms,
                "≈ 1 while σ ≪ reach (denoising ≈ projection)".into(),
                "qualitative (Permenter & Yuan)",
            )
        })
        .collect()
}

/// The network's final loss, and where the learned and optimal denoisers agree best.
fn learned_rows(model: Option<&Model>, gaps: &[Gaps]) -> Vec<KeyNumber> {
    let mut rows = Vec::new();
    if let Some(m) = model
        && let Some(t) = &m.training
    {
        let last = t.losses.last().map_or(f64::NAN, |p| p.loss);
        rows.push(
            KeyNumber::new(
                "final training loss",
                format!("{} / {} steps", m.data, t.steps),
                last,
                "—".into(),
                "EDM loss, mean per element",
            )
            .with_text(format!("{} ({:.1} min)", fmt_num(last), t.seconds / 60.0)),
        );
    }
    for g in gaps {
        let ((sigma, best), first, last) = agreement(g);
        rows.push(
            KeyNumber::new(
                "sigma where D_theta and D* agree best (median |D_theta(x_n) - D*(x_n)|)",
                g.sampler.clone(),
                sigma,
                "agree at large sigma, part in the middle".into(),
                "qualitative (Chen et al., Obs. 4)",
            )
            .with_text(format!(
                "{} ({}; {} at sigma_max, {} at sigma_min)",
                fmt_num(sigma),
                fmt_num(best),
                fmt_num(first),
                fmt_num(last)
            )),
        );
    }
    rows
}
