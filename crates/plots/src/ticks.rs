//! Tick labels. plotters' default formatting is `{:?}`, which prints log-axis
//! ticks as `0.0010000000000000002`-style noise; these labels are short.

/// Formats a tick value with at most four significant digits: plain decimals
/// for moderate magnitudes, `1e-5`-style scientific notation otherwise.
pub(crate) fn tick_label(v: f64) -> String {
    if v == 0.0 {
        // Also catches -0.0, which would print as "-0".
        return "0".to_string();
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    // Round through a 4-significant-digit decimal string so the shortest
    // round-trip form below is clean (0.30000000000000004 -> 0.3).
    let r: f64 = format!("{v:.3e}").parse().unwrap_or(v);
    if (1e-3..1e5).contains(&r.abs()) {
        format!("{r}")
    } else {
        format!("{r:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::tick_label;

    #[test]
    fn labels_are_short_and_clean() {
        assert_eq!(tick_label(0.0), "0");
        assert_eq!(tick_label(-0.0), "0");
        assert_eq!(tick_label(0.1 + 0.2), "0.3");
        assert_eq!(tick_label(0.0010000000000000002), "0.001");
        assert_eq!(tick_label(80.0), "80");
        assert_eq!(tick_label(-2.5), "-2.5");
        assert_eq!(tick_label(20000.0), "20000");
        assert_eq!(tick_label(1e-5), "1e-5");
        assert_eq!(tick_label(0.0001), "1e-4");
        assert_eq!(tick_label(1e6), "1e6");
        assert_eq!(tick_label(2.5e7), "2.5e7");
    }
}
