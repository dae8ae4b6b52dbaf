//! Fixtures shared by the unit tests of several modules (figures, output
//! inspection); declared only under `cfg(test)` in lib.rs.

use std::fs;
use std::path::Path;

use crate::{Band, Figure};

/// Sorted file names in `dir`; none if it does not exist.
pub(crate) fn list(dir: &Path) -> Vec<String> {
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
pub(crate) fn sigmas(n: usize) -> Vec<f64> {
    let (a, b) = (80f64.ln(), 0.002f64.ln());
    (0..n)
        .map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp())
        .collect()
}

pub(crate) fn band(label: &str, x: &[f64], f: impl Fn(f64) -> f64, rel: f64) -> Band {
    let mid: Vec<f64> = x.iter().map(|&s| f(s)).collect();
    Band {
        label: label.to_string(),
        x: x.to_vec(),
        lo: mid.iter().map(|m| m * (1.0 - rel)).collect(),
        hi: mid.iter().map(|m| m * (1.0 + rel)).collect(),
        mid,
    }
}

pub(crate) fn sigma_figure() -> Figure {
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
        view: None,
    }
}

/// Reads width and height from the IHDR chunk, which the PNG format requires
/// to come first: signature (8), length (4), "IHDR" (4), width, height.
pub(crate) fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

/// The x attribute of the SVG `<text>` element whose (trimmed) content is
/// `label`; plotters puts the content on its own line.
pub(crate) fn svg_text_x(svg: &str, label: &str) -> f64 {
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

/// `n` spiralling 2-D trajectories of `steps` points each, converging on the
/// unit circle.
pub(crate) fn trajectories(n: usize, steps: usize) -> Vec<Vec<(f64, f64)>> {
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
