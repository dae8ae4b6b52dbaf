//! `run-experiment fid A B --weights pt_inception-2015-12-05-6726825d.pth`:
//! FID as pytorch-fid computes it, between two sets each given as a
//! folder of PNG images, any data file geotraj reads (a run's exported
//! samples, CIFAR-10, .npy/.npz images) or a pytorch-fid statistics file
//! (.npz with mu and sigma); `--save-stats` writes a set's statistics
//! for pytorch-fid or a later run.

use crate::analyze::data_config;
use crate::context::device::{DeviceChoice, Selected, select};
use crate::context::inception::{features, image_shape, load_inception};
use anyhow::{Context as _, bail};
use burn::tensor::Device;
use clap::Parser;
use geotraj_data::Dataset;
use geotraj_denoise::pretrained::{FID_DIMS, FidInception};
use geotraj_metrics::linalg::covariance;
use geotraj_metrics::{FeatureStats, frechet_distance, read_fid_stats, write_fid_stats};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(
    name = "run-experiment fid",
    about = "FID between two image sets as pytorch-fid computes it (Inception-v3 pool3 features)",
    after_help = "Each SET is a pytorch-fid statistics file (.npz with mu and sigma), a folder of PNG \
        images, a CIFAR-10 folder or .bin, or an .npy/.npz array of images (C x H x W, 1 or 3 \
        channels, values in [-1, 1] as geotraj writes samples).\n\nExamples:\n  \
        run-experiment fid samples/ cifar10-train-stats.npz --weights pt_inception-2015-12-05-6726825d.pth\n  \
        run-experiment fid data/cifar-10-batches-bin --save-stats cifar10-train.npz --weights pt_inception.pth"
)]
pub struct FidArgs {
    /// One set, or two to compare.
    #[arg(required = true, num_args = 1..=2)]
    pub sets: Vec<PathBuf>,
    /// pytorch-fid's Inception weights file (pt_inception-2015-12-05-6726825d.pth).
    #[arg(long)]
    pub weights: PathBuf,
    /// Write the statistics of the (one) set to this .npz instead of comparing.
    #[arg(long, value_name = "OUT.npz")]
    pub save_stats: Option<PathBuf>,
    /// Feature dimension (pytorch-fid's --dims): 64, 192, 768 or 2048.
    #[arg(long, default_value_t = 2048)]
    pub dims: usize,
    /// Images per Inception forward pass.
    #[arg(long, default_value_t = 50)]
    pub batch_size: usize,
    #[arg(long, value_enum, default_value_t = DeviceChoice::Auto)]
    pub device: DeviceChoice,
}

/// `fid ARGS...` (without the word itself); the exit code.
pub fn main(argv: &[String]) -> i32 {
    let args = match FidArgs::try_parse_from(argv) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    match fid(&args) {
        Ok(line) => {
            println!("{line}");
            0
        }
        Err(e) => {
            eprintln!("error: {}", crate::message::message(&e));
            1
        }
    }
}

/// Runs the command; returns the line it prints.
pub fn fid(args: &FidArgs) -> anyhow::Result<String> {
    if !FID_DIMS.contains(&args.dims) {
        bail!(
            "--dims: one of {FID_DIMS:?} (pytorch-fid's blocks), found {}",
            args.dims
        );
    }
    if args.batch_size == 0 {
        bail!("--batch-size: at least 1");
    }
    match (&args.save_stats, args.sets.len()) {
        (Some(_), 2) => bail!("--save-stats takes one set, found two"),
        (None, 1) => bail!("give two sets to compare, or one with --save-stats OUT.npz"),
        _ => {}
    }
    let mut judge = Judge { args, net: None };
    let first = judge.stats(&args.sets[0])?;
    if let Some(out) = &args.save_stats {
        write_fid_stats(out, &first).map_err(anyhow::Error::msg)?;
        return Ok(format!(
            "wrote {} ({}-d statistics of {})",
            out.display(),
            first.k,
            args.sets[0].display()
        ));
    }
    let second = judge.stats(&args.sets[1])?;
    if first.k != second.k {
        bail!(
            "{} holds {}-d statistics, {} {}-d ones",
            args.sets[0].display(),
            first.k,
            args.sets[1].display(),
            second.k
        );
    }
    Ok(format!("FID: {}", frechet_distance(&first, &second)))
}

/// The Inception network, loaded once the first image set needs it.
struct Judge<'a> {
    args: &'a FidArgs,
    net: Option<(FidInception, Device)>,
}

impl Judge<'_> {
    fn stats(&mut self, path: &Path) -> anyhow::Result<FeatureStats> {
        if is_stats_file(path) {
            let s = read_fid_stats(path).map_err(anyhow::Error::msg)?;
            if s.k != self.args.dims {
                bail!(
                    "{}: {}-d statistics, but --dims is {}",
                    path.display(),
                    s.k,
                    self.args.dims
                );
            }
            return Ok(s);
        }
        let cfg = data_config(path, "images")?;
        let data = crate::context::load::load(&cfg, 0)?;
        image_stack(&data)?;
        if self.net.is_none() {
            let Selected { device, .. } = select(self.args.device)?;
            self.net = Some((load_inception(&self.args.weights, &device)?, device));
        }
        let (net, device) = self.net.as_ref().expect("loaded above");
        let t = Instant::now();
        let stats = inception_stats(net, &data, self.args.dims, self.args.batch_size, device)?;
        eprintln!(
            "{}: {} images, {:.1} images/s",
            path.display(),
            data.n,
            data.n as f64 / t.elapsed().as_secs_f64()
        );
        Ok(stats)
    }
}

/// An .npz holding pytorch-fid's `mu` and `sigma`.
fn is_stats_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npz"))
        && geotraj_data::npz_keys(path)
            .is_ok_and(|k| k.iter().any(|k| k == "mu") && k.iter().any(|k| k == "sigma"))
}

/// Statistics of a data set's images in `dims`-d Inception features
/// (see `context::inception` for the quantisation).
pub fn inception_stats(
    net: &FidInception,
    data: &Dataset,
    dims: usize,
    batch_size: usize,
    device: &Device,
) -> anyhow::Result<FeatureStats> {
    let shape = image_stack(data)?;
    let f = features(net, &data.rows, data.n, shape, dims, batch_size, device)
        .with_context(|| data.source.clone())?;
    let (mean, cov) = covariance(&f, data.n, dims);
    Ok(FeatureStats { mean, cov, k: dims })
}

/// (C, H, W) of a data set of at least two images.
fn image_stack(data: &Dataset) -> anyhow::Result<[usize; 3]> {
    let shape = image_shape(&data.item_shape, &data.source, "FID")?;
    if data.n < 2 {
        bail!(
            "{}: FID needs at least 2 images, found {}",
            data.source,
            data.n
        );
    }
    Ok(shape)
}
