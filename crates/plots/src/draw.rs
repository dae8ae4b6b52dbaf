//! Draws a prepared figure on any plotters backend, so the PNG and the SVG
//! come from the same code.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use crate::Figure;
use crate::data::Prepared;
use crate::font::FAMILY;
use crate::ticks::tick_label;

/// A fixed palette (matplotlib's tab10), so series colours are stable across
/// figures; bands take indices first, point clouds continue after them.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

const BAND_ALPHA: f64 = 0.2;
const LINE_WIDTH: u32 = 2;
/// Legend glyph width; the legend area is a little wider for spacing.
const GLYPH_W: i32 = 26;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Draws the whole figure. plotters supports a reversed range directly
/// (`hi..lo`, linear or `.log_scale()`): both coordinate types map through a
/// signed span and compute tick positions on the sorted bounds, so no manual
/// coordinate transform is needed for `reverse_x`.
pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
    prep: &Prepared,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let x = if fig.reverse_x {
        prep.x.1..prep.x.0
    } else {
        prep.x.0..prep.x.1
    };
    let y = prep.y.0..prep.y.1;
    // The four axis combinations are distinct coordinate types in plotters.
    match (fig.log_x, fig.log_y) {
        (false, false) => chart(root, fig, prep, x, y),
        (true, false) => chart(root, fig, prep, x.log_scale(), y),
        (false, true) => chart(root, fig, prep, x, y.log_scale()),
        (true, true) => chart(root, fig, prep, x.log_scale(), y.log_scale()),
    }
}

fn chart<DB, X, Y>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
    prep: &Prepared,
    xs: X,
    ys: Y,
) -> Result<(), String>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(root)
        .caption(&fig.title, (FAMILY, 26))
        .margin(18)
        .x_label_area_size(58)
        .y_label_area_size(84)
        .build_cartesian_2d(xs, ys)
        .map_err(err)?;

    let label = |v: &f64| tick_label(*v);
    chart
        .configure_mesh()
        .x_desc(fig.x_label.as_str())
        .y_desc(fig.y_label.as_str())
        .axis_desc_style((FAMILY, 19))
        .label_style((FAMILY, 15))
        .x_label_formatter(&label)
        .y_label_formatter(&label)
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.04))
        .draw()
        .map_err(err)?;

    // Shading first, so every line sits on top of every band.
    for (i, band) in prep.bands.iter().enumerate() {
        let fill = colour(i).mix(BAND_ALPHA).filled();
        chart
            .draw_series(band.polygons.iter().map(|p| Polygon::new(p.clone(), fill)))
            .map_err(err)?;
    }

    for (i, band) in prep.bands.iter().enumerate() {
        let c = colour(i);
        let stroke = c.stroke_width(LINE_WIDTH);
        // Points isolated between NaNs have no line through them: mark them.
        chart
            .draw_series(
                band.lines
                    .iter()
                    .filter(|l| l.len() == 1)
                    .map(|l| Circle::new(l[0], 3, c.filled())),
            )
            .map_err(err)?;
        let anno = chart
            .draw_series(
                band.lines
                    .iter()
                    .filter(|l| l.len() >= 2)
                    .map(|l| PathElement::new(l.clone(), stroke)),
            )
            .map_err(err)?;
        if !band.label.is_empty() {
            let shade = if band.polygons.is_empty() {
                TRANSPARENT.filled()
            } else {
                c.mix(BAND_ALPHA).filled()
            };
            anno.label(band.label.as_str()).legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + Rectangle::new([(0, -7), (GLYPH_W, 7)], shade)
                    + PathElement::new(vec![(0, 0), (GLYPH_W, 0)], stroke)
            });
        }
    }

    let offset = prep.bands.len();
    for (i, cloud) in prep.clouds.iter().enumerate() {
        let c = colour(offset + i);
        // Semi-transparent dots so dense regions of a sample cloud read as density.
        let dot = c.mix(0.6).filled();
        let anno = chart
            .draw_series(cloud.points.iter().map(|&p| Circle::new(p, 2, dot)))
            .map_err(err)?;
        if !cloud.label.is_empty() {
            anno.label(cloud.label.as_str())
                .legend(move |(x, y)| Circle::new((x + GLYPH_W / 2, y), 4, c.filled()));
        }
    }

    let any_label = prep.bands.iter().any(|b| !b.label.is_empty())
        || prep.clouds.iter().any(|c| !c.label.is_empty());
    if any_label {
        chart
            .configure_series_labels()
            .position(legend_corner(fig, prep))
            .legend_area_size(GLYPH_W + 8)
            .margin(10)
            .label_font((FAMILY, 16))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// Upper right unless the data crowd that corner more than the upper left:
/// counts drawn points in the top third of each side, in screen terms.
fn legend_corner(fig: &Figure, prep: &Prepared) -> SeriesLabelPosition {
    let frac = |v: f64, (lo, hi): (f64, f64), log: bool| {
        if log {
            (v.log10() - lo.log10()) / (hi.log10() - lo.log10())
        } else {
            (v - lo) / (hi - lo)
        }
    };
    let points = prep
        .bands
        .iter()
        .flat_map(|b| b.lines.iter().chain(&b.polygons).flatten())
        .chain(prep.clouds.iter().flat_map(|c| &c.points));
    let (mut left, mut right) = (0usize, 0usize);
    for &(x, y) in points {
        if frac(y, prep.y, fig.log_y) < 0.67 {
            continue;
        }
        let mut fx = frac(x, prep.x, fig.log_x);
        if fig.reverse_x {
            fx = 1.0 - fx;
        }
        if fx > 0.6 {
            right += 1;
        } else if fx < 0.4 {
            left += 1;
        }
    }
    if left < right {
        SeriesLabelPosition::UpperLeft
    } else {
        SeriesLabelPosition::UpperRight
    }
}
