//! The process's peak resident memory, for run.json.

/// VmHWM from /proc/self/status in bytes; None where there is no procfs.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_memory_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let bytes = super::peak_rss_bytes().expect("procfs");
            assert!(bytes > 1 << 20, "{bytes}");
        }
    }
}
