//! Draws a prepared figure on any plotters backend, so the PNG and the SVG
//! come from the same code.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::data::{self, HeatParts, Prepared};
use crate::figure::Figure;
use crate::font::FAMILY;
use crate::ticks::tick_label;

/// A fixed palette (matplotlib's tab10), so series colours are stable across
/// figures; bands take indices first, line groups continue after them and
/// point clouds after those.
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

/// The heatmap's sequential ramp (ColorBrewer's Greys without its pure white
/// and black ends): neutral, so every palette colour stays readable on top.
const HEAT_RAMP: [(u8, u8, u8); 7] = [
    (240, 240, 240),
    (217, 217, 217),
    (189, 189, 189),
    (150, 150, 150),
    (115, 115, 115),
    (82, 82, 82),
    (37, 37, 37),
];

/// The colour of a heatmap shade in [0, 1] (light to dark), interpolated
/// linearly between the ramp's steps; out-of-range shades are clamped.
pub(crate) fn heat_colour(shade: f64) -> RGBColor {
    let last = HEAT_RAMP.len() - 1;
    let pos = if shade.is_nan() {
        0.0
    } else {
        shade.clamp(0.0, 1.0) * last as f64
    };
    let i = (pos.floor() as usize).min(last - 1);
    let f = pos - i as f64;
    let (a, b) = (HEAT_RAMP[i], HEAT_RAMP[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + (f64::from(q) - f64::from(p)) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The heatmap's legend text: its label with the maximum count.
pub(crate) fn heat_legend(heat: &HeatParts) -> String {
    let max = if heat.max.fract() == 0.0 && heat.max < 1e15 {
        format!("{:.0}", heat.max)
    } else {
        tick_label(heat.max)
    };
    let scale = if heat.log_counts { ", log shading" } else { "" };
    format!("{} (max {max}{scale})", heat.label)
}

const BAND_ALPHA: f64 = 0.2;
/// Dash and gap lengths in pixels of the dashed series.
const DASH: i32 = 9;
const DASH_GAP: i32 = 5;
/// A series with more points than this gets no markers (they would merge).
const MAX_MARKERS: usize = 60;
const MARKER: i32 = 4;
const LINE_WIDTH: u32 = 2;
/// A line group with more runs than this is drawn with thin translucent
/// strokes, so that dozens of overlapping trajectories stay readable and
/// overlaps read as density.
const FEW_PATHS: usize = 8;
const MANY_ALPHA: f64 = 0.55;
/// Arrowhead barbs: length in pixels for thin and normal strokes, and the
/// angle either side of the path's direction.
const ARROW_LEN_THIN: f64 = 6.0;
const ARROW_LEN: f64 = 9.0;
const ARROW_ANGLE_DEG: f64 = 25.0;
/// Sub-pixel resolution of the arrow direction (see `Fine`).
const SUBPIXEL: i32 = 16;
/// Chart layout, shared with `plot_size`.
const TITLE_SIZE: u32 = 26;
const MARGIN: u32 = 18;
const X_AREA: u32 = 58;
const Y_AREA: u32 = 84;
/// Legend glyph width; the legend area is a little wider for spacing.
const GLYPH_W: i32 = 26;
/// The heatmap's legend glyph: a ramp of this many steps across `GLYPH_W`.
const HEAT_STEPS: i32 = 5;

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
    let ranges = if fig.equal_aspect {
        let px = plot_size(root, fig)?;
        data::equal_aspect(prep.x, prep.y, (fig.log_x, fig.log_y), px)
    } else {
        (prep.x, prep.y)
    };
    let x = if fig.reverse_x {
        ranges.0.1..ranges.0.0
    } else {
        ranges.0.0..ranges.0.1
    };
    let y = ranges.1.0..ranges.1.1;
    // The four axis combinations are distinct coordinate types in plotters.
    // Log axes get ticks at 1, 2 and 5 per decade (1 only over wide
    // ranges), so a range within a decade or two still has labelled ticks.
    let (tx, ty) = (log_ticks(ranges.0), log_ticks(ranges.1));
    match (fig.log_x, fig.log_y) {
        (false, false) => chart(root, fig, prep, ranges, x, y),
        (true, false) => chart(
            root,
            fig,
            prep,
            ranges,
            x.log_scale().with_key_points(tx),
            y,
        ),
        (false, true) => chart(
            root,
            fig,
            prep,
            ranges,
            x,
            y.log_scale().with_key_points(ty),
        ),
        (true, true) => chart(
            root,
            fig,
            prep,
            ranges,
            x.log_scale().with_key_points(tx),
            y.log_scale().with_key_points(ty),
        ),
    }
}

/// A figure with nothing drawable: its title, and the reason in the middle
/// of an empty canvas (long reasons wrap at word boundaries).
pub(crate) fn nothing_to_draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    why: &str,
) -> Result<(), String> {
    root.fill(&WHITE).map_err(err)?;
    let (w, h) = root.dim_in_pixel();
    let centred = |size: u32| {
        TextStyle::from((FAMILY, size).into_font()).pos(Pos::new(HPos::Center, VPos::Center))
    };
    let mid = w as i32 / 2;
    root.draw(&Text::new(
        title.to_string(),
        (mid, MARGIN as i32 + 20),
        centred(TITLE_SIZE),
    ))
    .map_err(err)?;
    let mut lines = vec!["nothing to draw".to_string()];
    let mut line = String::new();
    for word in why.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() > 80 {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    let top = h as i32 / 2 - 14 * lines.len() as i32;
    for (i, l) in lines.iter().enumerate() {
        root.draw(&Text::new(
            l.clone(),
            (mid, top + 28 * i as i32),
            centred(20),
        ))
        .map_err(err)?;
    }
    Ok(())
}

/// The chart layout (caption, margin, label areas) used for every figure.
pub(crate) fn chart_builder<'a, 'b, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    fig: &Figure,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(root);
    builder
        .caption(&fig.title, (FAMILY, TITLE_SIZE))
        .margin(MARGIN)
        .x_label_area_size(X_AREA)
        .y_label_area_size(Y_AREA);
    builder
}

/// The pixel lengths (width, height) onto which `chart_builder` maps the x
/// and y ranges, computed as plotters lays the chart out: margin first, then
/// the caption (text height plus padding), then the label areas; a range
/// maps onto first..last pixel, hence one less than the area's size.
pub(crate) fn plot_size<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
) -> Result<(f64, f64), String> {
    let style = TextStyle::from((FAMILY, TITLE_SIZE).into_font());
    let (_, text_h) = root.estimate_text_size(&fig.title, &style).map_err(err)?;
    let text_h = text_h as i32;
    let caption = text_h + 2 * (text_h / 2).min(5);
    let (w, h) = root.dim_in_pixel();
    let (m, xa, ya) = (MARGIN as i32, X_AREA as i32, Y_AREA as i32);
    let width = w as i32 - 2 * m - ya - 1;
    let height = h as i32 - 2 * m - caption - xa - 1;
    Ok((f64::from(width), f64::from(height)))
}

/// An arrowhead: where it sits (data coordinates) and its two barb ends as
/// pixel offsets from there.
type Arrowhead = ((f64, f64), [(i32, i32); 2]);

/// The arrowhead at the end of `run`, pointing along the direction in which
/// the run arrives on screen. `fine` maps data to (sub-)pixel coordinates.
/// The direction is taken from the last earlier point at least a pixel
/// away (else the farthest one), so that tiny final steps do not make it
/// jitter; a run that never leaves its head's pixel gets no arrowhead.
pub(crate) fn arrowhead(
    run: &[(f64, f64)],
    fine: impl Fn((f64, f64)) -> (f64, f64),
    len: f64,
) -> Option<Arrowhead> {
    let (&head, rest) = run.split_last()?;
    let h = fine(head);
    let mut best: Option<(f64, f64, f64)> = None;
    for &p in rest.iter().rev() {
        let q = fine(p);
        let (dx, dy) = (h.0 - q.0, h.1 - q.1);
        let d = dx.hypot(dy);
        if d > best.map_or(0.0, |b| b.0) {
            best = Some((d, dx, dy));
        }
        if d >= 1.0 {
            break;
        }
    }
    let (d, dx, dy) = best?;
    // Unit vector pointing back along the path, rotated by ±the barb angle.
    let (bx, by) = (-dx / d, -dy / d);
    let barb = |a: f64| {
        let (sin, cos) = a.sin_cos();
        let (rx, ry) = (bx * cos - by * sin, bx * sin + by * cos);
        ((len * rx).round() as i32, (len * ry).round() as i32)
    };
    let a = ARROW_ANGLE_DEG.to_radians();
    Some((head, [barb(a), barb(-a)]))
}

fn chart<DB, X, Y>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure,
    prep: &Prepared,
    ranges: ((f64, f64), (f64, f64)),
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
    let mut chart = chart_builder(root, fig)
        .build_cartesian_2d(xs, ys)
        .map_err(err)?;

    // The heatmap goes first, so the (faint) grid and every other series
    // are drawn over it.
    if let Some(heat) = &prep.heat {
        let anno = chart
            .draw_series(heat.cells.iter().map(|c| {
                Rectangle::new(
                    [(c.x.0, c.y.0), (c.x.1, c.y.1)],
                    heat_colour(c.shade).filled(),
                )
            }))
            .map_err(err)?;
        if !heat.label.is_empty() {
            // A stepped ramp from the lightest to the darkest shade.
            let w = GLYPH_W / HEAT_STEPS;
            let step = move |k: i32| {
                let shade = data::MIN_SHADE
                    + (1.0 - data::MIN_SHADE) * f64::from(k) / f64::from(HEAT_STEPS - 1);
                Rectangle::new([(k * w, -7), ((k + 1) * w, 7)], heat_colour(shade).filled())
            };
            anno.label(heat_legend(heat)).legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + step(0)
                    + step(1)
                    + step(2)
                    + step(3)
                    + step(4)
                    + Rectangle::new([(0, -7), (HEAT_STEPS * w, 7)], BLACK.mix(0.4))
            });
        }
    }

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
        let points: Vec<(f64, f64)> = band.lines.iter().flatten().copied().collect();
        // Told apart in grey print too: every second series dashed, and
        // each with its own marker where the points are few enough to read.
        let shape = (points.len() <= MAX_MARKERS).then(|| marker_shape(i));
        if let Some(shape) = &shape {
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&p| EmptyElement::at(p) + Polygon::new(shape.clone(), c.filled())),
                )
                .map_err(err)?;
        }
        let runs = band.lines.iter().filter(|l| l.len() >= 2);
        let anno = if dashed(i) {
            let mut last = None;
            for l in runs {
                last = Some(
                    chart
                        .draw_series(DashedLineSeries::new(l.clone(), DASH, DASH_GAP, stroke))
                        .map_err(err)?,
                );
            }
            last
        } else {
            Some(
                chart
                    .draw_series(runs.map(|l| PathElement::new(l.clone(), stroke)))
                    .map_err(err)?,
            )
        };
        if let (Some(anno), false) = (anno, band.label.is_empty()) {
            let shade = if band.polygons.is_empty() {
                TRANSPARENT.filled()
            } else {
                c.mix(BAND_ALPHA).filled()
            };
            // A gap in the middle of the legend line for a dashed series.
            let (a, b) = if dashed(i) {
                (GLYPH_W / 3, 2 * GLYPH_W / 3)
            } else {
                (GLYPH_W / 2, GLYPH_W / 2)
            };
            let glyph = shape.unwrap_or_default();
            anno.label(band.label.as_str()).legend(move |(x, y)| {
                EmptyElement::at((x, y))
                    + Rectangle::new([(0, -7), (GLYPH_W, 7)], shade)
                    + PathElement::new(vec![(0, 0), (a, 0)], stroke)
                    + PathElement::new(vec![(b, 0), (GLYPH_W, 0)], stroke)
                    + Polygon::new(
                        glyph
                            .iter()
                            .map(|&(u, v)| (u + GLYPH_W / 2, v))
                            .collect::<Vec<_>>(),
                        c.filled(),
                    )
            });
        }
    }

    let offset = prep.bands.len() + prep.lines.len();
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

    draw_lines(&mut chart, prep)?;

    let any_label = prep.heat.as_ref().is_some_and(|h| !h.label.is_empty())
        || prep.bands.iter().any(|b| !b.label.is_empty())
        || prep.clouds.iter().any(|c| !c.label.is_empty())
        || prep.lines.iter().any(|l| !l.label.is_empty());
    if any_label {
        chart
            .configure_series_labels()
            .position(legend_corner(fig, prep, ranges))
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

/// Draws the line groups, on top of everything else. Arrowheads are sized in
/// pixels: their direction comes from plotters' own coordinate mapping (so
/// log and reversed axes are handled), evaluated on a pixel grid `SUBPIXEL`
/// times finer than the image so that short segments still point right.
fn draw_lines<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    prep: &Prepared,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let thin = |runs: usize| runs > FEW_PATHS;
    let heads: Vec<Vec<Arrowhead>> = {
        let (px, py) = chart.plotting_area().get_pixel_range();
        let spec = chart.as_coord_spec();
        let k = SUBPIXEL;
        // The limits plotters maps the ranges onto, scaled by k.
        let (xl, yl) = (
            (px.start * k, (px.end - 1) * k),
            ((py.end - 1) * k, py.start * k),
        );
        let fine = |(x, y): (f64, f64)| {
            let sx = spec.x_spec().map(&x, xl);
            let sy = spec.y_spec().map(&y, yl);
            (f64::from(sx) / f64::from(k), f64::from(sy) / f64::from(k))
        };
        prep.lines
            .iter()
            .map(|g| {
                let len = if thin(g.runs.len()) {
                    ARROW_LEN_THIN
                } else {
                    ARROW_LEN
                };
                g.heads
                    .iter()
                    .filter_map(|&i| arrowhead(&g.runs[i], fine, len))
                    .collect()
            })
            .collect()
    };

    for (i, (group, heads)) in prep.lines.iter().zip(heads).enumerate() {
        let c = colour(prep.bands.len() + i);
        let (width, alpha) = if thin(group.runs.len()) {
            (1, MANY_ALPHA)
        } else {
            (LINE_WIDTH, 1.0)
        };
        let stroke = c.mix(alpha).stroke_width(width);
        // Points isolated between unusable ones have no line: mark them.
        let dot = c.mix(alpha).filled();
        chart
            .draw_series(
                group
                    .runs
                    .iter()
                    .filter(|r| r.len() == 1)
                    .map(|r| Circle::new(r[0], width + 1, dot)),
            )
            .map_err(err)?;
        chart
            .draw_series(heads.into_iter().map(|(at, [a, b])| {
                EmptyElement::at(at) + PathElement::new(vec![a, (0, 0), b], stroke)
            }))
            .map_err(err)?;
        let anno = chart
            .draw_series(
                group
                    .runs
                    .iter()
                    .filter(|r| r.len() >= 2)
                    .map(|r| PathElement::new(r.clone(), stroke)),
            )
            .map_err(err)?;
        if !group.label.is_empty() {
            // The legend shows the colour at full strength, with an
            // arrowhead when the group has them.
            let mut glyph = vec![(0, 0), (GLYPH_W, 0)];
            if !group.heads.is_empty() {
                let a = ARROW_ANGLE_DEG.to_radians();
                let (dx, dy) = (
                    (ARROW_LEN * a.cos()).round() as i32,
                    (ARROW_LEN * a.sin()).round() as i32,
                );
                glyph.extend([(GLYPH_W - dx, -dy), (GLYPH_W, 0), (GLYPH_W - dx, dy)]);
            }
            let legend_stroke = c.stroke_width(LINE_WIDTH);
            anno.label(group.label.as_str()).legend(move |(x, y)| {
                EmptyElement::at((x, y)) + PathElement::new(glyph.clone(), legend_stroke)
            });
        }
    }
    Ok(())
}

/// Upper right unless the data crowd that corner more than the upper left:
/// counts drawn points (and the centres of non-empty heatmap cells) in the
/// top third of each side, in screen terms.
fn legend_corner(
    fig: &Figure,
    prep: &Prepared,
    (xr, yr): ((f64, f64), (f64, f64)),
) -> SeriesLabelPosition {
    let frac = |v: f64, (lo, hi): (f64, f64), log: bool| {
        if log {
            (v.log10() - lo.log10()) / (hi.log10() - lo.log10())
        } else {
            (v - lo) / (hi - lo)
        }
    };
    let centre = |(a, b): (f64, f64), log: bool| {
        if log {
            a.sqrt() * b.sqrt()
        } else {
            a + (b - a) / 2.0
        }
    };
    let cells = prep
        .heat
        .iter()
        .flat_map(|h| &h.cells)
        .map(|c| (centre(c.x, fig.log_x), centre(c.y, fig.log_y)));
    let points = prep
        .bands
        .iter()
        .flat_map(|b| b.lines.iter().chain(&b.polygons).flatten())
        .chain(prep.clouds.iter().flat_map(|c| &c.points))
        .chain(prep.lines.iter().flat_map(|l| l.runs.iter().flatten()))
        .copied()
        .chain(cells);
    let (mut left, mut right) = (0usize, 0usize);
    for (x, y) in points {
        if frac(y, yr, fig.log_y) < 0.67 {
            continue;
        }
        let mut fx = frac(x, xr, fig.log_x);
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

/// Tick values of a log axis over [lo, hi] (lo > 0): m 10^k for m in
/// 1, 2, 5, or only 1 when the range spans more than four decades.
pub(crate) fn log_ticks((lo, hi): (f64, f64)) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let mantissas: &[f64] = if b - a > 4 { &[1.0] } else { &[1.0, 2.0, 5.0] };
    (a..=b)
        .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
        .filter(|v| (lo..=hi).contains(v))
        .collect()
}

/// Every second series is dashed.
fn dashed(i: usize) -> bool {
    i % 2 == 1
}

/// The marker of series `i`, as a polygon around (0, 0) in pixels:
/// circle, square, triangle, diamond.
fn marker_shape(i: usize) -> Vec<(i32, i32)> {
    let m = MARKER;
    match i % 4 {
        0 => (0..12)
            .map(|k| {
                let a = f64::from(k) * std::f64::consts::TAU / 12.0;
                (
                    (f64::from(m) * a.cos()).round() as i32,
                    (f64::from(m) * a.sin()).round() as i32,
                )
            })
            .collect(),
        1 => vec![(-m, -m), (m, -m), (m, m), (-m, m)],
        2 => vec![(0, -m - 1), (m + 1, m), (-m - 1, m)],
        _ => vec![(0, -m - 1), (m + 1, 0), (0, m + 1), (-m - 1, 0)],
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_ticks_label_short_ranges() {
        assert_eq!(super::log_ticks((4.0, 60.0)), [5.0, 10.0, 20.0, 50.0]);
        assert_eq!(super::log_ticks((1e-5, 1e3)).len(), 9);
        assert!(super::log_ticks((0.0, 1.0)).is_empty());
    }

    use std::fs;

    use plotters::prelude::{BitMapBackend, IntoDrawingArea, IntoLogRange, SVGBackend};
    use tempfile::tempdir;

    use super::{arrowhead, chart_builder, heat_colour, plot_size};
    use crate::data::{MIN_SHADE, prepare};
    use crate::test_util::{band, list, png_size, sigma_figure, svg_text_x, trajectories};
    use crate::{Figure, Heatmap, Lines, log_edges, render};

    fn count(svg: &str, what: &str) -> usize {
        svg.matches(what).count()
    }

    #[test]
    fn unreversed_axis_increases_left_to_right() {
        let dir = tempdir().unwrap();
        let mut fig = sigma_figure();
        fig.reverse_x = false;
        let paths = render(&fig, &dir.path().join("f")).unwrap();
        let svg = fs::read_to_string(&paths[1]).unwrap();
        assert!(svg_text_x(&svg, "10") > svg_text_x(&svg, "0.01"));
    }

    #[test]
    fn renders_a_figure_of_only_lines() {
        let dir = tempdir().unwrap();
        let fig = Figure {
            title: "Sampling trajectories".into(),
            x_label: "x₁".into(),
            y_label: "x₂".into(),
            lines: vec![Lines {
                label: "trajectories".into(),
                paths: trajectories(64, 30),
                arrows: false,
            }],
            ..Figure::default()
        };
        let paths = render(&fig, &dir.path().join("traj")).unwrap();
        assert_eq!(png_size(&fs::read(&paths[0]).unwrap()), (1000, 650));
        let svg = fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("trajectories"));
        // One polyline per path, plus the legend glyph; many paths are drawn
        // thin and translucent.
        assert!(
            count(&svg, "<polyline") > 64,
            "{}",
            count(&svg, "<polyline")
        );
        assert!(svg.contains(r#"opacity="0.55""#));
        assert_eq!(list(dir.path()), vec!["traj.png", "traj.svg"]);
    }

    #[test]
    fn arrows_render_one_head_per_drawable_segment() {
        let dir = tempdir().unwrap();
        // A vector field on a grid; one zero-length vector has no direction.
        let mut paths = Vec::new();
        for i in 0..5 {
            for j in 0..4 {
                let (x, y) = (i as f64, j as f64);
                paths.push(vec![(x, y), (x - 0.3 * y, y + 0.3 * x)]);
            }
        }
        assert_eq!(paths[0][0], paths[0][1]);
        let field = |arrows| Figure {
            title: "field".into(),
            lines: vec![Lines {
                label: "drift".into(),
                paths: paths.clone(),
                arrows,
            }],
            ..Figure::default()
        };
        let with = render(&field(true), &dir.path().join("with")).unwrap();
        let without = render(&field(false), &dir.path().join("without")).unwrap();
        assert_eq!(png_size(&fs::read(&with[0]).unwrap()), (1000, 650));
        let (a, b) = (
            fs::read_to_string(&with[1]).unwrap(),
            fs::read_to_string(&without[1]).unwrap(),
        );
        assert_eq!(count(&a, "<polyline"), count(&b, "<polyline") + 19);

        // Also on reversed log axes, where plotters does the mapping.
        let mut log = field(true);
        log.lines[0].paths = vec![
            vec![(1.0, 1.0), (100.0, 10.0)],
            vec![(5.0, 20.0), (2.0, 3.0)],
        ];
        log.log_x = true;
        log.log_y = true;
        log.reverse_x = true;
        render(&log, &dir.path().join("log")).unwrap();
    }

    #[test]
    fn arrowheads_point_back_along_the_screen_direction() {
        let id = |p: (f64, f64)| p;
        // Arriving rightwards: both barbs go back left, one up and one down.
        let (at, [a, b]) = arrowhead(&[(0.0, 0.0), (10.0, 0.0)], id, 6.0).unwrap();
        assert_eq!(at, (10.0, 0.0));
        assert_eq!([a, b], [(-5, -3), (-5, 3)]);
        // Arriving downwards (screen y grows downwards): barbs go back up.
        let (_, [a, b]) = arrowhead(&[(0.0, 0.0), (0.0, 10.0)], id, 6.0).unwrap();
        assert!(a.1 < 0 && b.1 < 0 && a.0 == -b.0, "{a:?} {b:?}");
        // A sub-pixel last step: the direction comes from further back.
        let run = [(0.0, 0.0), (10.0, 0.0), (10.0, 0.2)];
        let (_, [a, b]) = arrowhead(&run, id, 6.0).unwrap();
        assert_eq!(a.0, -5);
        assert_eq!(b.0, -5);
        // No direction at all: no arrowhead.
        assert!(arrowhead(&[(1.0, 1.0), (1.0, 1.0)], id, 6.0).is_none());
        assert!(arrowhead(&[(1.0, 1.0)], id, 6.0).is_none());
    }

    #[test]
    fn unlabelled_line_group_has_no_legend_entry() {
        let dir = tempdir().unwrap();
        let fig = |label: &str| Figure {
            series: vec![band("band", &[1.0, 2.0, 3.0], |v| v, 0.1)],
            lines: vec![Lines {
                label: label.into(),
                paths: trajectories(3, 10),
                arrows: true,
            }],
            ..Figure::default()
        };
        let texts = |label: &str| {
            let paths = render(&fig(label), &dir.path().join(format!("l{}", label.len()))).unwrap();
            let svg = fs::read_to_string(&paths[1]).unwrap();
            (count(&svg, "<text"), count(&svg, "<polyline"))
        };
        let (t_named, p_named) = texts("paths");
        let (t_blank, p_blank) = texts("");
        // The named group adds its label and its legend glyph, nothing else differs.
        assert_eq!(t_named, t_blank + 1);
        assert_eq!(p_named, p_blank + 1);
    }

    #[test]
    fn plot_size_matches_the_chart_layout() {
        crate::font::ensure_registered().unwrap();
        for title in ["", "A title with descenders: gjpqy"] {
            let fig = Figure {
                title: title.into(),
                ..Figure::default()
            };
            let mut text = String::new();
            let root = SVGBackend::with_string(&mut text, crate::SIZE).into_drawing_area();
            let size = plot_size(&root, &fig).unwrap();
            let chart = chart_builder(&root, &fig)
                .build_cartesian_2d(0.0..1.0, 0.0..1.0)
                .unwrap();
            let (a, b) = (
                chart.backend_coord(&(0.0, 0.0)),
                chart.backend_coord(&(1.0, 1.0)),
            );
            assert_eq!(
                size,
                (f64::from(b.0 - a.0), f64::from(a.1 - b.1)),
                "{title:?}"
            );
        }
    }

    #[test]
    fn heat_shades_run_from_light_to_dark() {
        let lum = |s: f64| {
            let c = heat_colour(s);
            u32::from(c.0) + u32::from(c.1) + u32::from(c.2)
        };
        let shades: Vec<u32> = (0..=100).map(|i| lum(f64::from(i) / 100.0)).collect();
        assert!(shades.windows(2).all(|w| w[0] >= w[1]), "{shades:?}");
        assert!(lum(MIN_SHADE) < 3 * 240 && lum(1.0) == 3 * 37);
        // Out-of-range shades are clamped.
        assert_eq!(heat_colour(-1.0), heat_colour(0.0));
        assert_eq!(heat_colour(2.0), heat_colour(1.0));
    }

    /// The error-model layout: σ on a reversed log axis, relative error on a log
    /// axis, a 30 x 20 grid of counts with one peak, one half-height cell and
    /// one trajectory drawn across the peak's row.
    const PEAK: (usize, usize) = (5, 12);
    const HALF: (usize, usize) = (20, 6);
    const EMPTY: (usize, usize) = (24, 3);

    fn heat_figure() -> Figure {
        let (nx, ny) = (30, 20);
        let x_edges = log_edges(0.002, 80.0, nx);
        let y_edges = log_edges(1e-3, 10.0, ny);
        let mut counts = vec![0.0; nx * ny];
        for iy in 0..ny {
            for ix in 0..nx {
                // A diagonal ridge of small counts, away from the test cells.
                if ix.abs_diff(iy) <= 1 {
                    counts[iy * nx + ix] = 3.0;
                }
            }
        }
        counts[PEAK.1 * nx + PEAK.0] = 100.0;
        counts[HALF.1 * nx + HALF.0] = 50.0;
        assert_eq!(counts[EMPTY.1 * nx + EMPTY.0], 0.0);
        // The trajectory runs 3/4 of the way up the peak's row (in log terms).
        let (y0, y1) = (y_edges[PEAK.1], y_edges[PEAK.1 + 1]);
        let y_line = y0.powf(0.25) * y1.powf(0.75);
        Figure {
            title: "Relative error of the denoiser".into(),
            x_label: "noise level σ".into(),
            y_label: "relative error".into(),
            log_x: true,
            log_y: true,
            reverse_x: true,
            lines: vec![Lines {
                label: "one trajectory".into(),
                paths: vec![vec![(0.002, y_line), (80.0, y_line)]],
                arrows: false,
            }],
            heatmap: Some(Heatmap {
                label: "trajectory states".into(),
                x_edges,
                y_edges,
                counts,
                log_counts: false,
            }),
            ..Figure::default()
        }
    }

    /// A figure drawn into an RGB buffer, with the pixels of the data points
    /// (0.002, 1e-3) and (80, 10) for mapping log-log data coordinates.
    struct Raster {
        buf: Vec<u8>,
        corners: [(i32, i32); 2],
    }

    impl Raster {
        /// Draws `fig` (log-log, reversed x) with the same code as `render`.
        fn new(fig: &Figure) -> Raster {
            crate::font::ensure_registered().unwrap();
            assert!(fig.log_x && fig.log_y && fig.reverse_x && !fig.equal_aspect);
            let prep = prepare(fig).unwrap();
            let (w, h) = crate::SIZE;
            let mut buf = vec![0u8; (w * h * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut buf, crate::SIZE).into_drawing_area();
                crate::draw::draw(&root, fig, &prep).unwrap();
                root.present().unwrap();
            }
            // The same layout on a scratch canvas gives the coordinate mapping.
            let mut scratch = vec![0u8; (w * h * 3) as usize];
            let root = BitMapBackend::with_buffer(&mut scratch, crate::SIZE).into_drawing_area();
            let chart = chart_builder(&root, fig)
                .build_cartesian_2d(
                    (prep.x.1..prep.x.0).log_scale(),
                    (prep.y.0..prep.y.1).log_scale(),
                )
                .unwrap();
            let corners = [
                chart.backend_coord(&(0.002, 1e-3)),
                chart.backend_coord(&(80.0, 10.0)),
            ];
            Raster { buf, corners }
        }

        /// The pixel of a data point, interpolated in log space between the corners.
        fn at(&self, (x, y): (f64, f64)) -> (i32, i32) {
            let [(ax, ay), (bx, by)] = self.corners;
            let fx = (x / 0.002).ln() / (80.0f64 / 0.002).ln();
            let fy = (y / 1e-3).ln() / (10.0f64 / 1e-3).ln();
            (
                (f64::from(ax) + fx * f64::from(bx - ax)).round() as i32,
                (f64::from(ay) + fy * f64::from(by - ay)).round() as i32,
            )
        }

        fn pixel(&self, (x, y): (i32, i32)) -> (u8, u8, u8) {
            let i = (y as usize * crate::SIZE.0 as usize + x as usize) * 3;
            (self.buf[i], self.buf[i + 1], self.buf[i + 2])
        }
    }

    fn luminance((r, g, b): (u8, u8, u8)) -> u32 {
        u32::from(r) + u32::from(g) + u32::from(b)
    }

    #[test]
    fn heatmap_renders_beneath_an_overlaid_line() {
        let fig = heat_figure();
        let heat = fig.heatmap.as_ref().unwrap();
        let centre = |(ix, iy): (usize, usize)| {
            let (x0, x1) = (heat.x_edges[ix], heat.x_edges[ix + 1]);
            let (y0, y1) = (heat.y_edges[iy], heat.y_edges[iy + 1]);
            ((x0 * x1).sqrt(), (y0 * y1).sqrt())
        };
        let r = Raster::new(&fig);
        let (peak, half, empty) = (r.at(centre(PEAK)), r.at(centre(HALF)), r.at(centre(EMPTY)));
        // Reversed x: the small-σ peak sits right of the large-σ half cell.
        assert!(peak.0 > half.0, "{peak:?} {half:?}");
        let (p, m, e) = (r.pixel(peak), r.pixel(half), r.pixel(empty));
        assert!(luminance(p) < 3 * 60, "peak {p:?}");
        assert!(
            luminance(p) < luminance(m) && luminance(m) < luminance(e),
            "{p:?} {m:?} {e:?}"
        );
        // An empty cell is left white (up to a faint grid line).
        assert!(luminance(e) > 3 * 200, "empty {e:?}");

        // The trajectory crosses the peak cell and is drawn over it.
        let y_line = fig.lines[0].paths[0][0].1;
        let on_line = r.at((centre(PEAK).0, y_line));
        assert!(on_line.1 < peak.1 - 3, "{on_line:?} {peak:?}");
        let l = r.pixel(on_line);
        let blue = (31u8, 119u8, 180u8);
        let near = |a: u8, b: u8| a.abs_diff(b) <= 30;
        assert!(
            near(l.0, blue.0) && near(l.1, blue.1) && near(l.2, blue.2),
            "line pixel {l:?}"
        );

        // Both files are written; the SVG has one rect per non-empty cell plus
        // the legend's ramp (5 steps and a border), and the legend names the
        // heatmap with its maximum.
        let dir = tempdir().unwrap();
        let paths = render(&fig, &dir.path().join("error-model")).unwrap();
        assert_eq!(png_size(&fs::read(&paths[0]).unwrap()), (1000, 650));
        let svg = fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("trajectory states (max 100)"), "legend");
        assert!(svg.contains(r##"fill="#252525""##));
        let cells = heat.counts.iter().filter(|&&c| c > 0.0).count();
        let mut bare = fig.clone();
        bare.heatmap = None;
        let bare_paths = render(&bare, &dir.path().join("bare")).unwrap();
        let bare_svg = fs::read_to_string(&bare_paths[1]).unwrap();
        assert_eq!(count(&svg, "<rect"), count(&bare_svg, "<rect") + cells + 6);
        // The line comes after every cell in drawing order.
        let last_cell = svg.rfind(r##"fill="#252525""##).unwrap();
        let line = svg.rfind(r##"stroke="#1F77B4""##).unwrap();
        assert!(line > last_cell);
    }
}
