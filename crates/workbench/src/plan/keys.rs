//! Keys and labels: the error constructor of planning, and the names
//! that become file and folder names.

use crate::config::ConfigError;

pub fn bad(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::new(key, message)
}

/// Names that become file and folder names: letters, digits, '-' and '_'.
pub fn ok_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks a table or file label under `key` and that no earlier one in `seen` has it.
pub fn unique_label(key: &str, label: String, seen: &mut Vec<String>) -> Result<(), ConfigError> {
    if !ok_name(&label) {
        return Err(bad(
            key,
            format!("expected letters, digits, '-' or '_', got {label:?}"),
        ));
    }
    if seen.contains(&label) {
        return Err(bad(key, format!("{label:?} is used twice")));
    }
    seen.push(label);
    Ok(())
}
