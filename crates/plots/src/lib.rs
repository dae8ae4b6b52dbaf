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
mod tests;

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
