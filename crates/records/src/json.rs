use std::io::Write;
use std::path::Path;

use crate::{RecordsError, atomic_write};

/// Writes `value` as pretty-printed JSON with a trailing newline, atomically.
pub fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), RecordsError> {
    atomic_write(path, |w| {
        serde_json::to_writer_pretty(&mut *w, value)?;
        w.write_all(b"\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tempfile::tempdir;

    #[test]
    fn pretty_output_parses_back() {
        let value = json!({
            "run": "σ-sweep",
            "steps": 18,
            "sigmas": [80.0, 0.002, 1e-300],
            "nested": {"ok": true, "none": null},
        });
        let tmp = tempdir().unwrap();
        let path = tmp.path().join("sub/config.json");
        write_json(&path, &value).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\n  \"run\""), "not pretty: {text}");
        assert!(text.ends_with("}\n"));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value);
    }
}
