//! `[export]`: a case's first trajectories written batch by batch into the
//! staged tables folder (so memory stays at one batch, and the files appear
//! only with the whole run). Layout: notebooks-data/README.md.

use crate::config::{ExportConfig, ExportFormat, ExportPart};
use anyhow::Context as _;
use geotraj_records::{ArrayStream, Dtype, write_json};
use geotraj_sampling::Trajectories;
use serde_json::json;
use std::path::{Path, PathBuf};

/// What names the files and goes into their metadata.
pub struct ExportCase<'a> {
    pub dir: &'a Path,
    pub data: &'a str,
    pub sampler: &'a str,
    pub solver: String,
    pub seed: u64,
    pub item_shape: &'a [usize],
    /// The run's trajectories per case.
    pub n: usize,
}

/// The open files of one case, created at its first batch (when the
/// evaluation layout is known).
pub struct Exporter<'a> {
    config: &'a ExportConfig,
    case: ExportCase<'a>,
    /// Trajectories written: the first `k` of the case.
    k: usize,
    open: Option<Open>,
}

enum Open {
    /// One file per part, and the JSON sidecar written at the end.
    Npy {
        files: Vec<(ExportPart, ArrayStream)>,
        sidecar: (PathBuf, serde_json::Value),
    },
    Safetensors(ArrayStream),
}

/// A part's tensor name in a safetensors file, and its file prefix.
fn names(part: ExportPart) -> (&'static str, &'static str) {
    match part {
        ExportPart::States => ("x", "states"),
        ExportPart::Denoised => ("denoised", "denoised"),
        ExportPart::Evals => ("evals", "evals"),
    }
}

/// D(x_n; sigma_n) of the first `take` trajectories at every state, NaN
/// where the solver made no evaluation at the state.
fn denoised_at_states(t: &Trajectories, take: usize) -> Vec<f32> {
    let (d, points) = (t.d, t.steps() + 1);
    let mut at_step = vec![None; points];
    for e in (0..t.nfe()).filter(|&e| t.eval_at_state[e]) {
        at_step[t.eval_step[e]] = Some(e);
    }
    let mut out = vec![f32::NAN; take * points * d];
    for i in 0..take {
        for (step, e) in at_step.iter().enumerate() {
            if let Some(e) = *e {
                let o = (i * points + step) * d;
                out[o..o + d].copy_from_slice(t.eval(i, e));
            }
        }
    }
    out
}

impl<'a> Exporter<'a> {
    pub fn new(config: &'a ExportConfig, case: ExportCase<'a>) -> Self {
        let k = config.trajectories.unwrap_or(case.n).min(case.n);
        Exporter {
            config,
            case,
            k,
            open: None,
        }
    }

    fn shape(&self, per: usize) -> Vec<usize> {
        [self.k, per]
            .into_iter()
            .chain(self.case.item_shape.iter().copied())
            .collect()
    }

    fn open(&self, t: &Trajectories) -> anyhow::Result<Open> {
        let c = &self.case;
        let stem = format!("{}-{}", c.data, c.sampler);
        let points = t.steps() + 1;
        let per = |part| match part {
            ExportPart::Evals => t.nfe(),
            _ => points,
        };
        match self.config.format() {
            ExportFormat::Npy => {
                let mut files = Vec::new();
                let mut listed = serde_json::Map::new();
                for &part in self.config.parts() {
                    let name = format!("{}-{stem}.npy", names(part).1);
                    let path = c.dir.join(&name);
                    files.push((
                        part,
                        ArrayStream::npy(&path, Dtype::F32, &self.shape(per(part)))?,
                    ));
                    listed.insert(names(part).1.into(), json!(name));
                }
                let meta = json!({
                    "format": "geotraj-trajectories-1",
                    "data": c.data,
                    "sampler": c.sampler,
                    "solver": c.solver,
                    "seed": c.seed,
                    "trajectories": self.k,
                    "item_shape": c.item_shape,
                    "sigma": t.sigmas,
                    "eval_sigma": t.eval_sigma,
                    "eval_step": t.eval_step,
                    "eval_at_state": t.eval_at_state,
                    "files": listed,
                });
                let sidecar = c.dir.join(format!("export-{stem}.json"));
                Ok(Open::Npy {
                    files,
                    sidecar: (sidecar, meta),
                })
            }
            ExportFormat::Safetensors => {
                let mut arrays: Vec<(&str, Dtype, Vec<usize>)> = self
                    .config
                    .parts()
                    .iter()
                    .map(|&part| (names(part).0, Dtype::F32, self.shape(per(part))))
                    .collect();
                arrays.push(("sigma", Dtype::F64, vec![points]));
                arrays.push(("trajectory", Dtype::I64, vec![self.k]));
                arrays.push(("eval_sigma", Dtype::F64, vec![t.nfe()]));
                arrays.push(("eval_step", Dtype::I64, vec![t.nfe()]));
                let metadata = [
                    ("format", "geotraj-trajectories-1".to_string()),
                    ("data", c.data.to_string()),
                    ("sampler", c.sampler.to_string()),
                    ("solver", c.solver.clone()),
                    ("seed", c.seed.to_string()),
                    ("item_shape", json!(c.item_shape).to_string()),
                ];
                let path = c.dir.join(format!("trajectories-{stem}.safetensors"));
                let mut s = ArrayStream::safetensors(&path, &arrays, &metadata)?;
                s.write("sigma", 0, &t.sigmas)?;
                s.write("trajectory", 0, &(0..self.k as i64).collect::<Vec<_>>())?;
                s.write("eval_sigma", 0, &t.eval_sigma)?;
                let steps: Vec<i64> = t.eval_step.iter().map(|&s| s as i64).collect();
                s.write("eval_step", 0, &steps)?;
                Ok(Open::Safetensors(s))
            }
        }
    }

    /// Writes the rows of batch `t` (trajectories `first`..) that are among
    /// the first `k`.
    pub fn add(&mut self, first: usize, t: &Trajectories) -> anyhow::Result<()> {
        let take = self.k.saturating_sub(first).min(t.n);
        if take == 0 {
            return Ok(());
        }
        if self.open.is_none() {
            self.open = Some(self.open(t)?);
        }
        let (d, points, nfe) = (t.d, t.steps() + 1, t.nfe());
        let open = self.open.as_mut().expect("opened above");
        for &part in self.config.parts() {
            let (values, per) = match part {
                ExportPart::States => (t.states[..take * points * d].to_vec(), points),
                ExportPart::Evals => (t.evals[..take * nfe * d].to_vec(), nfe),
                ExportPart::Denoised => (denoised_at_states(t, take), points),
            };
            let at = (first * per * d) as u64;
            match open {
                Open::Npy { files, .. } => {
                    let (_, s) = files
                        .iter_mut()
                        .find(|(p, _)| *p == part)
                        .context("export: a part without its file")?;
                    s.write("", at, &values)?;
                }
                Open::Safetensors(s) => s.write(names(part).0, at, &values)?,
            }
        }
        Ok(())
    }

    /// Checks every file is complete; writes the sidecar; returns the paths.
    pub fn finish(self) -> anyhow::Result<Vec<PathBuf>> {
        let mut out = Vec::new();
        match self.open {
            None => {}
            Some(Open::Npy { files, sidecar }) => {
                for (_, s) in files {
                    out.push(s.finish()?);
                }
                write_json(&sidecar.0, &sidecar.1)?;
                out.push(sidecar.0);
            }
            Some(Open::Safetensors(s)) => out.push(s.finish()?),
        }
        Ok(out)
    }
}
