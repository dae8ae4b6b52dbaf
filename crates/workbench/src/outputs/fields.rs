//! Figures of 2-D runs: sampling trajectories over the data, and the
//! denoising direction field -eps(x, sigma) (towards D(x; sigma)).

use super::style::extent;
use crate::config::{Config, FigureKind};
use crate::context::LoadedData;
use crate::execute::case::Case;
use crate::execute::fields::EpsField;
use geotraj_plots::{Figure, Lines, Scatter};

/// Width over height of a figure's plotting area (1000 x 650 pixels less
/// the caption, margins and label areas).
const PLOT_ASPECT: f64 = 1.7;

/// Trajectories drawn per sampler (the first ones).
const DRAWN: usize = 64;

fn data_points(data: &[LoadedData], label: &str) -> Option<Scatter> {
    let loaded = data.iter().find(|l| l.label == label)?;
    let ds = &loaded.data;
    let rows = (0..ds.n.min(2000)).map(|i| ds.row(i));
    let (x, y) = rows.map(|r| (r[0] as f64, r[1] as f64)).unzip();
    Some(Scatter {
        label: format!("{label} data"),
        x,
        y,
    })
}

/// The trajectories-2d figure of every 2-D case, and each eps field.
pub fn figures(
    config: &Config,
    data: &[LoadedData],
    cases: &[Case],
    fields: &[EpsField],
) -> Vec<(String, Figure)> {
    let kinds: Vec<FigureKind> = config.figure.iter().map(|f| f.kind).collect();
    let mut out = Vec::new();
    if kinds.contains(&FigureKind::Trajectories2d) {
        for c in cases.iter().filter(|c| c.d() == 2) {
            let t = &c.head;
            let paths = (0..t.n.min(DRAWN))
                .map(|i| {
                    (0..=t.steps())
                        .map(|s| (t.state(i, s)[0] as f64, t.state(i, s)[1] as f64))
                        .collect()
                })
                .collect();
            let (sx, sy) = (0..t.n.min(DRAWN))
                .map(|i| (t.state(i, 0)[0] as f64, t.state(i, 0)[1] as f64))
                .unzip();
            let (fx, fy) = t
                .final_samples()
                .chunks(2)
                .take(DRAWN)
                .map(|p| (p[0] as f64, p[1] as f64))
                .unzip();
            // Zoomed on the data (a quarter of its span around it): the
            // starts at sigma_max lie far outside and would shrink it to a dot.
            let shown = data_points(data, &c.data);
            let view = shown.as_ref().and_then(|d| {
                let span = |v: &[f64]| {
                    let (lo, hi) = extent(v.iter().copied());
                    let pad = 0.25 * (hi - lo).max(1e-9);
                    (lo - pad, hi + pad)
                };
                // Widen the x range to the plot's shape (about 1.7:1), so
                // the equal-aspect view needs no more room than is clipped.
                let ((x0, x1), (y0, y1)) = (span(&d.x), span(&d.y));
                let half = 0.5 * (x1 - x0).max(PLOT_ASPECT * (y1 - y0));
                let mid = 0.5 * (x0 + x1);
                (!d.x.is_empty()).then_some([(mid - half, mid + half), (y0, y1)])
            });
            let zoom = if view.is_some() {
                " (zoomed on the data)"
            } else {
                ""
            };
            out.push((
                format!("trajectories-{}-{}", c.data, c.sampler),
                Figure {
                    title: format!("{}: {} trajectories, {}{zoom}", c.data, c.sampler, c.solver),
                    view,
                    x_label: "x1".into(),
                    y_label: "x2".into(),
                    points: shown
                        .into_iter()
                        .chain([
                            Scatter {
                                label: "starts x_0".into(),
                                x: sx,
                                y: sy,
                            },
                            Scatter {
                                label: "final samples x_N".into(),
                                x: fx,
                                y: fy,
                            },
                        ])
                        .collect(),
                    lines: vec![Lines {
                        label: "x_n, arrow at x_N".into(),
                        paths,
                        arrows: true,
                    }],
                    equal_aspect: true,
                    ..Figure::default()
                },
            ));
        }
    }
    for f in fields {
        // Arrows of one fixed length (a grid spacing) show the direction only.
        let (lo, hi) = extent(f.points.iter().map(|p| p.0));
        let span = hi - lo;
        let len = 0.8 * span / 24.0;
        let paths = f
            .points
            .iter()
            .zip(&f.denoised)
            .filter_map(|(&(x, y), &(dx, dy))| {
                let (vx, vy) = (dx - x, dy - y);
                let norm = vx.hypot(vy);
                (norm > 0.0).then(|| vec![(x, y), (x + len * vx / norm, y + len * vy / norm)])
            })
            .collect();
        out.push((
            format!("eps-field-{}-sigma-{}", f.data, sigma_tag(f.sigma)),
            Figure {
                title: format!("{}: direction of -eps(x, sigma = {})", f.data, f.sigma),
                x_label: "x1".into(),
                y_label: "x2".into(),
                points: data_points(data, &f.data).into_iter().collect(),
                lines: vec![Lines {
                    label: "-eps".into(),
                    paths,
                    arrows: true,
                }],
                equal_aspect: true,
                ..Figure::default()
            },
        ));
    }
    out
}

/// σ in a file name: as written for ordinary values, in exponent form for
/// extreme ones (whose plain form runs to hundreds of digits).
fn sigma_tag(sigma: f64) -> String {
    if (1e-4..1e6).contains(&sigma) {
        format!("{sigma}")
    } else {
        format!("{sigma:e}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sigma_tags_stay_short() {
        assert_eq!(super::sigma_tag(0.5), "0.5");
        assert_eq!(super::sigma_tag(80.0), "80");
        assert_eq!(super::sigma_tag(1e-300), "1e-300");
        assert_eq!(super::sigma_tag(1e12), "1e12");
    }
}
