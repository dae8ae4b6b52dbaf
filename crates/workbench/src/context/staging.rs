//! A run writes its tables, figures and report into hidden sibling folders
//! of their final places, and swaps them in only once everything is
//! written: an output folder is always the old complete one or the new
//! complete one. A failed or interrupted run removes its staged folders;
//! what a SIGKILL leaves is swept by the next run into the same place.

use super::OutputDirs;
use anyhow::{Context as _, bail};
use geotraj_records::cleanup::{Tracked, sweep_stale, track};
use geotraj_records::replace_folder;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Shared folders a `--out` folder holds for later runs; they survive a
/// replacement of the folder.
const KEEP: [&str; 2] = ["cache", "models"];

/// One final folder and its staged stand-in.
#[derive(Debug)]
struct Root {
    staged: PathBuf,
    target: PathBuf,
    /// The file whose presence marks `target` as an earlier run's output.
    marker: &'static str,
    _tracked: Tracked,
}

/// The staged output folders of one run.
#[derive(Debug)]
pub struct Staging {
    /// Where the run writes: the staged folders, the shared caches in place.
    pub dirs: OutputDirs,
    /// Where the files end up.
    pub final_dirs: OutputDirs,
    roots: Vec<Root>,
    committed: bool,
}

impl Staging {
    /// Checks that every final folder may be replaced, sweeps stale
    /// temporaries beside them and creates the staged folders. Errs before
    /// any output exists.
    pub fn begin(final_dirs: &OutputDirs) -> anyhow::Result<Staging> {
        let targets: Vec<(PathBuf, &'static str)> = match &final_dirs.out {
            Some(out) => vec![(out.clone(), "run.json")],
            None => vec![
                (final_dirs.tables.clone(), "run.json"),
                (final_dirs.figures.clone(), "report.json"),
            ],
        };
        let mut roots = Vec::new();
        for (target, marker) in targets {
            let target = resolve(&target)?;
            check_replaceable(&target, marker)?;
            let parent = target.parent().unwrap_or(Path::new("."));
            sweep_stale(parent);
            std::fs::create_dir_all(parent).with_context(|| parent.display().to_string())?;
            let staged = staged_name(&target);
            let tracked = track(&staged);
            std::fs::create_dir(&staged).with_context(|| staged.display().to_string())?;
            roots.push(Root {
                staged,
                target,
                marker,
                _tracked: tracked,
            });
        }
        for shared in [&final_dirs.cache, &final_dirs.models] {
            sweep_stale(shared);
            sweep_stale(&shared.join("gits"));
        }
        let dirs = match &final_dirs.out {
            Some(_) => OutputDirs {
                tables: roots[0].staged.clone(),
                figures: roots[0].staged.join("figures"),
                ..final_dirs.clone()
            },
            None => OutputDirs {
                tables: roots[0].staged.clone(),
                figures: roots[1].staged.clone(),
                ..final_dirs.clone()
            },
        };
        Ok(Staging {
            dirs,
            final_dirs: final_dirs.clone(),
            roots,
            committed: false,
        })
    }

    /// Where a staged path ends up once committed.
    pub fn final_path(&self, p: &Path) -> PathBuf {
        for r in &self.roots {
            if let Ok(rest) = p.strip_prefix(&r.staged) {
                return r.target.join(rest);
            }
        }
        p.to_path_buf()
    }

    /// Swaps every staged folder into place, tables first.
    pub fn commit(&mut self) -> anyhow::Result<()> {
        for r in &self.roots {
            if !r.staged.join(r.marker).exists() {
                bail!(
                    "{}: the run wrote no {}; not replacing {}",
                    r.staged.display(),
                    r.marker,
                    r.target.display()
                );
            }
        }
        for r in &self.roots {
            replace_folder(&r.staged, &r.target, &KEEP)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            for r in &self.roots {
                let _ = std::fs::remove_dir_all(&r.staged);
            }
        }
    }
}

/// A symlinked output folder is replaced where it points, keeping the link.
fn resolve(target: &Path) -> anyhow::Result<PathBuf> {
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(target)
            .with_context(|| format!("{}: a broken symbolic link", target.display())),
        _ => Ok(target.to_path_buf()),
    }
}

/// An output folder may be replaced when it is absent, empty, an earlier
/// run's (it holds `marker`) or holds only the shared caches; anything
/// else may be the user's and is refused.
fn check_replaceable(target: &Path, marker: &str) -> anyhow::Result<()> {
    let meta = match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => bail!("{}: {e}", target.display()),
        Ok(m) => m,
    };
    if !meta.is_dir() {
        bail!(
            "{}: exists and is not a folder; the run's outputs go in a folder there",
            target.display()
        );
    }
    if target.join(marker).is_file() {
        return Ok(());
    }
    let entries = std::fs::read_dir(target).with_context(|| target.display().to_string())?;
    let foreign: Vec<String> = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !KEEP.contains(&n.as_str()))
        .collect();
    if let Some(first) = foreign.first() {
        bail!(
            "{}: exists and is not an earlier run's output (no {marker}; it holds {first:?}{}); \
             a run replaces its output folder whole, so choose a new or empty folder, or remove this one",
            target.display(),
            if foreign.len() > 1 { " and more" } else { "" }
        );
    }
    Ok(())
}

/// `.NAME.tmp-PID-SEQ` beside `target`.
fn staged_name(target: &Path) -> PathBuf {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let name = target
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    target.with_file_name(format!(".{name}.tmp-{}-{seq}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn an_out_folder_is_staged_committed_and_keeps_its_caches() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir_all(out.join("cache")).unwrap();
        fs::write(out.join("run.json"), "old").unwrap();
        fs::write(out.join("old.csv"), "old").unwrap();
        let mut s = Staging::begin(&OutputDirs::new("x", Some(&out))).unwrap();
        assert_eq!(s.dirs.cache, out.join("cache"));
        assert_ne!(s.dirs.tables, out);
        assert_eq!(
            s.final_path(&s.dirs.figures.join("a.png")),
            out.join("figures/a.png")
        );
        fs::create_dir_all(&s.dirs.figures).unwrap();
        fs::write(s.dirs.tables.join("run.json"), "new").unwrap();
        s.commit().unwrap();
        assert_eq!(names(&out), ["cache", "figures", "run.json"]);
        assert_eq!(names(tmp.path()), ["out"]);
    }

    #[test]
    fn a_failed_run_leaves_the_old_folder_and_no_staging() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("run.json"), "old").unwrap();
        let s = Staging::begin(&OutputDirs::new("x", Some(&out))).unwrap();
        fs::write(s.dirs.tables.join("steps.csv"), "partial").unwrap();
        drop(s);
        assert_eq!(names(tmp.path()), ["out"]);
        assert_eq!(names(&out), ["run.json"]);

        // A staged folder without run.json is not committed.
        let mut s = Staging::begin(&OutputDirs::new("x", Some(&out))).unwrap();
        assert!(s.commit().unwrap_err().to_string().contains("run.json"));
        drop(s);
        assert_eq!(fs::read_to_string(out.join("run.json")).unwrap(), "old");
    }

    #[test]
    fn folders_that_are_not_outputs_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let mine = tmp.path().join("thesis");
        fs::create_dir_all(&mine).unwrap();
        fs::write(mine.join("chapter1.tex"), "x").unwrap();
        let e = Staging::begin(&OutputDirs::new("x", Some(&mine))).unwrap_err();
        assert!(e.to_string().contains("chapter1.tex"), "{e}");
        let file = tmp.path().join("file");
        fs::write(&file, "x").unwrap();
        let e = Staging::begin(&OutputDirs::new("x", Some(&file))).unwrap_err();
        assert!(e.to_string().contains("not a folder"), "{e}");
        assert_eq!(names(tmp.path()), ["file", "thesis"]);
        // Empty, or only caches: fine.
        let caches = tmp.path().join("caches");
        fs::create_dir_all(caches.join("models")).unwrap();
        assert!(Staging::begin(&OutputDirs::new("x", Some(&caches))).is_ok());
    }
}
