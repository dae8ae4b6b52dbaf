//! Temporaries an interrupted process must not leave behind. Writers
//! register what they create while it exists; a signal handler (the binary
//! installs one) removes whatever is registered, after waiting for any
//! critical section (a folder swap) to finish. What SIGKILL leaves is swept
//! by the next run: temporaries carry their creator's process id.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static TRACKED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static CRITICAL: Mutex<()> = Mutex::new(());

/// A registered temporary; dropping it unregisters the path (it does not
/// remove it: the owner renames or removes it).
#[derive(Debug)]
pub struct Tracked(PathBuf);

/// Registers `path` (a file or a folder) for removal on interruption.
pub fn track(path: &Path) -> Tracked {
    lock(&TRACKED).push(path.to_path_buf());
    Tracked(path.to_path_buf())
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let mut v = lock(&TRACKED);
        if let Some(i) = v.iter().rposition(|p| p == &self.0) {
            v.swap_remove(i);
        }
    }
}

/// Held while renames that must not be cut in half run; the interruption
/// handler takes it before removing anything.
pub fn critical() -> MutexGuard<'static, ()> {
    lock(&CRITICAL)
}

/// Removes every registered temporary, calls `report` with how many
/// existed, then lets go of the placeholders; for the interruption handler,
/// which calls it holding `critical()` and exits right after.
///
/// Other threads may still be writing: a folder is renamed aside and a
/// placeholder file takes its name, so a writer's `create_dir_all` under
/// it fails instead of making it anew while the folder is removed; the
/// placeholders go last, a moment before the process exits.
pub fn remove_tracked(report: impl FnOnce(usize)) {
    let paths: Vec<PathBuf> = lock(&TRACKED).drain(..).collect();
    let mut placeholders = Vec::new();
    let mut removed = 0;
    for p in &paths {
        let Ok(meta) = fs::symlink_metadata(p) else {
            continue;
        };
        removed += 1;
        if !meta.is_dir() {
            let _ = fs::remove_file(p);
            continue;
        }
        let mut aside = p.as_os_str().to_owned();
        aside.push("9");
        let aside = PathBuf::from(aside);
        if fs::rename(p, &aside).is_ok() {
            if fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(p)
                .is_ok()
            {
                placeholders.push(p.clone());
            }
            let _ = fs::remove_dir_all(&aside);
        } else {
            let _ = fs::remove_dir_all(p);
        }
    }
    report(removed);
    for p in placeholders {
        let _ = fs::remove_file(p);
    }
}

fn remove_any(p: &Path) -> bool {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p).is_ok(),
        Ok(_) => fs::remove_file(p).is_ok(),
        Err(_) => false,
    }
}

/// A poisoned lock only means another thread panicked mid-push; the list
/// itself is still a list.
fn lock<T>(m: &'static Mutex<T>) -> MutexGuard<'static, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The process id in a temporary's name: `.NAME.tmp-PID` or
/// `.NAME.tmp-PID-SEQ` (records, staged folders) and `.NAME.PID-SEQ.tmp.EXT`
/// (plots). None for any other name.
pub fn temp_owner(name: &str) -> Option<u32> {
    if !name.starts_with('.') {
        return None;
    }
    if let Some(i) = name.rfind(".tmp-") {
        let rest = &name[i + 5..];
        let pid = rest.split('-').next()?;
        let tail_ok = rest[pid.len()..]
            .strip_prefix('-')
            .is_none_or(|seq| !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()));
        return (tail_ok && !pid.is_empty()).then(|| pid.parse().ok())?;
    }
    let i = name.rfind(".tmp.")?;
    let (head, _) = name.split_at(i);
    let seg = &head[head.rfind('.')? + 1..];
    let (pid, seq) = seg.split_once('-')?;
    (!seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Whether a process with this id runs; true where that cannot be told
/// (no procfs), so nothing is swept on a guess.
fn alive(pid: u32) -> bool {
    let proc_root = Path::new("/proc");
    !proc_root.join("self").exists() || proc_root.join(pid.to_string()).exists()
}

/// Removes the temporaries directly in `dir` whose creating process is
/// gone (left by a SIGKILL, a power cut, an older version); returns their
/// names. A missing `dir` has none.
pub fn sweep_stale(dir: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let me = std::process::id();
    let mut swept = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = temp_owner(&name)
            && pid != me
            && !alive(pid)
            && remove_any(&e.path())
        {
            swept.push(name);
        }
    }
    swept.sort();
    swept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_are_read_from_temporary_names() {
        assert_eq!(temp_owner(".steps.parquet.tmp-123-4"), Some(123));
        assert_eq!(temp_owner(".curvature.tmp-77"), Some(77));
        assert_eq!(temp_owner(".fig.png.4242-0.tmp.png"), Some(4242));
        for name in [
            "steps.parquet",
            "steps.tmp-1-2",
            ".hidden",
            ".a.tmp-",
            ".a.tmp-x-1",
            ".a.tmp-1-",
            ".a.tmp-1-z",
            ".fig.png.x-0.tmp.png",
        ] {
            assert_eq!(temp_owner(name), None, "{name}");
        }
    }

    #[test]
    fn sweeping_removes_only_dead_owners_temporaries() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        // A pid above the kernel's maximum (2^22) never runs.
        let dead = 4_194_304 + 7;
        let me = std::process::id();
        fs::write(dir.join(format!(".t.csv.tmp-{dead}-0")), b"x").unwrap();
        fs::create_dir(dir.join(format!(".run.tmp-{dead}-1"))).unwrap();
        fs::write(dir.join(format!(".run.tmp-{dead}-1/inner")), b"x").unwrap();
        fs::write(dir.join(format!(".t.csv.tmp-{me}-0")), b"x").unwrap();
        fs::write(dir.join("t.csv"), b"x").unwrap();
        let swept = sweep_stale(dir);
        if Path::new("/proc/self").exists() {
            assert_eq!(swept.len(), 2, "{swept:?}");
        }
        let left = crate::atomic::tests::dir_entries(dir);
        assert!(left.contains(&"t.csv".to_string()));
        assert!(left.contains(&format!(".t.csv.tmp-{me}-0")));
        assert!(sweep_stale(&dir.join("missing")).is_empty());
    }

    #[test]
    fn tracked_paths_are_listed_until_released_and_removable() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        let folder = tmp.path().join("d");
        fs::write(&file, b"x").unwrap();
        fs::create_dir_all(folder.join("sub")).unwrap();
        let listed = |p: &Path| lock(&TRACKED).iter().any(|t| t == p);
        let released = track(&file);
        let kept = track(&folder);
        assert!(listed(&file) && listed(&folder));
        drop(released);
        assert!(!listed(&file) && listed(&folder));
        drop(kept);
        // remove_tracked itself would race with other tests' writes.
        assert!(remove_any(&file) && remove_any(&folder));
        assert!(!file.exists() && !folder.exists() && !remove_any(&file));
    }
}
