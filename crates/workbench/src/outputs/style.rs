//! The house style shared by every figure and summary: median bands
//! against sigma, plain lines, and numbers to 3-4 significant digits.

use crate::execute::case::Case;
use geotraj_metrics::Measures;
use geotraj_plots::{Band, Figure};

/// The median and 10-90 % band of a step column against sigma.
pub fn band(case: &Case, column: &str, label: String) -> Band {
    band_of(&case.measures, column, label)
}

/// `band` of any measured trajectories (an analysed file's too).
pub fn band_of(measures: &Measures, column: &str, label: String) -> Band {
    let b = measures
        .band(column, 0.1, 0.9)
        .expect("a measure named in the outputs exists");
    Band {
        label,
        x: measures.sigma.clone(),
        mid: b.mid,
        lo: b.lo,
        hi: b.hi,
    }
}

/// A figure against sigma on a reversed log axis, as the papers draw them.
pub fn figure(title: String, y_label: &str, log_y: bool, series: Vec<Band>) -> Figure {
    Figure {
        title,
        x_label: "sigma".into(),
        y_label: y_label.into(),
        log_x: true,
        log_y,
        reverse_x: true,
        series,
        ..Figure::default()
    }
}

/// The smallest and largest of `values` ((inf, -inf) when there are none).
pub fn extent(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    values
        .into_iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

/// A plain line: a band with no spread.
pub fn line(label: String, x: Vec<f64>, y: Vec<f64>) -> Band {
    Band {
        label,
        lo: y.clone(),
        hi: y.clone(),
        mid: y,
        x,
    }
}

/// 3–4 significant digits; values just below 1 as "1 − x" so that
/// 0.999997 does not print as 1.000.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    if v > 0.9999 && v < 1.0 {
        return format!("1 − {:.2e}", 1.0 - v);
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - a.log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::fmt_num;

    #[test]
    fn numbers_keep_three_to_four_significant_digits() {
        assert_eq!(fmt_num(0.0031603), "0.003160");
        assert_eq!(fmt_num(14.0), "14.00");
        assert_eq!(fmt_num(4430.0), "4430");
        assert_eq!(fmt_num(0.996), "0.9960");
        assert_eq!(fmt_num(0.999997), "1 − 3.00e-6");
        assert_eq!(fmt_num(1.0), "1.000");
        assert_eq!(fmt_num(3.2e-7), "3.200e-7");
        assert_eq!(fmt_num(123456.0), "1.235e5");
        assert_eq!(fmt_num(-0.5), "-0.5000");
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(f64::NAN), "n/a");
    }
}
