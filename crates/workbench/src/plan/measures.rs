//! The rules of `[quality]`, `[measures]`, `[projection]` and `[[figure]]`:
//! each measure and figure fits the run kind and has what it is drawn from.

use super::keys::bad;
use crate::config::{
    Config, ConfigError, DataSource, DenoiserKind, FigureConfig, FigureKind, MeasuresConfig,
    ProjectionConfig, QualityConfig, QualityFeatures, SWEEP_MEASURES,
};

pub(super) fn quality(q: &QualityConfig) -> Result<(), ConfigError> {
    if q.pca_dim == 0 {
        return Err(bad("quality.pca_dim", "must be at least 1"));
    }
    if q.projections == 0 {
        return Err(bad("quality.projections", "must be at least 1"));
    }
    for (key, v) in [("quality.rtol", q.rtol), ("quality.atol", q.atol)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(bad(key, format!("must be positive, got {v}")));
        }
    }
    match q.features {
        QualityFeatures::Inception if q.inception_weights.is_none() => Err(bad(
            "quality.inception_weights",
            "features = \"inception\" needs pytorch-fid's weights file (pt_inception-2015-12-05-6726825d.pth; the README's FID section says where to get it)",
        )),
        QualityFeatures::Pca | QualityFeatures::Classifier
            if q.inception_weights.is_some() || q.reference_stats.is_some() =>
        {
            let key = if q.inception_weights.is_some() {
                "quality.inception_weights"
            } else {
                "quality.reference_stats"
            };
            Err(bad(key, "only used with features = \"inception\""))
        }
        _ => Ok(()),
    }
}

pub(super) fn measures(m: &MeasuresConfig, config: &Config) -> Result<(), ConfigError> {
    if !(m.memorised_ratio > 0.0 && m.memorised_ratio <= 1.0) {
        return Err(bad(
            "measures.memorised_ratio",
            format!("expected a ratio in (0, 1], got {}", m.memorised_ratio),
        ));
    }
    if m.jump && !m.distance {
        return Err(bad("measures.jump", "needs measures.distance = true"));
    }
    if m.jump_quality && config.trajectories < 2 {
        return Err(bad(
            "measures.jump_quality",
            "a Frechet distance needs at least 2 trajectories",
        ));
    }
    if m.identity > 0 {
        if let Some(i) = config
            .data
            .iter()
            .position(|d| d.denoiser_kind(&config.denoiser) != DenoiserKind::Optimal)
        {
            return Err(bad(
                "measures.identity",
                format!(
                    "the mean-shift identity holds for the optimal denoiser, but data[{i}] uses another"
                ),
            ));
        }
        if let Some(i) = config.sampler.iter().position(|s| s.solver != "euler") {
            return Err(bad(
                "measures.identity",
                format!(
                    "the identity is about Euler steps, but sampler[{i}] is {:?}",
                    config.sampler[i].solver
                ),
            ));
        }
    }
    if m.learned_vs_optimal && super::learned::pair(config).is_none() {
        return Err(bad(
            "measures.learned_vs_optimal",
            "needs two [[data]] tables with the same source, one with denoiser = \"learned\" and one with denoiser = \"optimal\"",
        ));
    }
    if (m.distance || m.identity > 0 || m.lowdim || m.learned_vs_optimal) && config.sweep.is_some()
    {
        return Err(bad(
            "measures",
            "data measures are for trajectory runs, not sweeps",
        ));
    }
    Ok(())
}

pub(super) fn projection(p: &ProjectionConfig, config: &Config) -> Result<(), ConfigError> {
    if p.points == 0 {
        return Err(bad("projection.points", "must be at least 1"));
    }
    if p.sigmas < 2 {
        return Err(bad("projection.sigmas", "at least 2"));
    }
    if !(p.sigma_min > 0.0 && p.sigma_max > p.sigma_min && p.sigma_max.is_finite()) {
        return Err(bad(
            "projection.sigma_min, sigma_max",
            format!(
                "expected 0 < min < max, got {} and {}",
                p.sigma_min, p.sigma_max
            ),
        ));
    }
    if let Some(i) = config.data.iter().position(|d| {
        !matches!(
            d.source,
            DataSource::Sphere { .. } | DataSource::Torus { .. } | DataSource::Subspace { .. }
        )
    }) {
        return Err(bad(
            format!("data[{i}].kind"),
            format!(
                "a [projection] run needs manifolds (sphere, torus, subspace), got {:?}",
                config.data[i].source.kind()
            ),
        ));
    }
    if !config.sampler.is_empty() || config.sweep.is_some() {
        return Err(bad(
            "projection",
            "a [projection] run takes no [[sampler]] or [sweep]",
        ));
    }
    if !config.figure.is_empty() {
        return Err(bad("figure", "a [projection] run draws its own figures"));
    }
    if config.measures != MeasuresConfig::default() {
        return Err(bad(
            "measures",
            "trajectory measures do not apply to a [projection] run",
        ));
    }
    Ok(())
}

pub(super) fn figures(config: &Config) -> Result<(), ConfigError> {
    for (i, f) in config.figure.iter().enumerate() {
        figure(f, i, config.sweep.is_some())?;
        let key = format!("figure[{i}].kind");
        if f.kind.needs_distance() && !config.measures.distance {
            return Err(bad(
                key,
                format!("{:?} needs measures.distance = true", f.kind),
            ));
        }
        if f.kind == FigureKind::LowDim && !config.measures.lowdim {
            return Err(bad(key, "\"low-dim\" needs measures.lowdim = true"));
        }
        if f.kind == FigureKind::Identity && config.measures.identity == 0 {
            return Err(bad(key, "\"identity\" needs measures.identity > 0"));
        }
    }
    Ok(())
}

fn figure(f: &FigureConfig, i: usize, sweep: bool) -> Result<(), ConfigError> {
    let needs_sweep = matches!(
        f.kind,
        FigureKind::ErrorVsNfe
            | FigureKind::QualityVsNfe
            | FigureKind::QualityVsGamma
            | FigureKind::ScheduleSigmas
    );
    if needs_sweep != sweep {
        return Err(bad(
            format!("figure[{i}].kind"),
            format!(
                "{:?} is a figure of {} run",
                f.kind,
                if needs_sweep {
                    "a [sweep]"
                } else {
                    "a trajectory ([[sampler]])"
                }
            ),
        ));
    }
    if let Some(m) = &f.measure
        && !SWEEP_MEASURES.contains(&m.as_str())
    {
        return Err(bad(
            format!("figure[{i}].measure"),
            format!(
                "unknown measure {m:?}, expected one of {}",
                SWEEP_MEASURES.join(", ")
            ),
        ));
    }
    let key = format!("figure[{i}].sigmas");
    match (f.kind, &f.sigmas) {
        (FigureKind::EpsField, None) => Err(bad(key, "missing")),
        (FigureKind::EpsField, Some(list))
            if list.is_empty() || list.iter().any(|s| !(s.is_finite() && *s > 0.0)) =>
        {
            Err(bad(key, "expected positive sigmas"))
        }
        (FigureKind::EpsField, Some(_)) => Ok(()),
        (_, Some(_)) => Err(bad(key, "only used by kind = \"eps-field\"")),
        (_, None) => Ok(()),
    }
}
