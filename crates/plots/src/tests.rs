//! End-to-end tests: render real files under the temp dir and inspect bytes.

use std::fs;
use std::path::{Path, PathBuf};

use plotters::prelude::{IntoDrawingArea, SVGBackend};

use crate::data::{equal_aspect, prepare};
use crate::draw::{arrowhead, chart_builder, plot_size};
use crate::{Band, Figure, Lines, PlotError, Scatter, render};

/// A scratch directory unique to this process and test, removed on drop
/// (also when the test panics).
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("geotraj-plots-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        Scratch(dir)
    }

    fn files(&self) -> Vec<String> {
        list(&self.0)
    }
}

/// Sorted file names in `dir`; none if it does not exist.
fn list(dir: &Path) -> Vec<String> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// σ from 80 down to 0.002, log-spaced.
fn sigmas(n: usize) -> Vec<f64> {
    let (a, b) = (80f64.ln(), 0.002f64.ln());
    (0..n)
        .map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp())
        .collect()
}

fn band(label: &str, x: &[f64], f: impl Fn(f64) -> f64, rel: f64) -> Band {
    let mid: Vec<f64> = x.iter().map(|&s| f(s)).collect();
    Band {
        label: label.to_string(),
        x: x.to_vec(),
        lo: mid.iter().map(|m| m * (1.0 - rel)).collect(),
        hi: mid.iter().map(|m| m * (1.0 + rel)).collect(),
        mid,
    }
}

fn sigma_figure() -> Figure {
    let x = sigmas(60);
    Figure {
        title: "Trajectory deviation vs noise level".into(),
        x_label: "noise level σ".into(),
        y_label: "deviation from chord".into(),
        log_x: true,
        log_y: false,
        reverse_x: true,
        series: vec![
            band(
                "Euler (18 steps)",
                &x,
                |s| 0.2 + 0.8 / (1.0 + (s.ln() - 0.5).powi(2)),
                0.15,
            ),
            band(
                "Heun (9 steps)",
                &x,
                |s| 0.1 + 0.5 / (1.0 + (s.ln() + 1.5).powi(2)),
                0.25,
            ),
        ],
        points: vec![],
        lines: vec![],
        equal_aspect: false,
    }
}

/// Reads width and height from the IHDR chunk, which the PNG format requires
/// to come first: signature (8), length (4), "IHDR" (4), width, height.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The x attribute of the SVG `<text>` element whose (trimmed) content is
/// `label`; plotters puts the content on its own line.
fn svg_text_x(svg: &str, label: &str) -> f64 {
    for chunk in svg.split("<text").skip(1) {
        let Some((tag, rest)) = chunk.split_once('>') else {
            continue;
        };
        let content = rest.split("</text>").next().unwrap_or("");
        if content.trim() == label {
            let x = tag.split(" x=\"").nth(1).unwrap();
            return x.split('"').next().unwrap().parse().unwrap();
        }
    }
    panic!("no text '{label}' in SVG")
}

#[test]
fn renders_reversed_log_x_bands_to_png_and_svg() {
    let dir = Scratch::new("bands");
    let stem = dir.0.join("nested").join("deviation");
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
        list(&dir.0.join("nested")),
        vec!["deviation.png", "deviation.svg"]
    );
}

#[test]
fn unreversed_axis_increases_left_to_right() {
    let dir = Scratch::new("forward");
    let mut fig = sigma_figure();
    fig.reverse_x = false;
    let paths = render(&fig, &dir.0.join("f")).unwrap();
    let svg = fs::read_to_string(&paths[1]).unwrap();
    assert!(svg_text_x(&svg, "10") > svg_text_x(&svg, "0.01"));
}

#[test]
fn renders_linear_scatter() {
    let dir = Scratch::new("scatter");
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
    let stem = dir.0.join("samples.v2");
    let paths = render(&fig, &stem).unwrap();
    // Dots in the stem are kept, not treated as an extension.
    assert!(paths[0].ends_with("samples.v2.png"));
    assert_eq!(png_size(&fs::read(&paths[0]).unwrap()), (1000, 650));
    let svg = fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.contains("generated"));
    assert!(svg.contains("<circle"));
}

#[test]
fn skips_nan_and_non_positive_values_on_log_axes() {
    let dir = Scratch::new("skips");
    let x = vec![10.0, 5.0, 0.0, -1.0, 1.0, f64::NAN, 0.1, 0.01];
    let mid = vec![1.0, f64::NAN, 2.0, 3.0, 0.5, 0.4, -0.3, 0.2];
    let fig = Figure {
        title: "gaps".into(),
        log_x: true,
        log_y: true,
        reverse_x: true,
        series: vec![Band {
            label: "gappy".into(),
            lo: mid.clone(),
            hi: mid.iter().map(|m| m * 1.5).collect(),
            x,
            mid,
        }],
        ..Figure::default()
    };
    let paths = render(&fig, &dir.0.join("gaps")).unwrap();
    assert_eq!(png_size(&fs::read(&paths[0]).unwrap()), (1000, 650));
}

#[test]
fn single_point_and_unlabelled_series_render() {
    let dir = Scratch::new("single");
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
    render(&fig, &dir.0.join("one")).unwrap();
    let mut log = fig.clone();
    log.log_x = true;
    log.log_y = true;
    render(&log, &dir.0.join("one-log")).unwrap();
}

fn data_error(fig: &Figure, dir: &Scratch) -> String {
    match render(fig, &dir.0.join("bad")) {
        Err(PlotError::Data(msg)) => {
            // Nothing is written for a figure that cannot be drawn.
            assert!(dir.files().is_empty(), "left files: {:?}", dir.files());
            msg
        }
        other => panic!("expected a data error, got {other:?}"),
    }
}

#[test]
fn bad_figures_are_data_errors() {
    let dir = Scratch::new("errors");

    let empty = Figure {
        title: "nothing".into(),
        ..Figure::default()
    };
    assert!(data_error(&empty, &dir).contains("nothing"));

    let all_empty = Figure {
        series: vec![Band {
            label: "hollow".into(),
            ..Band::default()
        }],
        points: vec![Scatter {
            label: "void".into(),
            ..Scatter::default()
        }],
        ..Figure::default()
    };
    let msg = data_error(&all_empty, &dir);
    assert!(msg.contains("hollow") && msg.contains("void"), "{msg}");

    let mut mismatched = sigma_figure();
    mismatched.series[1].hi.pop();
    let msg = data_error(&mismatched, &dir);
    assert!(
        msg.contains("Heun (9 steps)") && msg.contains("hi"),
        "{msg}"
    );

    let mismatched_cloud = Figure {
        points: vec![Scatter {
            label: "lopsided".into(),
            x: vec![1.0, 2.0],
            y: vec![1.0],
        }],
        ..Figure::default()
    };
    assert!(data_error(&mismatched_cloud, &dir).contains("lopsided"));

    let nan = Figure {
        series: vec![Band {
            label: "all nan".into(),
            x: vec![1.0, 2.0],
            mid: vec![f64::NAN, f64::INFINITY],
            lo: vec![f64::NAN; 2],
            hi: vec![f64::NAN; 2],
        }],
        ..Figure::default()
    };
    assert!(data_error(&nan, &dir).contains("all nan"));

    let negative_on_log = Figure {
        log_y: true,
        points: vec![Scatter {
            label: "below zero".into(),
            x: vec![1.0, 2.0],
            y: vec![-1.0, 0.0],
        }],
        ..Figure::default()
    };
    assert!(data_error(&negative_on_log, &dir).contains("below zero"));

    let huge = Figure {
        points: vec![Scatter {
            label: "huge".into(),
            x: vec![-f64::MAX, f64::MAX],
            y: vec![0.0, 1.0],
        }],
        ..Figure::default()
    };
    data_error(&huge, &dir);

    assert!(matches!(
        render(&sigma_figure(), Path::new("/")),
        Err(PlotError::Data(_))
    ));
}

#[test]
fn unwritable_directory_is_an_io_error() {
    let dir = Scratch::new("io");
    fs::create_dir_all(&dir.0).unwrap();
    // A regular file where the parent directory should be.
    let blocker = dir.0.join("file");
    fs::write(&blocker, b"x").unwrap();
    match render(&sigma_figure(), &blocker.join("fig")) {
        Err(PlotError::Io { path, .. }) => assert_eq!(path, blocker),
        other => panic!("expected an io error, got {other:?}"),
    }
}

/// `n` spiralling 2-D trajectories of `steps` points each, converging on the
/// unit circle.
fn trajectories(n: usize, steps: usize) -> Vec<Vec<(f64, f64)>> {
    (0..n)
        .map(|i| {
            let a0 = i as f64 * std::f64::consts::TAU / n as f64;
            (0..steps)
                .map(|k| {
                    let t = k as f64 / (steps - 1) as f64;
                    let r = 3.0 - 2.0 * t;
                    let a = a0 + 1.5 * t;
                    (r * a.cos(), r * a.sin())
                })
                .collect()
        })
        .collect()
}

fn count(svg: &str, what: &str) -> usize {
    svg.matches(what).count()
}

#[test]
fn renders_a_figure_of_only_lines() {
    let dir = Scratch::new("lines");
    let fig = Figure {
        title: "Sampling trajectories".into(),
        x_label: "x₁".into(),
        y_label: "x₂".into(),
        lines: vec![Lines {
            label: "trajectories".into(),
            paths: trajectories(64, 30),
            arrows: false,
        }],
        ..Figure::default()
    };
    let paths = render(&fig, &dir.0.join("traj")).unwrap();
    assert_eq!(png_size(&fs::read(&paths[0]).unwrap()), (1000, 650));
    let svg = fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.contains("trajectories"));
    // One polyline per path, plus the legend glyph; many paths are drawn
    // thin and translucent.
    assert!(
        count(&svg, "<polyline") > 64,
        "{}",
        count(&svg, "<polyline")
    );
    assert!(svg.contains(r#"opacity="0.55""#));
    assert_eq!(dir.files(), vec!["traj.png", "traj.svg"]);
}

#[test]
fn nan_breaks_a_path_and_only_real_heads_get_arrows() {
    let nan = f64::NAN;
    let fig = Figure {
        lines: vec![Lines {
            label: "gappy".into(),
            paths: vec![
                vec![
                    (0.0, 0.0),
                    (1.0, 1.0),
                    (nan, 2.0),
                    (3.0, 3.0),
                    (4.0, f64::INFINITY),
                    (5.0, 5.0),
                ],
                // The head is missing: no arrowhead anywhere on this path.
                vec![(6.0, 6.0), (7.0, 7.0), (8.0, nan)],
                vec![],
                vec![(nan, nan)],
            ],
            arrows: true,
        }],
        ..Figure::default()
    };
    let prep = prepare(&fig).unwrap();
    let g = &prep.lines[0];
    assert_eq!(
        g.runs,
        vec![
            vec![(0.0, 0.0), (1.0, 1.0)],
            vec![(3.0, 3.0)],
            vec![(5.0, 5.0)],
            vec![(6.0, 6.0), (7.0, 7.0)],
        ]
    );
    assert_eq!(g.heads, vec![2]);

    // Without arrows there are no heads; on a log axis non-positive points
    // break the path too.
    let mut log = fig.clone();
    log.lines[0].arrows = false;
    log.log_x = true;
    let prep = prepare(&log).unwrap();
    assert!(prep.lines[0].heads.is_empty());
    assert_eq!(prep.lines[0].runs[0], vec![(1.0, 1.0)]);

    let dir = Scratch::new("gappy-lines");
    render(&fig, &dir.0.join("gappy")).unwrap();
    render(&log, &dir.0.join("gappy-log")).unwrap();
}

#[test]
fn arrows_render_one_head_per_drawable_segment() {
    let dir = Scratch::new("arrows");
    // A vector field on a grid; one zero-length vector has no direction.
    let mut paths = Vec::new();
    for i in 0..5 {
        for j in 0..4 {
            let (x, y) = (i as f64, j as f64);
            paths.push(vec![(x, y), (x - 0.3 * y, y + 0.3 * x)]);
        }
    }
    assert_eq!(paths[0][0], paths[0][1]);
    let field = |arrows| Figure {
        title: "field".into(),
        lines: vec![Lines {
            label: "drift".into(),
            paths: paths.clone(),
            arrows,
        }],
        ..Figure::default()
    };
    let with = render(&field(true), &dir.0.join("with")).unwrap();
    let without = render(&field(false), &dir.0.join("without")).unwrap();
    assert_eq!(png_size(&fs::read(&with[0]).unwrap()), (1000, 650));
    let (a, b) = (
        fs::read_to_string(&with[1]).unwrap(),
        fs::read_to_string(&without[1]).unwrap(),
    );
    assert_eq!(count(&a, "<polyline"), count(&b, "<polyline") + 19);

    // Also on reversed log axes, where plotters does the mapping.
    let mut log = field(true);
    log.lines[0].paths = vec![
        vec![(1.0, 1.0), (100.0, 10.0)],
        vec![(5.0, 20.0), (2.0, 3.0)],
    ];
    log.log_x = true;
    log.log_y = true;
    log.reverse_x = true;
    render(&log, &dir.0.join("log")).unwrap();
}

#[test]
fn arrowheads_point_back_along_the_screen_direction() {
    let id = |p: (f64, f64)| p;
    // Arriving rightwards: both barbs go back left, one up and one down.
    let (at, [a, b]) = arrowhead(&[(0.0, 0.0), (10.0, 0.0)], id, 6.0).unwrap();
    assert_eq!(at, (10.0, 0.0));
    assert_eq!([a, b], [(-5, -3), (-5, 3)]);
    // Arriving downwards (screen y grows downwards): barbs go back up.
    let (_, [a, b]) = arrowhead(&[(0.0, 0.0), (0.0, 10.0)], id, 6.0).unwrap();
    assert!(a.1 < 0 && b.1 < 0 && a.0 == -b.0, "{a:?} {b:?}");
    // A sub-pixel last step: the direction comes from further back.
    let run = [(0.0, 0.0), (10.0, 0.0), (10.0, 0.2)];
    let (_, [a, b]) = arrowhead(&run, id, 6.0).unwrap();
    assert_eq!(a.0, -5);
    assert_eq!(b.0, -5);
    // No direction at all: no arrowhead.
    assert!(arrowhead(&[(1.0, 1.0), (1.0, 1.0)], id, 6.0).is_none());
    assert!(arrowhead(&[(1.0, 1.0)], id, 6.0).is_none());
}

#[test]
fn lines_enter_the_axis_extents() {
    let fig = Figure {
        points: vec![Scatter {
            label: "cloud".into(),
            x: vec![0.0, 1.0],
            y: vec![0.0, 1.0],
        }],
        lines: vec![
            Lines {
                label: "far".into(),
                paths: vec![vec![(0.5, 0.5), (10.0, -5.0)]],
                arrows: true,
            },
            // Empty groups are fine when something else is drawable.
            Lines::default(),
        ],
        ..Figure::default()
    };
    let prep = prepare(&fig).unwrap();
    // 5% padding on the spans 10 and 6.
    assert!((prep.x.0 - -0.5).abs() < 1e-12 && (prep.x.1 - 10.5).abs() < 1e-12);
    assert!((prep.y.0 - -5.3).abs() < 1e-12 && (prep.y.1 - 1.3).abs() < 1e-12);
    let dir = Scratch::new("extents");
    render(&fig, &dir.0.join("e")).unwrap();
}

#[test]
fn empty_line_groups_alone_are_data_errors() {
    let dir = Scratch::new("empty-lines");
    let hollow = Figure {
        lines: vec![Lines {
            label: "no paths".into(),
            ..Lines::default()
        }],
        points: vec![Scatter::default()],
        ..Figure::default()
    };
    assert!(data_error(&hollow, &dir).contains("no paths"));
    let nan = Figure {
        lines: vec![Lines {
            label: "nan paths".into(),
            paths: vec![vec![(f64::NAN, 1.0)], vec![]],
            arrows: true,
        }],
        ..Figure::default()
    };
    assert!(data_error(&nan, &dir).contains("nan paths"));
}

#[test]
fn unlabelled_line_group_has_no_legend_entry() {
    let dir = Scratch::new("legend");
    let fig = |label: &str| Figure {
        series: vec![band("band", &[1.0, 2.0, 3.0], |v| v, 0.1)],
        lines: vec![Lines {
            label: label.into(),
            paths: trajectories(3, 10),
            arrows: true,
        }],
        ..Figure::default()
    };
    let texts = |label: &str| {
        let paths = render(&fig(label), &dir.0.join(format!("l{}", label.len()))).unwrap();
        let svg = fs::read_to_string(&paths[1]).unwrap();
        (count(&svg, "<text"), count(&svg, "<polyline"))
    };
    let (t_named, p_named) = texts("paths");
    let (t_blank, p_blank) = texts("");
    // The named group adds its label and its legend glyph, nothing else differs.
    assert_eq!(t_named, t_blank + 1);
    assert_eq!(p_named, p_blank + 1);
}

#[test]
fn plot_size_matches_the_chart_layout() {
    crate::font::ensure_registered().unwrap();
    for title in ["", "A title with descenders: gjpqy"] {
        let fig = Figure {
            title: title.into(),
            ..Figure::default()
        };
        let mut text = String::new();
        let root = SVGBackend::with_string(&mut text, crate::SIZE).into_drawing_area();
        let size = plot_size(&root, &fig).unwrap();
        let chart = chart_builder(&root, &fig)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .unwrap();
        let (a, b) = (
            chart.backend_coord(&(0.0, 0.0)),
            chart.backend_coord(&(1.0, 1.0)),
        );
        assert_eq!(
            size,
            (f64::from(b.0 - a.0), f64::from(a.1 - b.1)),
            "{title:?}"
        );
    }
}

#[test]
fn equal_aspect_gives_both_axes_the_same_scale() {
    crate::font::ensure_registered().unwrap();
    let fig = Figure {
        title: "equal".into(),
        equal_aspect: true,
        lines: vec![Lines {
            label: "wide".into(),
            paths: vec![vec![(-10.0, 0.0), (10.0, 1.0)]],
            arrows: false,
        }],
        ..Figure::default()
    };
    let prep = prepare(&fig).unwrap();
    let mut text = String::new();
    let root = SVGBackend::with_string(&mut text, crate::SIZE).into_drawing_area();
    let px = plot_size(&root, &fig).unwrap();
    let (x, y) = equal_aspect(prep.x, prep.y, (false, false), px);
    // x is the wide one: kept; y widened about its centre.
    assert_eq!(x, prep.x);
    assert!(y.0 < prep.y.0 && y.1 > prep.y.1);
    assert!(((y.0 + y.1) / 2.0 - 0.5).abs() < 1e-12);
    let chart = chart_builder(&root, &fig)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .unwrap();
    let o = chart.backend_coord(&(0.0, 0.0));
    let ex = chart.backend_coord(&(10.0, 0.0));
    let ey = chart.backend_coord(&(0.0, 10.0));
    assert!(
        ((ex.0 - o.0) - (o.1 - ey.1)).abs() <= 1,
        "{o:?} {ex:?} {ey:?}"
    );

    // The other way round, and in decades on log-log axes.
    let (x, y) = equal_aspect((0.0, 1.0), (0.0, 10.0), (false, false), (800.0, 400.0));
    assert_eq!(y, (0.0, 10.0));
    assert!((x.1 - x.0 - 20.0).abs() < 1e-9 && (x.0 + x.1 - 1.0).abs() < 1e-9);
    let (x, y) = equal_aspect((1.0, 10.0), (1.0, 1e4), (true, true), (800.0, 400.0));
    assert_eq!(y, (1.0, 1e4));
    assert!((x.1.log10() - x.0.log10() - 8.0).abs() < 1e-9, "{x:?}");
    // Unwidenable ranges are left alone.
    let huge = (-f64::MAX, f64::MAX);
    assert_eq!(
        equal_aspect((0.0, 1.0), huge, (false, false), (800.0, 400.0)).0,
        (0.0, 1.0)
    );

    let dir = Scratch::new("equal");
    render(&fig, &dir.0.join("eq")).unwrap();
    let mut log = fig.clone();
    log.log_x = true;
    log.log_y = true;
    log.lines[0].paths = vec![vec![(1.0, 1.0), (1e3, 10.0)]];
    render(&log, &dir.0.join("eq-log")).unwrap();
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
}
