//! Low-dimensional structure of the trajectories: the 3-D view table, the
//! top-2 error and view figures, and the explained-variance summary.

use super::style::{band, extent, figure};
use super::tables::write_table;
use crate::execute::case::Case;
use geotraj_plots::{Figure, Lines};
use geotraj_records::Table;
use std::path::{Path, PathBuf};

/// views.parquet/.csv: one row per (data, sampler, trajectory, step) drawn.
pub fn write_views(experiment: &str, cases: &[Case], dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut all = Table::new();
    for c in cases {
        let v = &c.views;
        let col = |f: &dyn Fn(&crate::execute::measured::View) -> f64| {
            v.iter().map(f).collect::<Vec<f64>>()
        };
        let t = Table::new()
            .with_str("data", vec![c.data.clone(); v.len()])
            .with_str("sampler", vec![c.sampler.clone(); v.len()])
            .with_i64(
                "trajectory",
                v.iter().map(|p| p.trajectory as i64).collect(),
            )
            .with_i64("step", v.iter().map(|p| p.step as i64).collect())
            .with_f64("sigma", v.iter().map(|p| c.sigmas()[p.step]).collect())
            .with_f64("c1", col(&|p| p.own[0]))
            .with_f64("c2", col(&|p| p.own[1]))
            .with_f64("c3", col(&|p| p.own[2]))
            .with_f64("joint1", col(&|p| p.joint[0]))
            .with_f64("joint2", col(&|p| p.joint[1]))
            .with_f64("joint3", col(&|p| p.joint[2]));
        all.append(t)?;
    }
    write_table(experiment, &all, dir, "views").map_err(anyhow::Error::from)
}

/// One side of the 3-D views, each trajectory in its own frame (x_0 at the
/// origin, chord along axis 1), so their shared shape shows. (The joint
/// frame is in the table: in high dimension the chords of different
/// trajectories are nearly orthogonal, so one common frame shows little.)
fn side(c: &Case, a: usize, b: usize, names: (&str, &str)) -> Figure {
    let mut paths: Vec<Vec<(f64, f64)>> = Vec::new();
    for p in &c.views {
        if p.step == 0 {
            paths.push(Vec::new());
        }
        if let Some(path) = paths.last_mut() {
            path.push((p.own[a], p.own[b]));
        }
    }
    // The axes are scaled apart to show the small off-chord part: say by
    // how much, so the bend is not read at face value.
    let span = |(lo, hi): (f64, f64)| hi - lo;
    let points = || paths.iter().flatten();
    let stretch = span(extent(points().map(|p| p.0))) / span(extent(points().map(|p| p.1)));
    let note = if stretch.is_finite() && stretch > 1.5 {
        format!(" (vertical axis stretched {stretch:.0}x)")
    } else {
        String::new()
    };
    Figure {
        title: format!(
            "{} {}: own 3-D views of {} trajectories{note}",
            c.data,
            c.sampler,
            paths.len()
        ),
        x_label: names.0.into(),
        y_label: names.1.into(),
        lines: vec![Lines {
            label: "x_0 -> x_N".into(),
            paths,
            arrows: true,
        }],
        ..Figure::default()
    }
}

/// The low-dim figures of one data set.
pub fn figures(data: &str, cases: &[&Case]) -> Vec<(String, Figure)> {
    let mut out = vec![(
        format!("top2-error-{data}"),
        figure(
            format!("{data}: |x_n - x~_n| / |x_n|, top-2 PCA reconstruction (median, 10-90%)"),
            "relative error",
            true,
            cases
                .iter()
                .map(|c| band(c, "top2_error", c.sampler.clone()))
                .collect(),
        ),
    )];
    for c in cases.iter().filter(|c| !c.views.is_empty()) {
        let axes = ("chord axis", "PC 1 of the rest");
        out.push((
            format!("view3d-{data}-{}-front", c.sampler),
            side(c, 0, 1, axes),
        ));
        out.push((
            format!("view3d-{data}-{}-side", c.sampler),
            side(c, 0, 2, ("chord axis", "PC 2 of the rest")),
        ));
    }
    out
}

/// Medians of the explained-variance ratios and of the largest top-2 error.
pub fn summary(cases: &[Case]) -> String {
    let mut s = format!(
        "\n{:<16} {:<12} {:>10} {:>10} {:>10} {:>14}\n",
        "data", "sampler", "top-1 var", "top-2 var", "top-3 var", "max top-2 err"
    );
    for c in cases {
        let m = &c.measures;
        let col = |n: &str| m.trajectory_median(n).expect("lowdim columns");
        let err = m.band("top2_error", 0.5, 0.5).expect("lowdim columns").mid;
        let worst = geotraj_metrics::nanmax(&err);
        s += &format!(
            "{:<16} {:<12} {:>10.6} {:>10.6} {:>10.6} {:>14.3e}\n",
            c.data,
            c.sampler,
            col("explained_1"),
            col("explained_2"),
            col("explained_3"),
            worst
        );
    }
    s + "(medians over trajectories; cumulative explained-variance ratios of the states' PCA)\n"
}
