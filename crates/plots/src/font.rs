//! The embedded DejaVu Sans, registered with plotters' ab_glyph table so text
//! never depends on system fonts or fontconfig.

use std::sync::OnceLock;

use plotters::style::FontStyle;

/// The family every text style in this crate asks for. Registering the font
/// under plotters' own generic name also covers any default style plotters
/// picks internally, and SVG viewers get a sensible generic fallback.
pub(crate) const FAMILY: &str = "sans-serif";

/// Registers the font once per process; later calls return the first outcome.
pub(crate) fn ensure_registered() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular())
                .map_err(|_| "the embedded DejaVu Sans font could not be parsed".to_string())
        })
        .clone()
}
