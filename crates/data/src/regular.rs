//! Opening input files: only regular files (or symlinks to them) are read.
//! A character device such as /dev/zero never ends, opening a FIFO blocks
//! until a writer appears, and a directory has no bytes: each is refused up
//! front with one error naming the path and what it is.
//!
//! The type is checked on the path before opening (so a FIFO is never
//! opened) and again on the open handle (so a path swapped between the two
//! steps is still caught, except a FIFO swapped in at that instant, which
//! the first check cannot see).

use crate::error::DataError;
use std::fs::{File, FileType, Metadata};
use std::io::Read;
use std::path::Path;

/// What a non-regular file is, in words.
fn kind(t: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "not a file"
    }
}

fn refuse(path: &Path, meta: &Metadata) -> DataError {
    DataError::io(
        path,
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "not a regular file ({}); only regular files are read",
                kind(meta.file_type())
            ),
        ),
    )
}

/// Refuses `path` unless it is a regular file (symlinks are followed).
pub(crate) fn require_regular(path: &Path) -> Result<(), DataError> {
    let meta = std::fs::metadata(path).map_err(|e| DataError::io(path, e))?;
    if meta.is_file() {
        Ok(())
    } else {
        Err(refuse(path, &meta))
    }
}

/// Opens a regular file for reading and returns it with its length.
pub(crate) fn open_regular(path: &Path) -> Result<(File, u64), DataError> {
    require_regular(path)?;
    let file = File::open(path).map_err(|e| DataError::io(path, e))?;
    let meta = file.metadata().map_err(|e| DataError::io(path, e))?;
    if !meta.is_file() {
        return Err(refuse(path, &meta));
    }
    Ok((file, meta.len()))
}

/// Reads up to `n` bytes, fewer only at the end of the input: header
/// fields are read this way so a short file yields its exact length for
/// the error offset. `n` is always a small header size, never a payload.
pub(crate) fn read_up_to<R: Read + ?Sized>(r: &mut R, n: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n.min(1 << 16));
    r.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads exactly `len` bytes of a regular file whose length was checked
/// against `len` beforehand; a file that shrank meanwhile is an I/O error.
pub(crate) fn read_checked_len(
    r: &mut impl Read,
    len: usize,
    path: &Path,
) -> Result<Vec<u8>, DataError> {
    let mut buf = Vec::with_capacity(len);
    r.take(len as u64)
        .read_to_end(&mut buf)
        .map_err(|e| DataError::io(path, e))?;
    if buf.len() != len {
        return Err(DataError::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "the file ended after {} of {len} bytes (did it change while being read?)",
                    buf.len()
                ),
            ),
        ));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{fifo, within_seconds};

    #[test]
    fn dev_zero_refused_as_character_device() {
        let p = Path::new("/dev/zero");
        if !p.exists() {
            return;
        }
        let e = within_seconds("open /dev/zero", move || open_regular(p).map(|_| ()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("/dev/zero"), "{e}");
        assert!(
            e.contains("not a regular file") && e.contains("character device"),
            "{e}"
        );
    }

    #[test]
    fn directory_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = open_regular(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file (a directory)"), "{e}");
    }

    #[test]
    fn fifo_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let Some(path) = fifo(dir.path(), "pipe.npy") else {
            return;
        };
        let e = within_seconds("open a FIFO", move || open_regular(&path).map(|_| ()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("pipe.npy") && e.contains("FIFO"), "{e}");
    }

    #[test]
    fn regular_file_and_symlink_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a.bin");
        std::fs::write(&f, [1, 2, 3]).unwrap();
        let (mut file, len) = open_regular(&f).unwrap();
        assert_eq!(len, 3);
        assert_eq!(read_up_to(&mut file, 10).unwrap(), vec![1, 2, 3]);
        #[cfg(unix)]
        {
            let link = dir.path().join("link.bin");
            std::os::unix::fs::symlink(&f, &link).unwrap();
            assert_eq!(open_regular(&link).unwrap().1, 3);
        }
        let e = open_regular(&dir.path().join("absent")).unwrap_err();
        assert!(matches!(e, DataError::Io { .. }), "{e}");
    }
}
