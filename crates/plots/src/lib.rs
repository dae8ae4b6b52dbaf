//! Figures for the geotraj workbench: lines with shaded uncertainty bands,
//! point clouds, groups of polylines (trajectories, arrow fields) and a 2-D
//! histogram (heatmap) beneath them, rendered to PNG and SVG with an embedded
//! font (no system fonts), each file written atomically; and grids of small
//! images (samples, denoising strips) as PNG.

mod data;
mod draw;
mod error;
mod figure;
mod font;
mod hist;
pub mod image_grid;
mod output;
mod ticks;

#[cfg(test)]
mod test_util;

use std::path::{Path, PathBuf};

use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};

pub use error::PlotError;
pub use figure::{Band, Figure, Heatmap, Lines, Scatter};
pub use hist::{histogram2d, linear_edges, log_edges};
pub use image_grid::{ImageGrid, image_grid};

/// Pixel size of both outputs (the SVG uses it as its user-unit canvas).
const SIZE: (u32, u32) = (1000, 650);

/// Renders `fig` to `{stem}.png` (1000x650) and `{stem}.svg`, creating the
/// parent directory, and returns both paths (PNG first).
///
/// Non-finite values (and non-positive ones on a log axis) are skipped, and a
/// line or path breaks where one was skipped. The figure is checked before
/// anything is written: mismatched lengths and invalid heatmaps (edges not
/// finite and strictly increasing, or not positive on a log axis; a wrong
/// number of counts; negative or non-finite counts) are `PlotError::Data`. A
/// well-formed figure with nothing drawable (no series, all empty, no finite
/// value, a range too wide for f64) is drawn as its title over a note saying
/// why, so a degenerate run still gets every figure. Both files are rendered
/// to temporary siblings first and renamed only once both have succeeded.
pub fn render(fig: &Figure, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    match data::prepare(fig) {
        Ok(prep) => write_both(stem, &Paint::Figure(fig, &prep)),
        Err(PlotError::Nothing(why)) => {
            // The title is drawn above the reason: do not repeat it.
            let prefix = format!("figure '{}': ", fig.title);
            let why = why.strip_prefix(&prefix).unwrap_or(&why);
            write_both(stem, &Paint::Nothing(&fig.title, why))
        }
        Err(e) => Err(e),
    }
}

/// What a figure's two files show.
enum Paint<'a> {
    Figure(&'a Figure, &'a data::Prepared),
    /// A title and why there is nothing under it.
    Nothing(&'a str, &'a str),
}

impl Paint<'_> {
    fn on<DB: plotters::prelude::DrawingBackend>(
        &self,
        root: &plotters::drawing::DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<(), String> {
        match self {
            Paint::Figure(fig, prep) => draw::draw(root, fig, prep),
            Paint::Nothing(title, why) => draw::nothing_to_draw(root, title, why),
        }
    }
}

/// Paints the SVG and the PNG of `stem` to temporaries, then renames both.
fn write_both(stem: &Path, paint: &Paint) -> Result<Vec<PathBuf>, PlotError> {
    let png = output::with_suffix(stem, ".png")?;
    let svg = output::with_suffix(stem, ".svg")?;
    font::ensure_registered().map_err(|m| PlotError::draw(&png, m))?;
    output::create_parent(&png)?;

    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        paint.on(&root).map_err(|m| PlotError::draw(&svg, m))?;
        root.present()
            .map_err(|e| PlotError::draw(&svg, e.to_string()))?;
    }
    let svg_tmp = output::TempFile::beside(&svg);
    svg_tmp.write(text.as_bytes())?;

    let png_tmp = output::TempFile::beside(&png);
    {
        let root = BitMapBackend::new(&png_tmp.path, SIZE).into_drawing_area();
        paint.on(&root).map_err(|m| PlotError::draw(&png, m))?;
        // present() encodes and saves; dropping the backend would swallow errors.
        root.present()
            .map_err(|e| PlotError::draw(&png, e.to_string()))?;
    }

    Ok(vec![png_tmp.commit()?, svg_tmp.commit()?])
}

#[cfg(test)]
mod tests {
    //! End-to-end tests of `render`: real files under a temp dir, bytes inspected.

    use std::fs;
    use std::path::Path;

    use tempfile::tempdir;

    use crate::test_util::{band, list, png_size, sigma_figure, sigmas, svg_text_x, trajectories};
    use crate::{Band, Figure, Heatmap, Lines, Scatter, histogram2d, log_edges, render};

    #[test]
    fn renders_reversed_log_x_bands_to_png_and_svg() {
        let dir = tempdir().unwrap();
        let stem = dir.path().join("nested").join("deviation");
        let paths = render(&sigma_figure(), &stem).unwrap();
        assert_eq!(
            paths,
            vec![stem.with_extension("png"), stem.with_extension("svg")]
        );

        let png = fs::read(&paths[0]).unwrap();
        assert_eq!(png_size(&png), (1000, 650));

        let svg = fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("Trajectory deviation vs noise level"));
        assert!(svg.contains("Euler (18 steps)"));
        assert!(svg.contains("Heun (9 steps)"));
        assert!(svg.contains("noise level σ"));
        // Reversed: large σ on the left.
        assert!(svg_text_x(&svg, "10") < svg_text_x(&svg, "0.01"));
        // Bands are drawn as translucent polygons.
        assert!(svg.contains("<polygon"));

        // Only the two outputs remain: temporaries were renamed away.
        assert_eq!(
            list(&dir.path().join("nested")),
            vec!["deviation.png", "deviation.svg"]
        );
    }

    #[test]
    fn renders_linear_scatter() {
        let dir = tempdir().unwrap();
        let n = 500;
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..n {
            let t = i as f64 * 0.37;
            let r = 1.0 + 0.3 * (i as f64 * 1.7).sin();
            x.push(r * t.cos());
            y.push(r * t.sin() - 0.5);
        }
        let fig = Figure {
            title: "Samples".into(),
            x_label: "x₁".into(),
            y_label: "x₂".into(),
            points: vec![
                Scatter {
                    label: "generated".into(),
                    x,
                    y,
                },
                Scatter {
                    label: "empty cloud".into(),
                    x: vec![],
                    y: vec![],
                },
            ],
            ..Figure::default()
        };
        let stem = dir.path().join("samples.v2");
        let paths = render(&fig, &stem).unwrap();
        // Dots in the stem are kept, not treated as an extension.
        assert!(paths[0].ends_with("samples.v2.png"));
        assert_eq!(png_size(&fs::read(&paths[0]).unwrap()), (1000, 650));
        let svg = fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("generated"));
        assert!(svg.contains("<circle"));
    }

    #[test]
    fn single_point_and_unlabelled_series_render() {
        let dir = tempdir().unwrap();
        let fig = Figure {
            series: vec![Band {
                x: vec![3.0],
                mid: vec![3.0],
                lo: vec![3.0],
                hi: vec![3.0],
                ..Band::default()
            }],
            ..Figure::default()
        };
        render(&fig, &dir.path().join("one")).unwrap();
        let mut log = fig.clone();
        log.log_x = true;
        log.log_y = true;
        render(&log, &dir.path().join("one-log")).unwrap();
    }

    /// Writes /tmp/geotraj-plot-sample.{png,svg} for a visual check:
    /// `cargo test --release -p geotraj-plots -- --ignored sample_figure`.
    #[test]
    #[ignore]
    fn sample_figure() {
        let mut fig = sigma_figure();
        let x = sigmas(40);
        fig.series.push(Band {
            label: "reference (no band)".into(),
            mid: x.iter().map(|s| 0.6 + 0.05 * s.ln()).collect(),
            lo: x.iter().map(|s| 0.6 + 0.05 * s.ln()).collect(),
            hi: x.iter().map(|s| 0.6 + 0.05 * s.ln()).collect(),
            x,
        });
        let paths = render(&fig, Path::new("/tmp/geotraj-plot-sample")).unwrap();
        println!("{paths:?}");

        // A second look: a point cloud with a band on linear axes.
        let n = 2000;
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for i in 0..n {
            let t = i as f64 * 0.618 * std::f64::consts::TAU;
            let r = 1.0 + 0.15 * ((i * 7919 % 101) as f64 / 50.0 - 1.0);
            x.push(r * t.cos());
            y.push(r * t.sin());
        }
        let grid: Vec<f64> = (0..50).map(|i| -1.5 + 3.0 * i as f64 / 49.0).collect();
        let cloud = Figure {
            title: "Samples on a ring".into(),
            x_label: "x₁".into(),
            y_label: "x₂".into(),
            series: vec![band("trend", &grid, |v| 0.5 * v + 2.0, 0.1)],
            points: vec![Scatter {
                label: "generated".into(),
                x,
                y,
            }],
            ..Figure::default()
        };
        let paths = render(&cloud, Path::new("/tmp/geotraj-plot-sample-scatter")).unwrap();
        println!("{paths:?}");

        // And log-log with a gap (NaN) and a non-positive value to skip.
        let mut loglog = sigma_figure();
        loglog.log_y = true;
        loglog.title = "Log-log with gaps".into();
        loglog.series[0].mid[20] = f64::NAN;
        loglog.series[1].mid[40] = 0.0;
        loglog.series[1].lo[40] = -1.0;
        let paths = render(&loglog, Path::new("/tmp/geotraj-plot-sample-loglog")).unwrap();
        println!("{paths:?}");

        // Trajectories over a sample cloud, equal aspect, and an arrow field.
        let mut field = Vec::new();
        for i in -6..=6 {
            for j in -4..=4 {
                let (x, y) = (i as f64 * 0.5, j as f64 * 0.5);
                field.push(vec![(x, y), (x - 0.15 * y, y + 0.15 * x)]);
            }
        }
        let mut traj = cloud.clone();
        traj.title = "Trajectories (equal aspect)".into();
        traj.series.clear();
        traj.equal_aspect = true;
        traj.lines = vec![
            Lines {
                label: "trajectories".into(),
                paths: trajectories(64, 40),
                arrows: true,
            },
            Lines {
                label: "drift".into(),
                paths: field,
                arrows: true,
            },
        ];
        let paths = render(&traj, Path::new("/tmp/geotraj-plot-sample-lines")).unwrap();
        println!("{paths:?}");

        // The error-model layout: states of many trajectories binned into a
        // log-shaded heatmap, with one trajectory drawn over it.
        let sig = sigmas(120);
        let traj_err = |k: usize, s: f64| {
            let wobble = 1.0 + 0.6 * ((k * 37 % 101) as f64 / 100.0 - 0.5);
            wobble * 0.3 * s.powf(0.35) / (1.0 + 0.2 * s)
        };
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for k in 0..400 {
            for &s in &sig {
                xs.push(s);
                ys.push(traj_err(k, s));
            }
        }
        let x_edges = log_edges(0.002, 80.0, 60);
        let y_edges = log_edges(1e-3, 1.0, 40);
        let counts = histogram2d(&xs, &ys, &x_edges, &y_edges);
        let heat = Figure {
            title: "Relative error of the denoiser".into(),
            x_label: "noise level σ".into(),
            y_label: "relative error".into(),
            log_x: true,
            log_y: true,
            reverse_x: true,
            lines: vec![Lines {
                label: "trajectory 0".into(),
                paths: vec![sig.iter().map(|&s| (s, traj_err(0, s))).collect()],
                arrows: false,
            }],
            heatmap: Some(Heatmap {
                label: "trajectory states".into(),
                x_edges,
                y_edges,
                counts,
                log_counts: true,
            }),
            ..Figure::default()
        };
        let paths = render(&heat, Path::new("/tmp/geotraj-plot-sample-heatmap")).unwrap();
        println!("{paths:?}");
    }
}
