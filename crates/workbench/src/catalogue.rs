//! `run-experiment --all DIR`: every experiment file of a folder, one after
//! another in this process, under one progress display. A failing
//! experiment is recorded and the rest still run.

use crate::context::device::DeviceChoice;
use crate::context::progress::set_prefix;
use crate::execute::{RunOptions, run};
use crate::plan::Plan;
use crate::report::key_numbers::key_numbers;
use crate::report::{print_done, publish};
use anyhow::{Context as _, bail};
use std::io::IsTerminal;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How one experiment of the catalogue went.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub file: PathBuf,
    /// The config's name (the file stem when the file does not load).
    pub name: String,
    /// None when it succeeded.
    pub error: Option<String>,
    pub seconds: f64,
    /// The first key number of its report: "measure, case: value".
    pub headline: Option<String>,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// The `*.toml` files directly in `dir`, in file-name order.
pub fn experiment_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("{}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// An error on one line: its first line, and the last where it has more
/// (a TOML error names the key on its last line, after a source snippet).
fn one_line(e: &str) -> String {
    let lines: Vec<&str> = e.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let s = match lines.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        [first, .., last] => format!("{first}: {last}"),
    };
    // serde's list of accepted keys is long and says less than the key named before it.
    let s = match s.find(", expected one of") {
        Some(i) => s[..i].to_string(),
        None => s,
    };
    match s.char_indices().nth(120) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// Runs every experiment of `dir` with the same device, `--quick` and
/// `--out` (each under OUT/NAME); writes each one's outputs and report as a
/// single run would. Errs only when `dir` cannot be listed or holds no
/// experiment. Without `out`, refreshes reports/README.md at the end.
pub fn run_all(
    dir: &Path,
    device: DeviceChoice,
    quick: bool,
    out: Option<&Path>,
    argv: &[String],
) -> anyhow::Result<Vec<Outcome>> {
    let files = experiment_files(dir)?;
    if files.is_empty() {
        bail!("{}: no *.toml experiment files", dir.display());
    }
    let total = files.len();
    let mut outcomes = Vec::new();
    for (k, file) in files.iter().enumerate() {
        let k = k + 1;
        let stem = file
            .file_stem()
            .map_or(String::new(), |s| s.to_string_lossy().into_owned());
        let t0 = Instant::now();
        // Planned here for the name and description; run() plans it again.
        let plan = Plan::load(file, quick);
        let (name, description) = match &plan {
            Ok(p) => (p.config.name.clone(), p.config.description.clone()),
            Err(_) => (stem, String::new()),
        };
        if description.is_empty() {
            eprintln!("[{k}/{total}] {name}");
        } else {
            eprintln!("[{k}/{total}] {name}: {description}");
        }
        set_prefix(format!("[{k}/{total} {name}]"));
        let result = match plan {
            Err(e) => Err(e.to_string()),
            Ok(_) => {
                let opts = RunOptions {
                    config_path: file.clone(),
                    device,
                    quick,
                    out: out.map(|o| o.join(&name)),
                };
                // A panic in one experiment must not end the catalogue.
                catch_unwind(AssertUnwindSafe(|| {
                    let one = || -> anyhow::Result<Option<String>> {
                        let mut r = run(&opts)?;
                        let written = publish(&mut r, argv)?;
                        print_done(&r, &written);
                        Ok(key_numbers(&r)
                            .first()
                            .map(|h| format!("{}, {}: {}", h.measure, h.case, h.text)))
                    };
                    one().map_err(|e| crate::message::message(&e))
                }))
                .unwrap_or_else(|p| Err(format!("panicked: {}", panic_message(p.as_ref()))))
            }
        };
        set_prefix("");
        let seconds = t0.elapsed().as_secs_f64();
        let (error, headline) = match result {
            Ok(h) => (None, h),
            Err(e) => {
                // A bar interrupted on a terminal has no line end yet.
                if std::io::stderr().is_terminal() {
                    eprintln!();
                }
                eprintln!("[{k}/{total}] {name} failed: {e}");
                (Some(e), None)
            }
        };
        outcomes.push(Outcome {
            file: file.clone(),
            name,
            error,
            seconds,
            headline,
        });
    }
    if out.is_none()
        && Path::new("reports").is_dir()
        && let Err(e) = crate::report::write_index(Path::new("reports"))
    {
        eprintln!("warning: reports index not refreshed: {e}");
    }
    Ok(outcomes)
}

/// The closing table: experiment | status | seconds | key number.
pub fn summary_table(outcomes: &[Outcome]) -> String {
    let rows: Vec<[String; 4]> = outcomes
        .iter()
        .map(|o| {
            [
                o.name.clone(),
                match &o.error {
                    None => "ok".into(),
                    Some(e) => format!("failed: {}", one_line(e)),
                },
                format!("{:.1}", o.seconds),
                o.headline.clone().unwrap_or_else(|| "—".into()),
            ]
        })
        .collect();
    let head = ["experiment", "status", "seconds", "key number"];
    let mut width = head.map(|h| h.chars().count());
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        let mut s = String::from("|");
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            let pad = w - c.chars().count();
            // Seconds right-aligned, the rest left.
            if i == 2 {
                s += &format!(" {}{c} |", " ".repeat(pad));
            } else {
                s += &format!(" {c}{} |", " ".repeat(pad));
            }
        }
        s + "\n"
    };
    let mut s = line(head);
    let rule: Vec<String> = width
        .iter()
        .enumerate()
        .map(|(i, w)| match i {
            2 => format!("{}:", "-".repeat(w + 1)),
            _ => "-".repeat(w + 2),
        })
        .collect();
    s += &format!("|{}|\n", rule.join("|"));
    for r in &rows {
        s += &line([&r[0], &r[1], &r[2], &r[3]]);
    }
    let failed = outcomes.iter().filter(|o| !o.ok()).count();
    s + &format!(
        "{} experiments: {} ok, {failed} failed\n",
        outcomes.len(),
        outcomes.len() - failed
    )
}

/// `--all DIR`: runs the catalogue, prints the table; 0 only if every
/// experiment succeeded.
pub fn main(
    dir: &Path,
    device: DeviceChoice,
    quick: bool,
    out: Option<&Path>,
    argv: &[String],
) -> i32 {
    match run_all(dir, device, quick, out, argv) {
        Ok(outcomes) => {
            println!("{}", summary_table(&outcomes));
            i32::from(!outcomes.iter().all(Outcome::ok))
        }
        Err(e) => {
            eprintln!("error: {}", crate::message::message(&e));
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_fit_on_one_line() {
        assert_eq!(one_line("a: b"), "a: b");
        assert_eq!(
            one_line(
                "f.toml: TOML parse error at line 3\n  |\n3 | x = 1\n  | ^\nunknown field `x`\n"
            ),
            "f.toml: TOML parse error at line 3: unknown field `x`"
        );
        assert!(one_line(&"x".repeat(500)).ends_with('…'));
    }

    #[test]
    fn table_aligns_columns() {
        let o = |name: &str, error: Option<&str>| Outcome {
            file: PathBuf::from(format!("{name}.toml")),
            name: name.into(),
            error: error.map(str::to_string),
            seconds: 1.0,
            headline: error.is_none().then(|| "m, c: 0.5".to_string()),
        };
        let t = summary_table(&[o("quickstart", None), o("bad", Some("boom"))]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "| experiment | status       | seconds | key number |"
        );
        assert_eq!(
            lines[1],
            "|------------|--------------|--------:|------------|"
        );
        assert_eq!(
            lines[2],
            "| quickstart | ok           |     1.0 | m, c: 0.5  |"
        );
        assert_eq!(
            lines[3],
            "| bad        | failed: boom |     1.0 | —          |"
        );
        assert_eq!(lines[4], "2 experiments: 1 ok, 1 failed");
    }
}
