//! The global cap on what one loader call may decode, in bytes of the f32
//! values it will hold. A hostile or mistaken header can declare terabytes;
//! every loader checks the declared size against this cap before it
//! allocates, and refuses with the file, the declared size and the cap.
//!
//! The cap, first match wins: a process-wide value set with
//! [`set_max_payload_bytes`]; the environment variable
//! `GEOTRAJ_MAX_MEMORY` (a byte count, optionally with a binary suffix:
//! `2000000000`, `512M`, `2G`, `2GiB`); MemAvailable from /proc/meminfo;
//! 8 GiB when that is unreadable. A malformed variable is ignored rather
//! than failing every load, and the cap error says it was ignored.

use crate::error::DataError;
use std::path::Path;
use std::sync::Mutex;

/// The environment variable that sets the cap.
/// The workbench judges a whole run's memory estimate against the same cap.
pub const MAX_DATA_BYTES_ENV: &str = "GEOTRAJ_MAX_MEMORY";

/// The cap when neither the variable nor /proc/meminfo gives one.
const FALLBACK: u64 = 8 << 30;

/// Deflate encodes at best a 258-byte match in 2 bits, so no deflate stream
/// (gzip, zlib, zip, PNG) expands more than 1032-fold: a real bound on what
/// a compressed file of known length can hold.
pub(crate) const DEFLATE_MAX_RATIO: u64 = 1032;

static OVERRIDE: Mutex<Option<u64>> = Mutex::new(None);

#[cfg(test)]
thread_local! {
    /// Unit tests set a cap for their own thread only, so tests running in
    /// parallel never see each other's cap.
    pub(crate) static TEST_CAP: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Sets (Some) or clears (None) a process-wide cap that takes precedence
/// over `GEOTRAJ_MAX_MEMORY` and the memory-based default; for tests
/// and embedders, without the races of changing the environment.
pub fn set_max_payload_bytes(cap: Option<u64>) {
    *OVERRIDE.lock().unwrap_or_else(|p| p.into_inner()) = cap;
}

/// The cap in force, in bytes of decoded f32 values.
pub fn max_payload_bytes() -> u64 {
    cap().bytes
}

/// The cap in force and where it came from, in words.
pub fn max_payload() -> (u64, String) {
    let c = cap();
    (c.bytes, c.source)
}

/// A cap and where it came from, for the error message.
struct Cap {
    bytes: u64,
    source: String,
}

fn cap() -> Cap {
    #[cfg(test)]
    if let Some(bytes) = TEST_CAP.with(|c| c.get()) {
        return Cap {
            bytes,
            source: "set by the test".into(),
        };
    }
    if let Some(bytes) = *OVERRIDE.lock().unwrap_or_else(|p| p.into_inner()) {
        return Cap {
            bytes,
            source: "set in-process with set_max_payload_bytes".into(),
        };
    }
    let mut ignored = String::new();
    if let Some(v) = std::env::var_os(MAX_DATA_BYTES_ENV) {
        match v.to_str().and_then(parse_bytes) {
            Some(bytes) => {
                return Cap {
                    bytes,
                    source: format!("{MAX_DATA_BYTES_ENV}={}", v.to_string_lossy()),
                };
            }
            None => {
                ignored = format!(
                    "; {MAX_DATA_BYTES_ENV}={v:?} was ignored: not a byte count such as \
                     2000000000 or 2G"
                );
            }
        }
    }
    match std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| mem_available(&s))
    {
        Some(bytes) => Cap {
            bytes,
            source: format!("MemAvailable in /proc/meminfo{ignored}"),
        },
        None => Cap {
            bytes: FALLBACK,
            source: format!("the default, /proc/meminfo being unreadable{ignored}"),
        },
    }
}

/// A byte count with an optional binary suffix (K, M, G, T; optionally
/// followed by "B" or "iB"), any case; None when malformed or overflowing.
fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (num, suffix) = s.split_at(digits);
    let n: u64 = num.parse().ok()?;
    let suffix = suffix.trim().to_ascii_lowercase();
    let unit = suffix
        .strip_suffix("ib")
        .or_else(|| suffix.strip_suffix('b'))
        .unwrap_or(&suffix);
    let shift = match unit {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return None,
    };
    if suffix.ends_with("ib") && unit.is_empty() {
        return None; // a bare "iB"
    }
    n.checked_mul(1u64 << shift)
}

/// MemAvailable from the text of /proc/meminfo (stated in kB = KiB).
fn mem_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line
        .trim_start_matches("MemAvailable:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    kb.checked_mul(1024)
}

/// A byte count in binary units, e.g. "1.5 GiB".
pub(crate) fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// Why a declared payload of `values` f32 values (what the loader will
/// hold) is refused, or None when it is within the cap; `what` describes
/// the declaration, e.g. "shape [60000, 784]". Worded as the `expected`
/// part of a Format error, for callers that place the error themselves.
pub(crate) fn over_cap(values: u64, what: &str) -> Option<String> {
    let cap = cap();
    let bytes = values.checked_mul(4);
    if bytes.is_some_and(|b| b <= cap.bytes) {
        return None;
    }
    let size = bytes.map_or_else(|| "over 16 EiB".to_string(), human_bytes);
    Some(format!(
        "a payload within the cap of {} ({}; set {MAX_DATA_BYTES_ENV} to change it), \
         found {what} declaring {values} values = {size} as f32",
        human_bytes(cap.bytes),
        cap.source
    ))
}

/// Refuses a declared payload above the cap (see `over_cap`) with an error
/// at `offset` of `path`.
pub(crate) fn check_payload(
    path: &Path,
    offset: u64,
    values: u64,
    what: &str,
) -> Result<(), DataError> {
    match over_cap(values, what) {
        None => Ok(()),
        Some(expected) => Err(DataError::format(path, offset, expected)),
    }
}

/// Runs `f` with the cap set to `bytes` on this thread (unit tests only).
#[cfg(test)]
pub(crate) fn with_test_cap<T>(bytes: u64, f: impl FnOnce() -> T) -> T {
    TEST_CAP.with(|c| c.set(Some(bytes)));
    let out = f();
    TEST_CAP.with(|c| c.set(None));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_counts_and_binary_suffixes() {
        assert_eq!(parse_bytes("2000000000"), Some(2_000_000_000));
        assert_eq!(parse_bytes(" 512M "), Some(512 << 20));
        assert_eq!(parse_bytes("2G"), Some(2 << 30));
        assert_eq!(parse_bytes("2gib"), Some(2 << 30));
        assert_eq!(parse_bytes("3KB"), Some(3 << 10));
        assert_eq!(parse_bytes("1T"), Some(1 << 40));
        assert_eq!(parse_bytes("0"), Some(0));
        for bad in [
            "",
            "G",
            "-1",
            "1.5G",
            "2X",
            "2 GG",
            "iB",
            "5iB",
            "99999999999999999999",
        ] {
            assert_eq!(parse_bytes(bad), None, "{bad:?}");
        }
        assert_eq!(parse_bytes("17179869184T"), None, "overflow");
    }

    #[test]
    fn reads_mem_available() {
        let text = "MemTotal:       24000000 kB\nMemFree:  100 kB\nMemAvailable:   2048 kB\n";
        assert_eq!(mem_available(text), Some(2048 * 1024));
        assert_eq!(mem_available("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn human_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10 << 30), "10.0 GiB");
        assert_eq!(human_bytes(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn payload_check_names_file_size_and_cap() {
        let p = Path::new("/data/big.npy");
        with_test_cap(1 << 20, || {
            assert!(check_payload(p, 0, 1 << 18, "x").is_ok());
            let e = check_payload(p, 10, (1 << 18) + 1, "shape [262145]")
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("/data/big.npy: at byte 10:"), "{e}");
            assert!(
                e.contains("cap of 1.0 MiB") && e.contains("1.0 MiB as f32"),
                "{e}"
            );
            assert!(
                e.contains("shape [262145]") && e.contains(MAX_DATA_BYTES_ENV),
                "{e}"
            );
            let e = check_payload(p, 0, u64::MAX, "x").unwrap_err().to_string();
            assert!(e.contains("over 16 EiB"), "{e}");
        });
        // The default cap is positive: some memory figure or the fallback.
        assert!(max_payload_bytes() > 0);
    }
}
