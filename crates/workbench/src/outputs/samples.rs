//! Final samples for other programs: `samples-{data}-{label}.npy` (N x item
//! shape, N x C x H x W for images) for every case of a trajectory run and,
//! with `[export]`, every cell of a sweep; with `export.png` also the folder
//! `samples-{data}-{label}/` of PNG files, which pytorch-fid and clean-fid
//! read unchanged.

use crate::config::Config;
use crate::context::LoadedData;
use crate::context::image_shape;
use crate::execute::sweep::SweepResult;
use crate::plan::Cell;
use geotraj_data::write_png_folder;
use geotraj_records::write_npy;
use std::path::{Path, PathBuf};

/// One set of final samples.
pub struct Samples<'a> {
    pub data: &'a str,
    pub label: &'a str,
    pub item_shape: &'a [usize],
    /// n x d.
    pub values: &'a [f32],
}

/// Writes the .npy and, when the config asks, the PNG folder.
pub fn write(config: &Config, s: &Samples, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let stem = format!("samples-{}-{}", s.data, s.label);
    let d: usize = s.item_shape.iter().product::<usize>().max(1);
    let n = s.values.len() / d;
    let shape: Vec<usize> = std::iter::once(n)
        .chain(s.item_shape.iter().copied())
        .collect();
    let npy = dir.join(format!("{stem}.npy"));
    write_npy(&npy, &shape, s.values)?;
    let mut written = vec![npy];
    if config.export.as_ref().is_some_and(|e| e.png) {
        // Planning refused PNG export for data that is not images.
        let image = image_shape(s.item_shape, d).ok_or_else(|| {
            anyhow::anyhow!("{stem}: items of shape {:?} are not images", s.item_shape)
        })?;
        written.push(write_png_folder(&dir.join(&stem), image, s.values)?);
    }
    Ok(written)
}

/// A sweep cell's name in file names: its sampler label, schedule, steps.
pub fn cell_label(c: &Cell) -> String {
    format!("{}-{}-{}", sampler_label(c), c.schedule.name(), c.steps)
}

/// A sweep cell's sampler label: the sampler as the sweep names it, with
/// the parameters the sweep varies (`gradient-estimation-gamma2`), safe
/// in file names.
pub fn sampler_label(c: &Cell) -> String {
    let mut s = c.sampler.replace('+', "p");
    if let Some(o) = c.order {
        s += &format!("-order{o}");
    }
    if let Some(g) = c.gamma {
        s += &format!("-gamma{g}");
    }
    if let Some(m) = c.mu {
        s += &format!("-mu{m}");
    }
    s.chars()
        .map(|ch| match ch {
            ch if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '.' => ch,
            _ => '-',
        })
        .collect()
}

/// With `[export]`: every sweep cell's samples.
pub fn write_sweep(
    config: &Config,
    data: &[LoadedData],
    result: &SweepResult,
    dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    if config.export.is_none() {
        return Ok(written);
    }
    for row in &result.rows {
        let Some(loaded) = data.iter().find(|l| l.label == row.data) else {
            anyhow::bail!("sweep row of data \"{}\" without its data set", row.data);
        };
        written.extend(write(
            config,
            &Samples {
                data: &row.data,
                label: &cell_label(&row.cell),
                item_shape: &loaded.data.item_shape,
                values: &row.samples,
            },
            dir,
        )?);
    }
    Ok(written)
}
