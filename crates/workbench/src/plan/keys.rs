//! Keys and labels: the error constructor of planning, and the names
//! that become file and folder names.

use crate::config::ConfigError;

pub fn bad(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::new(key, message)
}

/// The longest label or name: file names join two of them to a prefix and
/// must stay well under the 255 bytes file systems allow.
pub const MAX_NAME: usize = 64;

/// Names that become file and folder names: letters, digits, '-' and '_',
/// at most `MAX_NAME` of them.
pub fn ok_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Why `s` cannot be a name, for the error message.
pub fn name_problem(s: &str) -> String {
    if s.len() > MAX_NAME {
        format!("{} characters; at most {MAX_NAME}", s.len())
    } else {
        format!("expected letters, digits, '-' or '_', got {s:?}")
    }
}

/// Checks a table or file label under `key` and that no earlier one in `seen` has it.
pub fn unique_label(key: &str, label: String, seen: &mut Vec<String>) -> Result<(), ConfigError> {
    if !ok_name(&label) {
        return Err(bad(key, name_problem(&label)));
    }
    if seen.contains(&label) {
        return Err(bad(key, format!("{label:?} is used twice")));
    }
    seen.push(label);
    Ok(())
}

/// Prefixes of the figure and table names that end in one data label
/// (`PREFIX-DATA`); a data label must not turn one into another.
const DATA_PREFIXES: &[&str] = &[
    "curvature",
    "deviation",
    "distance-to-end",
    "distance-to-data",
    "magnitudes",
    "nu",
    "jump",
    "jump-quality",
    "memorisation",
    "direction",
    "identity",
    "top2-error",
];

/// File names join labels with '-', which labels may contain: checks that
/// no two (data, sampler) pairs join to the same text, and that no data
/// label makes one `PREFIX-DATA` name read as another.
pub fn distinct_file_names(data: &[String], samplers: &[String]) -> Result<(), ConfigError> {
    let mut joined: Vec<(String, usize, usize)> = Vec::new();
    for (i, d) in data.iter().enumerate() {
        for (j, s) in samplers.iter().enumerate() {
            let name = format!("{d}-{s}");
            if let Some((_, i0, j0)) = joined.iter().find(|(n, ..)| *n == name) {
                return Err(bad(
                    format!("data[{i}].name, sampler[{j}].name"),
                    format!(
                        "data {d:?} with sampler {s:?} and data {:?} with sampler {:?} would both write files named \"...-{name}\"; rename one",
                        data[*i0], samplers[*j0]
                    ),
                ));
            }
            joined.push((name, i, j));
        }
    }
    for (i, d) in data.iter().enumerate() {
        for p in DATA_PREFIXES {
            for q in DATA_PREFIXES {
                if let Some(word) = q.strip_prefix(p).and_then(|r| r.strip_prefix('-'))
                    && let Some(other) = d.strip_prefix(word).and_then(|r| r.strip_prefix('-'))
                    && data.iter().any(|o| o == other)
                {
                    return Err(bad(
                        format!("data[{i}].name"),
                        format!("{p}-{d} would also be the name of {q}-{other}; rename data {d:?}"),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn joined_labels_must_name_distinct_files() {
        assert!(distinct_file_names(&v(&["a", "b"]), &v(&["x-1", "y"])).is_ok());
        let e = distinct_file_names(&v(&["a-b", "a"]), &v(&["c", "b-c"])).unwrap_err();
        assert!(e.to_string().contains("a-b-c"), "{e}");
        let e = distinct_file_names(&v(&["x", "quality-x"]), &v(&["s"])).unwrap_err();
        assert!(e.to_string().contains("jump-quality-x"), "{e}");
        // Without the data set "x" there is nothing to collide with.
        assert!(distinct_file_names(&v(&["quality-x"]), &v(&["s"])).is_ok());
    }

    #[test]
    fn names_are_short_and_plain() {
        assert!(ok_name("gamma-2_mu"));
        assert!(!ok_name("") && !ok_name("a.b") && !ok_name("dpm++2m"));
        let long = "a".repeat(MAX_NAME + 1);
        assert!(!ok_name(&long));
        assert!(name_problem(&long).contains("at most 64"));
    }
}
