//! A report per run: README.md (key numbers beside the papers', summary,
//! figures, config, provenance) and report.json in the run's figures folder;
//! and the index reports/README.md over every run's report.json.

mod captions;
pub mod key_numbers;

use crate::context::memory;
pub use crate::context::shown_path;
use crate::execute::{Outcome, Run};
use crate::outputs::style::fmt_num;
use anyhow::bail;
use geotraj_records::{atomic_write, write_json};
use key_numbers::{KeyNumber, key_numbers};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The default parent of every run's figures folder (no `--out`).
const REPORTS: &str = "reports";

/// Writes the run's outputs (tables, figures, run.json), then its report,
/// into the staged folders; swaps them into place; refreshes
/// reports/README.md when the run writes to the default `reports/NAME`.
/// Returns every path written, in order, where it now is.
pub fn publish(run: &mut Run, argv: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    let mut written = crate::outputs::write(run, argv)?;
    let run_json = written.last().expect("run.json is written last").clone();
    written.extend(write(run, &written, &run_json)?);
    run.meta.staging.commit()?;
    let mut written: Vec<PathBuf> = written
        .iter()
        .map(|p| run.meta.staging.final_path(p))
        .collect();
    if run.meta.staging.final_dirs.figures.parent() == Some(Path::new(REPORTS)) {
        // The run's own outputs are in place; a stale index is not worth failing it.
        match write_index(Path::new(REPORTS)) {
            Ok(p) => written.push(p),
            Err(e) => eprintln!("warning: reports index not refreshed: {e}"),
        }
    }
    Ok(written)
}

/// Prints a finished run's summary and where its files went.
pub fn print_done(run: &Run, written: &[PathBuf]) {
    let dirs = &run.meta.staging.final_dirs;
    println!("{}", crate::outputs::summary(run));
    println!("device: {}", run.meta.device);
    println!(
        "wrote {} files: tables and run.json in {}, figures and report in {}",
        written.len(),
        dirs.tables.display(),
        dirs.figures.display()
    );
}

/// Writes README.md and report.json into the run's (staged) figures folder,
/// after run.json. `written` is every file the run wrote, in order.
pub fn write(run: &Run, written: &[PathBuf], run_json: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let figures_dir = &run.meta.dirs.figures;
    let mut pngs: Vec<String> = Vec::new();
    for p in written {
        if p.parent() == Some(figures_dir.as_path())
            && p.extension().is_some_and(|e| e == "png")
            && let Some(stem) = p.file_stem().map(|s| s.to_string_lossy().into_owned())
            && !pngs.contains(&stem)
        {
            pngs.push(stem);
        }
    }
    let tables: Vec<String> = written
        .iter()
        .filter(|p| {
            p.parent() == Some(run.meta.dirs.tables.as_path())
                && p.extension().is_some_and(|e| e == "parquet")
        })
        .filter_map(|p| Some(p.file_stem()?.to_string_lossy().into_owned()))
        .collect();
    let keys = key_numbers(run);
    let seconds = wall_seconds(run.meta.started_unix);
    let readme = figures_dir.join("README.md");
    let text = markdown(run, &keys, &pngs, &tables, run_json, seconds);
    atomic_write(&readme, |w| w.write_all(text.as_bytes()))?;
    let json_path = figures_dir.join("report.json");
    let value = json!({
        "name": run.plan.config.name,
        "description": run.plan.config.description,
        "quick": run.plan.quick,
        "commit": env!("GEOTRAJ_GIT_COMMIT"),
        "started_unix": run.meta.started_unix,
        "seconds": seconds,
        "key_numbers": keys,
    });
    write_json(&json_path, &value)?;
    Ok(vec![readme, json_path])
}

/// Seconds since the run started (whole-second start, so up to 1 s more).
fn wall_seconds(started_unix: u64) -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
        - started_unix as f64
}

/// A table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The key numbers as a markdown table (an empty string without rows).
pub fn key_table(keys: &[KeyNumber]) -> String {
    if keys.is_empty() {
        return String::new();
    }
    let mut s =
        String::from("| measure | case | geotraj | papers | source |\n|---|---|---:|---|---|\n");
    for k in keys {
        s += &format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(&k.measure),
            cell(&k.case),
            cell(&k.text),
            cell(&k.papers),
            cell(&k.source)
        );
    }
    s
}

/// The README.md of one run.
fn markdown(
    run: &Run,
    keys: &[KeyNumber],
    pngs: &[String],
    tables: &[String],
    run_json: &Path,
    seconds: f64,
) -> String {
    let c = &run.plan.config;
    let mut s = format!("# {}\n\n", c.name);
    if !c.description.is_empty() {
        s += &format!("{}\n\n", c.description);
    }
    s += &format!("Reproduce: `{}`\n\n", run.meta.reproduce);
    s += if run.plan.quick {
        "This was a **quick** run (the file's `[quick]` table, or 16 trajectories and 2,000 data rows): numbers are rough.\n\n"
    } else {
        "This was a **full** run.\n\n"
    };
    s += "## Key numbers\n\n";
    if keys.is_empty() {
        s += "This run computes none of the measures with a key number.\n\n";
    } else {
        if run.plan.quick {
            // A quick run's numbers must not pass for a full run's.
            let marked: Vec<KeyNumber> = keys
                .iter()
                .map(|k| KeyNumber {
                    text: format!("{} (quick)", k.text),
                    ..k.clone()
                })
                .collect();
            s += &key_table(&marked);
        } else {
            s += &key_table(keys);
        }
        s += "\nThe papers' values are for CIFAR-10 with a learned model; geotraj's come from this run's data and denoiser.";
        if run.trajectories().is_some_and(|t| !t.cases.is_empty()) {
            s += " Trajectory measures are medians over trajectories.";
        }
        s += "\n";

        if let Outcome::Sweep(r) = &run.outcome
            && r.features == crate::config::QualityFeatures::Classifier
        {
            s += "\ngeotraj's FD-classifier is a Fréchet distance in the penultimate features of ";
            s += &r.feature_notes.join("; ");
            s += ", against held-out data; it judges samples in the data's own domain, not as FID does on Inception features: compare ratios and orderings with the papers, not values.\n";
        }
        if matches!(&run.outcome, Outcome::Sweep(r) if r.features == crate::config::QualityFeatures::Pca)
        {
            s += "\ngeotraj's FD-PCA is a Fréchet distance in PCA features (the top `quality.pca_dim` components of the training data) against held-out data, not FID on Inception features: compare ratios and orderings, not values.\n";
        }
        s += "\n";
    }
    s += &format!(
        "## Summary\n\n```\n{}\n```\n\n",
        crate::outputs::summary(run).trim_end()
    );
    s += "## Figures\n\n";
    if pngs.is_empty() {
        s += "This run drew no figures.\n\n";
    }
    for stem in pngs {
        s += &format!(
            "![{stem}]({stem}.png)\n\n*{stem}*: {}\n\n",
            captions::caption(stem)
        );
    }
    let folder = shown_path(&run.meta.staging.final_dirs.tables);
    s += &captions::tables_section(tables, &folder);
    s += &format!(
        "## Config\n\n```toml\n{}\n```\n\n",
        run.meta.config_text.trim_end()
    );
    let memory = memory::peak_rss_bytes().map_or("n/a".to_string(), |b| {
        format!("{} MiB", fmt_num(b as f64 / (1u64 << 20) as f64))
    });
    s += &format!(
        "## Provenance\n\n\
         - git commit: `{}`\n\
         - geotraj version: {}\n\
         - started: {}\n\
         - device: {}\n\
         - threads: {}\n\
         - wall time: {seconds:.0} s (from the whole second the run started)\n\
         - peak memory: {memory}\n\
         - run.json: `{}`\n",
        env!("GEOTRAJ_GIT_COMMIT"),
        env!("CARGO_PKG_VERSION"),
        utc_date(run.meta.started_unix),
        run.meta.device,
        rayon::current_num_threads(),
        run.meta.staging.final_path(run_json).display()
    );
    s
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic
/// Gregorian; H. Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// "YYYY-MM-DD HH:MM:SS UTC" of a Unix time.
pub fn utc_date(unix: u64) -> String {
    let (y, m, d) = civil_from_days(unix / 86_400);
    let t = unix % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// Rewrites `reports/README.md` from every `reports/*/report.json`, one
/// row per run with its first key number as the headline. Unreadable or
/// malformed report.json files are skipped. Returns the index's path.
pub fn write_index(reports: &Path) -> anyhow::Result<PathBuf> {
    let mut dirs: Vec<PathBuf> = match std::fs::read_dir(reports) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            // Hidden folders are other runs' staged outputs.
            .filter(|p| {
                p.is_dir()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect(),
        Err(e) => bail!("{}: {e}", reports.display()),
    };
    dirs.sort();
    let mut rows = String::new();
    for dir in dirs {
        let Some(dir_name) = dir.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let Some(v) = std::fs::read(dir.join("report.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        else {
            continue;
        };
        let Some(name) = v["name"].as_str() else {
            continue;
        };
        let run = format!(
            "{}, {}",
            if v["quick"].as_bool() == Some(true) {
                "quick"
            } else {
                "full"
            },
            v["started_unix"]
                .as_u64()
                .map_or("?".into(), |t| utc_date(t)[..10].to_string())
        );
        let first = &v["key_numbers"][0];
        let (headline, papers) = match (
            first["measure"].as_str(),
            first["case"].as_str(),
            first["text"].as_str(),
        ) {
            (Some(m), Some(c), Some(t)) => (
                format!("{m}, {c}: {t}"),
                first["papers"].as_str().unwrap_or("—").to_string(),
            ),
            _ => ("—".into(), "—".into()),
        };
        rows += &format!(
            "| [{}]({dir_name}/README.md) | {} | {} | {} | {} |\n",
            cell(name),
            cell(v["description"].as_str().unwrap_or("")),
            run,
            cell(&headline),
            cell(&papers)
        );
    }
    let mut s = String::from(
        "# reports/\n\n\
         Figures of each run of `run-experiment experiments/NAME.toml` go to\n\
         `reports/NAME/` as PNG and SVG, with a `README.md` report (key numbers\n\
         beside the papers', summary, figures, config, provenance) and its\n\
         `report.json`. The reports, their JSON and PNGs kept in the repository\n\
         are the published runs (each says whether it was full or quick); any\n\
         run rewrites its folder, and SVGs stay out of git. The tables behind\n\
         them are in `notebooks-data/NAME/`.\n\n\
         This index is rewritten from `reports/*/report.json` after every run\n\
         without `--out`.\n\n",
    );
    if rows.is_empty() {
        s += "No run has written a report yet.\n";
    } else {
        s += "| experiment | what it reproduces | run | key number | papers |\n|---|---|---|---|---|\n";
        s += &rows;
    }
    let path = reports.join("README.md");
    atomic_write(&path, |w| w.write_all(s.as_bytes()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_unix_time() {
        assert_eq!(utc_date(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_date(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc_date(1_709_251_199), "2024-02-29 23:59:59 UTC");
        assert_eq!(utc_date(4_107_542_400), "2100-03-01 00:00:00 UTC");
    }

    #[test]
    fn index_skips_missing_and_corrupt_reports() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for (dir, body) in [
            (
                "a",
                Some(
                    r#"{"name": "a", "description": "x | y", "quick": true, "started_unix": 0, "key_numbers": [{"measure": "m", "case": "c", "text": "0.5", "papers": "1"}]}"#,
                ),
            ),
            ("b", Some("{ not json")),
            ("c", None),
            ("d", Some(r#"{"name": "d", "key_numbers": []}"#)),
        ] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
            if let Some(b) = body {
                std::fs::write(root.join(dir).join("report.json"), b).unwrap();
            }
        }
        let text = std::fs::read_to_string(write_index(root).unwrap()).unwrap();
        assert!(text.contains("`notebooks-data/NAME/`"), "{text}");
        assert!(
            text.contains("| [a](a/README.md) | x \\| y | quick, 1970-01-01 | m, c: 0.5 | 1 |"),
            "{text}"
        );
        assert!(
            text.contains("| [d](d/README.md) |  | full, ? | — | — |"),
            "{text}"
        );
        assert!(!text.contains("[b]") && !text.contains("[c]"), "{text}");
    }
}
