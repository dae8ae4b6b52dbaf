//! End-to-end tests: render real files under the temp dir and inspect bytes.

use std::fs;
use std::path::Path;

use plotters::prelude::{BitMapBackend, IntoDrawingArea, IntoLogRange, SVGBackend};
use tempfile::{TempDir, tempdir};

use crate::data::{MIN_SHADE, equal_aspect, prepare};
use crate::draw::{arrowhead, chart_builder, heat_colour, plot_size};
use crate::{
    Band, Figure, Heatmap, Lines, PlotError, Scatter, histogram2d, linear_edges, log_edges, render,
};

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
        heatmap: None,
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
fn unreversed_axis_increases_left_to_right() {
    let dir = tempdir().unwrap();
    let mut fig = sigma_figure();
    fig.reverse_x = false;
    let paths = render(&fig, &dir.path().join("f")).unwrap();
    let svg = fs::read_to_string(&paths[1]).unwrap();
    assert!(svg_text_x(&svg, "10") > svg_text_x(&svg, "0.01"));
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
fn skips_nan_and_non_positive_values_on_log_axes() {
    let dir = tempdir().unwrap();
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
    let paths = render(&fig, &dir.path().join("gaps")).unwrap();
    assert_eq!(png_size(&fs::read(&paths[0]).unwrap()), (1000, 650));
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

fn data_error(fig: &Figure, dir: &TempDir) -> String {
    match render(fig, &dir.path().join("bad")) {
        Err(PlotError::Data(msg)) => {
            // Nothing is written for a figure that cannot be drawn.
            let left = list(dir.path());
            assert!(left.is_empty(), "left files: {left:?}");
            msg
        }
        other => panic!("expected a data error, got {other:?}"),
    }
}

#[test]
fn bad_figures_are_data_errors() {
    let dir = tempdir().unwrap();

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
    let dir = tempdir().unwrap();
    // A regular file where the parent directory should be.
    let blocker = dir.path().join("file");
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
    let dir = tempdir().unwrap();
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
    let paths = render(&fig, &dir.path().join("traj")).unwrap();
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
    assert_eq!(list(dir.path()), vec!["traj.png", "traj.svg"]);
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

    let dir = tempdir().unwrap();
    render(&fig, &dir.path().join("gappy")).unwrap();
    render(&log, &dir.path().join("gappy-log")).unwrap();
}

#[test]
fn arrows_render_one_head_per_drawable_segment() {
    let dir = tempdir().unwrap();
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
    let with = render(&field(true), &dir.path().join("with")).unwrap();
    let without = render(&field(false), &dir.path().join("without")).unwrap();
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
    render(&log, &dir.path().join("log")).unwrap();
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
    let dir = tempdir().unwrap();
    render(&fig, &dir.path().join("e")).unwrap();
}

#[test]
fn empty_line_groups_alone_are_data_errors() {
    let dir = tempdir().unwrap();
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
    let dir = tempdir().unwrap();
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
        let paths = render(&fig(label), &dir.path().join(format!("l{}", label.len()))).unwrap();
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

    let dir = tempdir().unwrap();
    render(&fig, &dir.path().join("eq")).unwrap();
    let mut log = fig.clone();
    log.log_x = true;
    log.log_y = true;
    log.lines[0].paths = vec![vec![(1.0, 1.0), (1e3, 10.0)]];
    render(&log, &dir.path().join("eq-log")).unwrap();
}

#[test]
fn edges_are_evenly_spaced_with_exact_ends() {
    assert_eq!(linear_edges(0.0, 1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    assert_eq!(linear_edges(-3.0, 3.0, 1), vec![-3.0, 3.0]);
    assert!(linear_edges(0.0, 1.0, 0).is_empty());

    let e = log_edges(1e-3, 10.0, 4);
    assert_eq!(e.len(), 5);
    assert_eq!((e[0], e[4]), (1e-3, 10.0));
    for (v, want) in e.iter().zip([1e-3, 1e-2, 1e-1, 1.0, 10.0]) {
        assert!((v / want - 1.0).abs() < 1e-12, "{e:?}");
    }
    let fine = log_edges(0.002, 80.0, 300);
    assert!(fine.windows(2).all(|w| w[0] < w[1]));
    assert!(log_edges(1.0, 2.0, 0).is_empty());
    // Non-positive bounds cannot be spaced geometrically.
    assert!(log_edges(0.0, 1.0, 3)[1].is_nan());
}

#[test]
fn histogram2d_matches_a_hand_count() {
    let nan = f64::NAN;
    let xe = [0.0, 1.0, 2.0, 3.0];
    let ye = [0.0, 10.0, 20.0];
    let pts = [
        (0.0, 0.0),               // lower-left corner: cell (0, 0)
        (0.999, 9.99),            // still cell (0, 0)
        (1.0, 0.0),               // an inner edge belongs to the bin above: (1, 0)
        (2.5, 10.0),              // (2, 1)
        (3.0, 20.0),              // the last bins include their right edges: (2, 1)
        (3.0, 5.0),               // (2, 0)
        (1.5, 15.0),              // (1, 1)
        (3.0001, 5.0),            // right of the grid: skipped
        (-0.1, 5.0),              // left of the grid: skipped
        (0.5, 20.5),              // above: skipped
        (0.5, -1e-9),             // below: skipped
        (nan, 5.0),               // NaN: skipped
        (1.5, nan),               // NaN: skipped
        (f64::INFINITY, 5.0),     // infinite: skipped
        (0.5, f64::NEG_INFINITY), // infinite: skipped
    ];
    let (x, y): (Vec<f64>, Vec<f64>) = pts.iter().copied().unzip();
    let counts = histogram2d(&x, &y, &xe, &ye);
    // counts[iy * nx + ix], nx = 3.
    assert_eq!(counts, vec![2.0, 1.0, 1.0, 0.0, 1.0, 2.0]);

    // Extra values of the longer slice are ignored.
    assert_eq!(
        histogram2d(&[0.5, 0.5, 0.5], &[5.0], &xe, &ye),
        vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    // Fewer than two edges: no bins.
    assert!(histogram2d(&x, &y, &[1.0], &ye).is_empty());
    assert!(histogram2d(&x, &y, &xe, &[]).is_empty());
    // Uneven (log) edges: 0.05 is in [0.01, 0.1), 5 in [1, 10].
    let counts = histogram2d(
        &[0.05, 5.0, 10.0],
        &[1.0; 3],
        &log_edges(0.01, 10.0, 3),
        &[0.0, 2.0],
    );
    assert_eq!(counts, vec![1.0, 0.0, 2.0]);
    // Unsorted edges give unspecified counts, but never a panic.
    let _ = histogram2d(
        &[0.5, 1.5, 2.5],
        &[1.0; 3],
        &[0.0, 2.0, 1.0, 3.0],
        &[0.0, 2.0],
    );
}

#[test]
fn heat_shades_run_from_light_to_dark() {
    let lum = |s: f64| {
        let c = heat_colour(s);
        u32::from(c.0) + u32::from(c.1) + u32::from(c.2)
    };
    let shades: Vec<u32> = (0..=100).map(|i| lum(f64::from(i) / 100.0)).collect();
    assert!(shades.windows(2).all(|w| w[0] >= w[1]), "{shades:?}");
    assert!(lum(MIN_SHADE) < 3 * 240 && lum(1.0) == 3 * 37);
    // Out-of-range shades are clamped.
    assert_eq!(heat_colour(-1.0), heat_colour(0.0));
    assert_eq!(heat_colour(2.0), heat_colour(1.0));
}

/// The error-model layout: σ on a reversed log axis, relative error on a log
/// axis, a 30 x 20 grid of counts with one peak, one half-height cell and
/// one trajectory drawn across the peak's row.
const PEAK: (usize, usize) = (5, 12);
const HALF: (usize, usize) = (20, 6);
const EMPTY: (usize, usize) = (24, 3);

fn heat_figure() -> Figure {
    let (nx, ny) = (30, 20);
    let x_edges = log_edges(0.002, 80.0, nx);
    let y_edges = log_edges(1e-3, 10.0, ny);
    let mut counts = vec![0.0; nx * ny];
    for iy in 0..ny {
        for ix in 0..nx {
            // A diagonal ridge of small counts, away from the test cells.
            if ix.abs_diff(iy) <= 1 {
                counts[iy * nx + ix] = 3.0;
            }
        }
    }
    counts[PEAK.1 * nx + PEAK.0] = 100.0;
    counts[HALF.1 * nx + HALF.0] = 50.0;
    assert_eq!(counts[EMPTY.1 * nx + EMPTY.0], 0.0);
    // The trajectory runs 3/4 of the way up the peak's row (in log terms).
    let (y0, y1) = (y_edges[PEAK.1], y_edges[PEAK.1 + 1]);
    let y_line = y0.powf(0.25) * y1.powf(0.75);
    Figure {
        title: "Relative error of the denoiser".into(),
        x_label: "noise level σ".into(),
        y_label: "relative error".into(),
        log_x: true,
        log_y: true,
        reverse_x: true,
        lines: vec![Lines {
            label: "one trajectory".into(),
            paths: vec![vec![(0.002, y_line), (80.0, y_line)]],
            arrows: false,
        }],
        heatmap: Some(Heatmap {
            label: "trajectory states".into(),
            x_edges,
            y_edges,
            counts,
            log_counts: false,
        }),
        ..Figure::default()
    }
}

/// A figure drawn into an RGB buffer, with the pixels of the data points
/// (0.002, 1e-3) and (80, 10) for mapping log-log data coordinates.
struct Raster {
    buf: Vec<u8>,
    corners: [(i32, i32); 2],
}

impl Raster {
    /// Draws `fig` (log-log, reversed x) with the same code as `render`.
    fn new(fig: &Figure) -> Raster {
        crate::font::ensure_registered().unwrap();
        assert!(fig.log_x && fig.log_y && fig.reverse_x && !fig.equal_aspect);
        let prep = prepare(fig).unwrap();
        let (w, h) = crate::SIZE;
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut buf, crate::SIZE).into_drawing_area();
            crate::draw::draw(&root, fig, &prep).unwrap();
            root.present().unwrap();
        }
        // The same layout on a scratch canvas gives the coordinate mapping.
        let mut scratch = vec![0u8; (w * h * 3) as usize];
        let root = BitMapBackend::with_buffer(&mut scratch, crate::SIZE).into_drawing_area();
        let chart = chart_builder(&root, fig)
            .build_cartesian_2d(
                (prep.x.1..prep.x.0).log_scale(),
                (prep.y.0..prep.y.1).log_scale(),
            )
            .unwrap();
        let corners = [
            chart.backend_coord(&(0.002, 1e-3)),
            chart.backend_coord(&(80.0, 10.0)),
        ];
        Raster { buf, corners }
    }

    /// The pixel of a data point, interpolated in log space between the corners.
    fn at(&self, (x, y): (f64, f64)) -> (i32, i32) {
        let [(ax, ay), (bx, by)] = self.corners;
        let fx = (x / 0.002).ln() / (80.0f64 / 0.002).ln();
        let fy = (y / 1e-3).ln() / (10.0f64 / 1e-3).ln();
        (
            (f64::from(ax) + fx * f64::from(bx - ax)).round() as i32,
            (f64::from(ay) + fy * f64::from(by - ay)).round() as i32,
        )
    }

    fn pixel(&self, (x, y): (i32, i32)) -> (u8, u8, u8) {
        let i = (y as usize * crate::SIZE.0 as usize + x as usize) * 3;
        (self.buf[i], self.buf[i + 1], self.buf[i + 2])
    }
}

fn luminance((r, g, b): (u8, u8, u8)) -> u32 {
    u32::from(r) + u32::from(g) + u32::from(b)
}

#[test]
fn heatmap_renders_beneath_an_overlaid_line() {
    let fig = heat_figure();
    let heat = fig.heatmap.as_ref().unwrap();
    let centre = |(ix, iy): (usize, usize)| {
        let (x0, x1) = (heat.x_edges[ix], heat.x_edges[ix + 1]);
        let (y0, y1) = (heat.y_edges[iy], heat.y_edges[iy + 1]);
        ((x0 * x1).sqrt(), (y0 * y1).sqrt())
    };
    let r = Raster::new(&fig);
    let (peak, half, empty) = (r.at(centre(PEAK)), r.at(centre(HALF)), r.at(centre(EMPTY)));
    // Reversed x: the small-σ peak sits right of the large-σ half cell.
    assert!(peak.0 > half.0, "{peak:?} {half:?}");
    let (p, m, e) = (r.pixel(peak), r.pixel(half), r.pixel(empty));
    assert!(luminance(p) < 3 * 60, "peak {p:?}");
    assert!(
        luminance(p) < luminance(m) && luminance(m) < luminance(e),
        "{p:?} {m:?} {e:?}"
    );
    // An empty cell is left white (up to a faint grid line).
    assert!(luminance(e) > 3 * 200, "empty {e:?}");

    // The trajectory crosses the peak cell and is drawn over it.
    let y_line = fig.lines[0].paths[0][0].1;
    let on_line = r.at((centre(PEAK).0, y_line));
    assert!(on_line.1 < peak.1 - 3, "{on_line:?} {peak:?}");
    let l = r.pixel(on_line);
    let blue = (31u8, 119u8, 180u8);
    let near = |a: u8, b: u8| a.abs_diff(b) <= 30;
    assert!(
        near(l.0, blue.0) && near(l.1, blue.1) && near(l.2, blue.2),
        "line pixel {l:?}"
    );

    // Both files are written; the SVG has one rect per non-empty cell plus
    // the legend's ramp (5 steps and a border), and the legend names the
    // heatmap with its maximum.
    let dir = tempdir().unwrap();
    let paths = render(&fig, &dir.path().join("error-model")).unwrap();
    assert_eq!(png_size(&fs::read(&paths[0]).unwrap()), (1000, 650));
    let svg = fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.contains("trajectory states (max 100)"), "legend");
    assert!(svg.contains(r##"fill="#252525""##));
    let cells = heat.counts.iter().filter(|&&c| c > 0.0).count();
    let mut bare = fig.clone();
    bare.heatmap = None;
    let bare_paths = render(&bare, &dir.path().join("bare")).unwrap();
    let bare_svg = fs::read_to_string(&bare_paths[1]).unwrap();
    assert_eq!(count(&svg, "<rect"), count(&bare_svg, "<rect") + cells + 6);
    // The line comes after every cell in drawing order.
    let last_cell = svg.rfind(r##"fill="#252525""##).unwrap();
    let line = svg.rfind(r##"stroke="#1F77B4""##).unwrap();
    assert!(line > last_cell);
}

#[test]
fn heatmap_cells_shading_and_extent() {
    let heat = Heatmap {
        label: String::new(),
        x_edges: vec![-5.0, 0.0, 5.0],
        y_edges: vec![10.0, 20.0],
        counts: vec![1.0, 1000.0],
        log_counts: false,
    };
    let fig = Figure {
        points: vec![Scatter {
            label: "cloud".into(),
            x: vec![0.0, 1.0],
            y: vec![12.0, 13.0],
        }],
        heatmap: Some(heat.clone()),
        ..Figure::default()
    };
    let prep = prepare(&fig).unwrap();
    // The axis ranges cover the heatmap's outer edges (plus 5% padding).
    assert!((prep.x.0 - -5.5).abs() < 1e-12 && (prep.x.1 - 5.5).abs() < 1e-12);
    assert!((prep.y.0 - 9.5).abs() < 1e-12 && (prep.y.1 - 20.5).abs() < 1e-12);
    let h = prep.heat.as_ref().unwrap();
    assert_eq!(h.max, 1000.0);
    assert_eq!(h.cells.len(), 2);
    assert_eq!((h.cells[1].x, h.cells[1].y), ((0.0, 5.0), (10.0, 20.0)));
    assert_eq!(h.cells[1].shade, 1.0);
    let linear = h.cells[0].shade;
    assert!((linear - (MIN_SHADE + (1.0 - MIN_SHADE) * 1e-3)).abs() < 1e-12);

    // Log shading lifts the sparse cell; zero cells are not drawn at all.
    let mut log = fig.clone();
    let lh = log.heatmap.as_mut().unwrap();
    lh.log_counts = true;
    lh.x_edges = vec![-5.0, 0.0, 5.0, 6.0];
    lh.counts = vec![1.0, 1000.0, 0.0];
    let prep = prepare(&log).unwrap();
    let h = prep.heat.as_ref().unwrap();
    assert_eq!(h.cells.len(), 2);
    let want = MIN_SHADE + (1.0 - MIN_SHADE) * 2f64.ln() / 1001f64.ln();
    assert!((h.cells[0].shade - want).abs() < 1e-12 && want > linear);

    // A heatmap alone is a figure; all-zero counts draw an empty grid.
    let dir = tempdir().unwrap();
    let alone = Figure {
        title: "alone".into(),
        heatmap: Some(Heatmap {
            label: "zeros".into(),
            counts: vec![0.0, 0.0],
            ..heat
        }),
        ..Figure::default()
    };
    assert!(prepare(&alone).unwrap().heat.unwrap().cells.is_empty());
    let paths = render(&alone, &dir.path().join("alone")).unwrap();
    let svg = fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.contains("zeros (max 0)"));
    // Linear axes, not reversed, with log shading and a fractional maximum.
    let mut frac = alone.clone();
    let fh = frac.heatmap.as_mut().unwrap();
    fh.counts = vec![0.25, 2.5];
    fh.log_counts = true;
    let paths = render(&frac, &dir.path().join("frac")).unwrap();
    let svg = fs::read_to_string(&paths[1]).unwrap();
    assert!(svg.contains("zeros (max 2.5, log shading)"));
}

#[test]
fn invalid_heatmaps_are_data_errors() {
    let dir = tempdir().unwrap();
    let good = Heatmap {
        label: "grid".into(),
        x_edges: vec![1.0, 2.0, 3.0],
        y_edges: vec![1.0, 2.0],
        counts: vec![1.0, 2.0],
        log_counts: false,
    };
    let fig = |h: Heatmap| Figure {
        // A valid series does not excuse an invalid heatmap.
        series: vec![band("band", &[1.0, 2.0, 3.0], |v| v, 0.1)],
        heatmap: Some(h),
        ..Figure::default()
    };
    assert!(prepare(&fig(good.clone())).is_ok());
    let expect = |h: Heatmap, words: &[&str]| {
        let msg = data_error(&fig(h), &dir);
        assert!(msg.contains("heatmap 'grid'"), "{msg}");
        for w in words {
            assert!(msg.contains(w), "{msg} lacks {w}");
        }
    };
    let with = |f: &dyn Fn(&mut Heatmap)| {
        let mut h = good.clone();
        f(&mut h);
        h
    };
    expect(
        with(&|h| h.x_edges = vec![1.0, 3.0, 2.0]),
        &["x_edges", "increasing"],
    );
    expect(
        with(&|h| h.y_edges = vec![1.0, 1.0]),
        &["y_edges", "increasing"],
    );
    expect(
        with(&|h| h.x_edges[1] = f64::NAN),
        &["x_edges[1]", "finite"],
    );
    expect(
        with(&|h| h.y_edges[1] = f64::INFINITY),
        &["y_edges[1]", "finite"],
    );
    expect(with(&|h| h.y_edges = vec![1.0]), &["y_edges", "at least 2"]);
    expect(
        with(&|h| {
            h.x_edges.clear();
            h.counts.clear();
        }),
        &["x_edges"],
    );
    expect(with(&|h| h.counts.push(1.0)), &["counts has 3", "need 2"]);
    expect(with(&|h| h.counts.clear()), &["counts has 0"]);
    expect(
        with(&|h| h.counts[0] = -1.0),
        &["counts[0]", "non-negative"],
    );
    expect(with(&|h| h.counts[1] = f64::NAN), &["counts[1]"]);
    expect(with(&|h| h.counts[1] = f64::INFINITY), &["counts[1]"]);

    // On a log axis every edge must be positive.
    let on_log = |h: Heatmap, log_x: bool| Figure {
        log_x,
        log_y: !log_x,
        heatmap: Some(h),
        ..Figure::default()
    };
    assert!(prepare(&on_log(good.clone(), true)).is_ok());
    let zero = with(&|h| h.x_edges = vec![0.0, 1.0, 2.0]);
    assert!(data_error(&on_log(zero.clone(), true), &dir).contains("logarithmic"));
    // ... but only on the log axis.
    assert!(prepare(&on_log(zero, false)).is_ok());
    let negative = with(&|h| h.y_edges = vec![-1.0, 2.0]);
    assert!(data_error(&on_log(negative, false), &dir).contains("y_edges"));

    // Unlabelled heatmaps are named too, and edges near the f64 limits
    // cannot be given a range.
    let huge = Heatmap {
        label: String::new(),
        x_edges: vec![-f64::MAX, f64::MAX],
        y_edges: vec![0.0, 1.0],
        counts: vec![1.0],
        log_counts: false,
    };
    data_error(&fig(huge), &dir);
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
