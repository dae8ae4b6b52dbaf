//! Figures for the geotraj workbench: lines with shaded uncertainty bands,
//! point clouds, groups of polylines (trajectories, arrow fields) and a 2-D
//! histogram (heatmap) beneath them, rendered to PNG and SVG with an embedded
//! font (no system fonts), each file written atomically; and grids of small
//! images (samples, denoising strips) as PNG.

mod data;
mod draw;
mod error;
mod font;
mod hist;
pub mod image_grid;
mod output;
mod ticks;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use plotters::prelude::{BitMapBackend, IntoDrawingArea, SVGBackend};

pub use error::PlotError;
pub use hist::{histogram2d, linear_edges, log_edges};
pub use image_grid::{ImageGrid, image_grid};

/// Pixel size of both outputs (the SVG uses it as its user-unit canvas).
const SIZE: (u32, u32) = (1000, 650);

/// A line (`mid`) with a shaded band `lo..hi` around it. Where `lo` and `hi`
/// equal `mid` no band is drawn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Band {
    pub label: String,
    pub x: Vec<f64>,
    pub mid: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

/// A point cloud, e.g. 2-D samples.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scatter {
    pub label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

/// A group of polylines drawn in one colour with one legend entry, e.g. many
/// 2-D sampling trajectories, or (with `arrows`) a vector field drawn as
/// segments [tail, head] with an arrowhead at each head.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lines {
    pub label: String,
    /// Each polyline as (x, y) points in drawing order (x need not be sorted).
    pub paths: Vec<Vec<(f64, f64)>>,
    /// Draw an arrowhead at the last point of every path.
    pub arrows: bool,
}

/// A 2-D histogram drawn as filled cells beneath everything else, shaded
/// light (few counts) to dark (the maximum); cells with a zero count are
/// left undrawn. Bin edges are in data coordinates (on a log axis they must
/// all be positive), and the axis ranges always include the outer edges.
/// `histogram2d`, `linear_edges` and `log_edges` build the pieces.
///
/// With a non-empty label the legend gets an entry with a shade ramp, the
/// label and the maximum count.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Heatmap {
    pub label: String,
    /// `nx + 1` strictly increasing, finite bin edges along x.
    pub x_edges: Vec<f64>,
    /// `ny + 1` strictly increasing, finite bin edges along y.
    pub y_edges: Vec<f64>,
    /// `ny * nx` finite, non-negative counts, row by row:
    /// `counts[iy * nx + ix]` is the cell `x_edges[ix]..x_edges[ix + 1]`,
    /// `y_edges[iy]..y_edges[iy + 1]`.
    pub counts: Vec<f64>,
    /// Shade by `ln(1 + count)` instead of `count`, so that sparse cells stay
    /// visible next to a dense peak.
    pub log_counts: bool,
}

/// One chart. With `reverse_x` the x axis decreases left to right (diffusion
/// plots show σ from large to small). With `equal_aspect` one data unit has
/// the same length on screen on both axes (the narrower range is widened;
/// on a log axis the unit is a decade).
///
/// Colours follow one palette in the order bands, line groups, point clouds;
/// the heatmap (if any) is drawn first, beneath the grid, and line groups are
/// drawn on top of everything else. Series with an empty label get no legend
/// entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figure {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub reverse_x: bool,
    pub series: Vec<Band>,
    pub points: Vec<Scatter>,
    pub lines: Vec<Lines>,
    pub equal_aspect: bool,
    pub heatmap: Option<Heatmap>,
}

/// Renders `fig` to `{stem}.png` (1000x650) and `{stem}.svg`, creating the
/// parent directory, and returns both paths (PNG first).
///
/// Non-finite values (and non-positive ones on a log axis) are skipped, and a
/// line or path breaks where one was skipped. The figure is checked before anything
/// is written: empty figures, mismatched lengths, figures without a single
/// drawable value and invalid heatmaps (edges not finite and strictly
/// increasing, or not positive on a log axis; a wrong number of counts;
/// negative or non-finite counts) are `PlotError::Data`. Both files are rendered to temporary
/// siblings first and renamed only once both have succeeded.
pub fn render(fig: &Figure, stem: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let prep = data::prepare(fig)?;
    let png = output::with_suffix(stem, ".png")?;
    let svg = output::with_suffix(stem, ".svg")?;
    font::ensure_registered().map_err(|m| PlotError::draw(&png, m))?;
    output::create_parent(&png)?;

    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        draw::draw(&root, fig, &prep).map_err(|m| PlotError::draw(&svg, m))?;
        root.present()
            .map_err(|e| PlotError::draw(&svg, e.to_string()))?;
    }
    let svg_tmp = output::TempFile::beside(&svg);
    svg_tmp.write(text.as_bytes())?;

    let png_tmp = output::TempFile::beside(&png);
    {
        let root = BitMapBackend::new(&png_tmp.path, SIZE).into_drawing_area();
        draw::draw(&root, fig, &prep).map_err(|m| PlotError::draw(&png, m))?;
        // present() encodes and saves; dropping the backend would swallow errors.
        root.present()
            .map_err(|e| PlotError::draw(&png, e.to_string()))?;
    }

    Ok(vec![png_tmp.commit()?, svg_tmp.commit()?])
}
