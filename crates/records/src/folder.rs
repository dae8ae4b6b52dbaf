//! Replacing a whole output folder: the new one is built under a temporary
//! sibling, then swapped in, so a reader (or a run killed at any moment)
//! sees either the old complete folder or the new complete one.

use std::fs;
use std::io;
use std::path::Path;

use crate::RecordsError;
use crate::cleanup::critical;

/// Puts the folder `staged` at `target`. Where `target` exists it is
/// exchanged atomically (Linux `renameat2(RENAME_EXCHANGE)`; elsewhere, or
/// on a file system without it, two renames with a moment between them);
/// the old folder's entries named in `keep` (shared caches the run used in
/// place) move into the new one, then the old folder is removed. Runs under
/// `cleanup::critical`, so an interruption waits for it.
pub fn replace_folder(staged: &Path, target: &Path, keep: &[&str]) -> Result<(), RecordsError> {
    let _guard = critical();
    let fail = |source| RecordsError::io(target, source);
    match fs::symlink_metadata(target) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(dir).map_err(fail)?;
            }
            fs::rename(staged, target).map_err(fail)
        }
        Err(e) => Err(fail(e)),
        Ok(_) => {
            exchange(staged, target).map_err(fail)?;
            // `staged` now holds the old folder.
            for name in keep {
                let (old, new) = (staged.join(name), target.join(name));
                if old.exists() && !new.exists() {
                    fs::rename(&old, &new).map_err(|e| RecordsError::io(&new, e))?;
                }
            }
            fs::remove_dir_all(staged).map_err(|e| RecordsError::io(staged, e))
        }
    }
}

/// Swaps two existing paths.
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let c = |p: &Path| {
            CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::other("NUL in path"))
        };
        let (ca, cb) = (c(a)?, c(b)?);
        // SAFETY: both are valid NUL-terminated paths for the call's duration.
        let rc = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                ca.as_ptr(),
                libc::AT_FDCWD,
                cb.as_ptr(),
                libc::RENAME_EXCHANGE,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        let unsupported = [libc::EINVAL, libc::ENOSYS, libc::EOPNOTSUPP];
        if !err.raw_os_error().is_some_and(|e| unsupported.contains(&e)) {
            return Err(err);
        }
    }
    let aside = crate::atomic::temp_sibling(b, b.file_name().unwrap_or_default());
    fs::rename(b, &aside)?;
    if let Err(e) = fs::rename(a, b) {
        let _ = fs::rename(&aside, b);
        return Err(e);
    }
    fs::rename(&aside, a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atomic::tests::dir_entries as names;

    #[test]
    fn a_new_folder_is_renamed_into_place() {
        let tmp = tempfile::tempdir().unwrap();
        let (staged, target) = (tmp.path().join(".out.tmp-1"), tmp.path().join("a/out"));
        fs::create_dir(&staged).unwrap();
        fs::write(staged.join("run.json"), b"new").unwrap();
        replace_folder(&staged, &target, &[]).unwrap();
        assert_eq!(names(&target), ["run.json"]);
        assert!(!staged.exists());
    }

    #[test]
    fn an_old_folder_is_replaced_whole_keeping_shared_caches() {
        let tmp = tempfile::tempdir().unwrap();
        let (staged, target) = (tmp.path().join(".out.tmp-1"), tmp.path().join("out"));
        fs::create_dir_all(target.join("cache/gits")).unwrap();
        fs::write(target.join("cache/gits/m.npy"), b"c").unwrap();
        fs::write(target.join("old-only.csv"), b"old").unwrap();
        fs::write(target.join("run.json"), b"old").unwrap();
        fs::create_dir(&staged).unwrap();
        fs::write(staged.join("run.json"), b"new").unwrap();
        replace_folder(&staged, &target, &["cache", "models"]).unwrap();
        assert_eq!(names(&target), ["cache", "run.json"]);
        assert_eq!(fs::read(target.join("run.json")).unwrap(), b"new");
        assert_eq!(fs::read(target.join("cache/gits/m.npy")).unwrap(), b"c");
        assert_eq!(names(tmp.path()), ["out"]);
    }

    #[test]
    fn a_missing_staged_folder_leaves_the_target() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("out");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("run.json"), b"old").unwrap();
        assert!(replace_folder(&tmp.path().join("gone"), &target, &[]).is_err());
        assert_eq!(fs::read(target.join("run.json")).unwrap(), b"old");
    }
}
