//! Jump-early quality's table and figure: FD against NFE for x_n and for
//! D(x_n), per sampler, one figure per data set.

use super::style::line;
use crate::execute::case::Case;
use geotraj_records::Table;

/// The jump-quality table of every case that has one, and one figure per
/// data set: FD against NFE for x_n and for D(x_n), per sampler.
pub fn write(
    experiment: &str,
    cases: &[Case],
    tables: &std::path::Path,
    figures: &std::path::Path,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let with: Vec<&Case> = cases.iter().filter(|c| c.jump_quality.is_some()).collect();
    if with.is_empty() {
        return Ok(Vec::new());
    }
    let mut table = Table::new();
    for c in &with {
        let q = c.jump_quality.as_ref().expect("filtered");
        table.append(q.table(&c.data, &c.sampler))?;
    }
    let mut written = super::tables::write_table(experiment, &table, tables, "jump-quality")?;
    let mut datas: Vec<&str> = Vec::new();
    for c in &with {
        if !datas.contains(&c.data.as_str()) {
            datas.push(&c.data);
        }
    }
    for data in datas {
        let mut series = Vec::new();
        for c in with.iter().filter(|c| c.data == data) {
            let q = c.jump_quality.as_ref().expect("filtered");
            // NFE 0 (pure noise) and -1 (no D(x_n)) have no place on a log axis.
            let curve = |label: String, nfe: Vec<i64>, fd: &[f64]| {
                let (x, y) = nfe
                    .into_iter()
                    .zip(fd)
                    .filter(|(n, _)| *n > 0)
                    .map(|(n, &f)| (n as f64, f))
                    .unzip();
                line(label, x, y)
            };
            let nfe_state = q.nfe_state.iter().map(|&n| n as i64).collect();
            series.push(curve(format!("{} x_n", c.sampler), nfe_state, &q.fd_state));
            series.push(curve(
                format!("{} D(x_n)", c.sampler),
                q.nfe_denoised.clone(),
                &q.fd_denoised,
            ));
        }
        let fig = geotraj_plots::Figure {
            title: format!("{data}: stopping early at x_n or jumping to D(x_n)"),
            x_label: "NFE".into(),
            y_label: match with[0].jump_quality.as_ref().map(|q| q.features) {
                Some(crate::config::QualityFeatures::Inception) => {
                    "FID to held-out data (Inception features)".into()
                }
                Some(crate::config::QualityFeatures::Classifier) => {
                    "FD-classifier to held-out data".into()
                }
                _ => "FD-PCA to held-out data".into(),
            },
            log_x: true,
            log_y: true,
            series,
            ..geotraj_plots::Figure::default()
        };
        written.extend(geotraj_plots::render(
            &fig,
            &figures.join(format!("jump-quality-{data}")),
        )?);
    }
    Ok(written)
}

/// One summary line per case: D(x_n)'s first NFE within 10 % of x_N's FD.
pub fn summary(cases: &[Case]) -> String {
    let mut s = String::new();
    for c in cases {
        let Some(q) = &c.jump_quality else { continue };
        let last = q.fd_state.last().copied().unwrap_or(f64::NAN);
        let total = q.nfe_state.last().copied().unwrap_or(0);
        let label = q.features.label();
        s += &match q.early(1.1) {
            Some((nfe, fd)) => format!(
                "{} {}: D(x_n) reaches {label} {fd:.4} (within 10 % of x_N's {last:.4}) after {nfe} of {total} NFE\n",
                c.data, c.sampler
            ),
            None => format!(
                "{} {}: D(x_n) stays above 1.1 x x_N's {label} {last:.4} before the end\n",
                c.data, c.sampler
            ),
        };
    }
    s
}
