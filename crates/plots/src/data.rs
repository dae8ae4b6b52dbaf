//! Turns a `Figure` into drawable pieces: validated lengths, NaN-split line
//! segments, band polygons, polyline runs, heatmap cells and padded axis ranges. Everything here is plain
//! arithmetic so the drawing code never sees a value it cannot place.

use crate::PlotError;
use crate::figure::{Band, Figure, Heatmap, Lines, Scatter};

/// One band series, ready to draw.
pub(crate) struct BandParts {
    pub label: String,
    /// Runs of consecutive drawable mid points; an unusable value breaks the line.
    pub lines: Vec<Vec<(f64, f64)>>,
    /// Closed outlines (upper edge forward, lower edge back) of each run whose
    /// lo/hi actually differ from each other.
    pub polygons: Vec<Vec<(f64, f64)>>,
}

/// One point cloud, ready to draw.
pub(crate) struct CloudParts {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// One group of polylines, ready to draw.
pub(crate) struct LinesParts {
    pub label: String,
    /// Runs of consecutive drawable points over all paths of the group; an
    /// unusable point breaks its path, and a run never spans two paths.
    pub runs: Vec<Vec<(f64, f64)>>,
    /// Indices into `runs` of the runs that end at their path's last point,
    /// i.e. where an arrowhead goes. Empty unless the group has `arrows`; a
    /// path whose last point is unusable has no head.
    pub heads: Vec<usize>,
}

/// One non-empty heatmap cell: its x and y intervals (data coordinates) and
/// its shade in (0, 1], 1 being the maximum count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct HeatCell {
    pub x: (f64, f64),
    pub y: (f64, f64),
    pub shade: f64,
}

/// The heatmap, validated and ready to draw.
pub(crate) struct HeatParts {
    pub label: String,
    /// The cells with a positive count; empty cells are not drawn.
    pub cells: Vec<HeatCell>,
    /// The largest count (0 when every cell is empty).
    pub max: f64,
    pub log_counts: bool,
}

/// The lightest shade a non-empty cell gets, so that a single count still
/// stands out from the white background.
pub(crate) const MIN_SHADE: f64 = 0.12;

/// The whole figure, ready to draw. Ranges are padded and in increasing order;
/// reversal is applied by the drawing code.
pub(crate) struct Prepared {
    pub bands: Vec<BandParts>,
    pub clouds: Vec<CloudParts>,
    pub lines: Vec<LinesParts>,
    pub heat: Option<HeatParts>,
    pub x: (f64, f64),
    pub y: (f64, f64),
}

/// A value can be placed on an axis: finite, and positive on a log axis.
fn usable(v: f64, log: bool) -> bool {
    v.is_finite() && (!log || v > 0.0)
}

/// Running min/max over the values that will actually be drawn.
#[derive(Clone, Copy)]
struct Extent {
    lo: f64,
    hi: f64,
}

impl Extent {
    const EMPTY: Extent = Extent {
        lo: f64::INFINITY,
        hi: f64::NEG_INFINITY,
    };

    fn add(&mut self, v: f64) {
        self.lo = self.lo.min(v);
        self.hi = self.hi.max(v);
    }

    fn is_empty(&self) -> bool {
        self.lo > self.hi
    }
}

fn check_lengths(name: &str, lens: &[(&str, usize)]) -> Result<(), PlotError> {
    let (first_name, first) = lens[0];
    for &(what, n) in &lens[1..] {
        if n != first {
            return Err(PlotError::Data(format!(
                "series '{name}': {what} has {n} values but {first_name} has {first}"
            )));
        }
    }
    Ok(())
}

/// Splits a band into line runs and band polygons, widening the extents with
/// every value that is drawn.
fn band_parts(b: &Band, fig: &Figure, xe: &mut Extent, ye: &mut Extent) -> BandParts {
    let (lx, ly) = (fig.log_x, fig.log_y);
    let mut lines = Vec::new();
    let mut line: Vec<(f64, f64)> = Vec::new();
    let mut polygons = Vec::new();
    let mut run: Vec<(f64, f64, f64)> = Vec::new();

    let flush_run = |run: &mut Vec<(f64, f64, f64)>, polygons: &mut Vec<Vec<(f64, f64)>>| {
        // A single point has no area, and equal edges mean "no band".
        if run.len() >= 2 && run.iter().any(|&(_, lo, hi)| lo != hi) {
            let upper = run.iter().map(|&(x, _, hi)| (x, hi));
            let lower = run.iter().rev().map(|&(x, lo, _)| (x, lo));
            polygons.push(upper.chain(lower).collect());
        }
        run.clear();
    };

    // Values a log axis cannot show are counted and stated in the legend,
    // never dropped silently (e.g. a distance that reaches exactly 0).
    let mut hidden = 0;
    for i in 0..b.x.len() {
        let x = b.x[i];
        let x_ok = usable(x, lx);
        if x_ok && b.mid[i].is_finite() && !usable(b.mid[i], ly) {
            hidden += 1;
        }
        if x_ok && usable(b.mid[i], ly) {
            line.push((x, b.mid[i]));
            xe.add(x);
            ye.add(b.mid[i]);
        } else if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let (lo, hi) = (b.lo[i], b.hi[i]);
        if x_ok && usable(lo, ly) && usable(hi, ly) {
            run.push((x, lo, hi));
            xe.add(x);
            ye.add(lo);
            ye.add(hi);
        } else {
            flush_run(&mut run, &mut polygons);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    flush_run(&mut run, &mut polygons);

    let label = match hidden {
        0 => b.label.clone(),
        1 => format!("{} (1 value <= 0 off the log axis)", b.label),
        k => format!("{} ({k} values <= 0 off the log axis)", b.label),
    };
    BandParts {
        label,
        lines,
        polygons,
    }
}

fn cloud_parts(s: &Scatter, fig: &Figure, xe: &mut Extent, ye: &mut Extent) -> CloudParts {
    let points: Vec<(f64, f64)> =
        s.x.iter()
            .zip(&s.y)
            .map(|(&x, &y)| (x, y))
            .filter(|&(x, y)| usable(x, fig.log_x) && usable(y, fig.log_y))
            .collect();
    for &(x, y) in &points {
        xe.add(x);
        ye.add(y);
    }
    CloudParts {
        label: s.label.clone(),
        points,
    }
}

/// Splits every path of a group into runs of drawable points, widening the
/// extents with each of them.
fn lines_parts(l: &Lines, fig: &Figure, xe: &mut Extent, ye: &mut Extent) -> LinesParts {
    let mut runs = Vec::new();
    let mut heads = Vec::new();
    for path in &l.paths {
        let mut run: Vec<(f64, f64)> = Vec::new();
        for &(x, y) in path {
            if usable(x, fig.log_x) && usable(y, fig.log_y) {
                run.push((x, y));
                xe.add(x);
                ye.add(y);
            } else if !run.is_empty() {
                runs.push(std::mem::take(&mut run));
            }
        }
        // A non-empty run here ends at the path's last point: that is the head.
        if !run.is_empty() {
            if l.arrows {
                heads.push(runs.len());
            }
            runs.push(run);
        }
    }
    LinesParts {
        label: l.label.clone(),
        runs,
        heads,
    }
}

fn check_edges(label: &str, axis: &str, edges: &[f64], log: bool) -> Result<(), PlotError> {
    let fail = |what: String| {
        Err(PlotError::Data(format!(
            "heatmap '{label}': {axis}_edges{what}"
        )))
    };
    if edges.len() < 2 {
        return fail(format!(
            " has {} values; at least 2 (one bin) are needed",
            edges.len()
        ));
    }
    if let Some(i) = edges.iter().position(|v| !v.is_finite()) {
        return fail(format!("[{i}] is {}, not finite", edges[i]));
    }
    if let Some(i) = edges.windows(2).position(|w| w[0] >= w[1]) {
        return fail(format!(
            " are not strictly increasing: [{}] = {} follows [{i}] = {}",
            i + 1,
            edges[i + 1],
            edges[i]
        ));
    }
    if log && edges[0] <= 0.0 {
        return fail(format!(
            " start at {}, but the {axis} axis is logarithmic and needs edges > 0",
            edges[0]
        ));
    }
    Ok(())
}

/// Validates the heatmap and turns its non-empty cells into shaded
/// rectangles, widening the extents with its outer edges.
fn heat_parts(
    h: &Heatmap,
    fig: &Figure,
    xe: &mut Extent,
    ye: &mut Extent,
) -> Result<HeatParts, PlotError> {
    let label = &h.label;
    check_edges(label, "x", &h.x_edges, fig.log_x)?;
    check_edges(label, "y", &h.y_edges, fig.log_y)?;
    let (nx, ny) = (h.x_edges.len() - 1, h.y_edges.len() - 1);
    if nx.checked_mul(ny) != Some(h.counts.len()) {
        return Err(PlotError::Data(format!(
            "heatmap '{label}': counts has {} values but {nx} x bins by {ny} y bins need {}",
            h.counts.len(),
            nx as u128 * ny as u128
        )));
    }
    if let Some(i) = h.counts.iter().position(|c| !(c.is_finite() && *c >= 0.0)) {
        return Err(PlotError::Data(format!(
            "heatmap '{label}': counts[{i}] is {}; counts must be finite and non-negative",
            h.counts[i]
        )));
    }

    let max = h.counts.iter().copied().fold(0.0, f64::max);
    let scale = |c: f64| if h.log_counts { c.ln_1p() } else { c };
    let top = scale(max);
    let mut cells = Vec::new();
    for (k, &c) in h.counts.iter().enumerate() {
        if c > 0.0 {
            let (ix, iy) = (k % nx, k / nx);
            // c <= max, so the ratio is in (0, 1] (top > 0 as max >= c > 0).
            let t = (scale(c) / top).clamp(0.0, 1.0);
            cells.push(HeatCell {
                x: (h.x_edges[ix], h.x_edges[ix + 1]),
                y: (h.y_edges[iy], h.y_edges[iy + 1]),
                shade: MIN_SHADE + (1.0 - MIN_SHADE) * t,
            });
        }
    }
    for v in [h.x_edges[0], h.x_edges[nx]] {
        xe.add(v);
    }
    for v in [h.y_edges[0], h.y_edges[ny]] {
        ye.add(v);
    }
    Ok(HeatParts {
        label: label.clone(),
        cells,
        max,
        log_counts: h.log_counts,
    })
}

/// Pads an extent by 5% of its span on each side. On a log axis the padding
/// is multiplicative (computed in log10 space) so it looks even.
fn padded(e: Extent, log: bool, axis: &str) -> Result<(f64, f64), PlotError> {
    let (a, b) = if log {
        (e.lo.log10(), e.hi.log10())
    } else {
        (e.lo, e.hi)
    };
    let span = b - a;
    if !span.is_finite() {
        return Err(PlotError::Nothing(format!(
            "the {axis} values span [{}, {}], too wide to draw",
            e.lo, e.hi
        )));
    }
    let pad = if span > 0.0 {
        span * 0.05
    } else if log {
        // One value on a log axis: show half a decade either side.
        0.5
    } else if a != 0.0 {
        a.abs() * 0.1
    } else {
        1.0
    };
    let (lo, hi) = (a - pad, b + pad);
    let (lo, hi) = if log {
        (10f64.powf(lo), 10f64.powf(hi))
    } else {
        (lo, hi)
    };
    if lo.is_finite() && hi.is_finite() && lo < hi && (!log || lo > 0.0) {
        Ok((lo, hi))
    } else {
        // Padding pushed a bound out of range (values near the f64 limits):
        // fall back to the bare extent when it is still a proper interval.
        if e.lo < e.hi {
            Ok((e.lo, e.hi))
        } else {
            Err(PlotError::Nothing(format!(
                "the {axis} values around {} cannot be given a drawable range",
                e.lo
            )))
        }
    }
}

fn names(fig: &Figure) -> String {
    let names: Vec<String> = fig
        .series
        .iter()
        .map(|b| format!("'{}'", b.label))
        .chain(fig.points.iter().map(|s| format!("'{}'", s.label)))
        .chain(fig.lines.iter().map(|l| format!("'{}'", l.label)))
        .chain(fig.heatmap.iter().map(|h| format!("heatmap '{}'", h.label)))
        .collect();
    names.join(", ")
}

/// Validates the figure and builds everything the drawing code needs.
pub(crate) fn prepare(fig: &Figure) -> Result<Prepared, PlotError> {
    if fig.series.is_empty()
        && fig.points.is_empty()
        && fig.lines.is_empty()
        && fig.heatmap.is_none()
    {
        return Err(PlotError::Nothing(format!(
            "figure '{}' has no series, no point clouds, no lines and no heatmap",
            fig.title
        )));
    }
    // A valid heatmap always has a drawable extent; an invalid one is an
    // error whatever else the figure holds.
    let (mut xe, mut ye) = (Extent::EMPTY, Extent::EMPTY);
    let heat = fig
        .heatmap
        .as_ref()
        .map(|h| heat_parts(h, fig, &mut xe, &mut ye))
        .transpose()?;
    for b in &fig.series {
        check_lengths(
            &b.label,
            &[
                ("x", b.x.len()),
                ("mid", b.mid.len()),
                ("lo", b.lo.len()),
                ("hi", b.hi.len()),
            ],
        )?;
    }
    for s in &fig.points {
        check_lengths(&s.label, &[("x", s.x.len()), ("y", s.y.len())])?;
    }
    let all_empty = fig.series.iter().all(|b| b.x.is_empty())
        && fig.points.iter().all(|s| s.x.is_empty())
        && fig.lines.iter().all(|l| l.paths.iter().all(Vec::is_empty));
    if all_empty && heat.is_none() {
        return Err(PlotError::Nothing(format!(
            "figure '{}': every series is empty ({})",
            fig.title,
            names(fig)
        )));
    }

    let bands: Vec<BandParts> = fig
        .series
        .iter()
        .map(|b| band_parts(b, fig, &mut xe, &mut ye))
        .collect();
    let clouds: Vec<CloudParts> = fig
        .points
        .iter()
        .map(|s| cloud_parts(s, fig, &mut xe, &mut ye))
        .collect();
    let lines: Vec<LinesParts> = fig
        .lines
        .iter()
        .map(|l| lines_parts(l, fig, &mut xe, &mut ye))
        .collect();
    if xe.is_empty() || ye.is_empty() {
        let need = match (fig.log_x, fig.log_y) {
            (false, false) => "finite",
            _ => "finite (and positive on a log axis)",
        };
        return Err(PlotError::Nothing(format!(
            "figure '{}': no {need} values to draw in {}",
            fig.title,
            names(fig)
        )));
    }

    let (mut clouds, mut lines) = (clouds, lines);
    let (x, y) = match fig.view {
        Some([vx, vy]) if vx.0 < vx.1 && vy.0 < vy.1 && !fig.log_x && !fig.log_y => {
            let inside =
                |&(x, y): &(f64, f64)| (vx.0..=vx.1).contains(&x) && (vy.0..=vy.1).contains(&y);
            for c in &mut clouds {
                c.points.retain(inside);
            }
            for l in &mut lines {
                clip_lines(l, vx, vy);
            }
            (vx, vy)
        }
        _ => (padded(xe, fig.log_x, "x")?, padded(ye, fig.log_y, "y")?),
    };
    Ok(Prepared {
        bands,
        clouds,
        lines,
        heat,
        x,
        y,
    })
}

/// The part of segment p-q inside the rectangle (Liang-Barsky), if any.
fn clip_segment(
    p: (f64, f64),
    q: (f64, f64),
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (pk, qk) in [
        (-dx, p.0 - x0),
        (dx, x1 - p.0),
        (-dy, p.1 - y0),
        (dy, y1 - p.1),
    ] {
        if pk == 0.0 {
            if qk < 0.0 {
                return None;
            }
        } else {
            let r = qk / pk;
            if pk < 0.0 {
                if r > t1 {
                    return None;
                }
                t0 = t0.max(r);
            } else {
                if r < t0 {
                    return None;
                }
                t1 = t1.min(r);
            }
        }
    }
    Some((
        (p.0 + t0 * dx, p.1 + t0 * dy),
        (p.0 + t1 * dx, p.1 + t1 * dy),
    ))
}

/// Cuts a line group's runs at the view's edges; a run keeps its arrowhead
/// when its last point (the head) is inside.
fn clip_lines(l: &mut LinesParts, vx: (f64, f64), vy: (f64, f64)) {
    let inside = |(x, y): (f64, f64)| (vx.0..=vx.1).contains(&x) && (vy.0..=vy.1).contains(&y);
    let (mut runs, mut heads) = (Vec::new(), Vec::new());
    for (r, run) in l.runs.iter().enumerate() {
        let mut pieces: Vec<Vec<(f64, f64)>> = Vec::new();
        if run.len() == 1 && inside(run[0]) {
            pieces.push(run.clone());
        }
        for w in run.windows(2) {
            if let Some((a, b)) = clip_segment(w[0], w[1], vx, vy) {
                match pieces.last_mut() {
                    Some(piece) if piece.last() == Some(&a) => piece.push(b),
                    _ => pieces.push(vec![a, b]),
                }
            }
        }
        let head = l.heads.contains(&r) && run.last().is_some_and(|&p| inside(p));
        let n = pieces.len();
        for (k, piece) in pieces.into_iter().enumerate() {
            if head && k + 1 == n {
                heads.push(runs.len());
            }
            runs.push(piece);
        }
    }
    l.runs = runs;
    l.heads = heads;
}

/// Widens the range whose data units are the shorter on screen so that one
/// unit spans the same number of pixels on both axes, keeping each range's
/// centre. `px` is the plotting area in pixels (width, height). On a log
/// axis the unit is a decade (the arithmetic is done in log10 space). If the
/// widened range would not be drawable (values near the f64 limits) the
/// ranges are returned unchanged.
pub(crate) fn equal_aspect(
    x: (f64, f64),
    y: (f64, f64),
    log: (bool, bool),
    px: (f64, f64),
) -> ((f64, f64), (f64, f64)) {
    let to = |(lo, hi): (f64, f64), log: bool| {
        if log {
            (lo.log10(), hi.log10())
        } else {
            (lo, hi)
        }
    };
    let back = |(lo, hi): (f64, f64), log: bool| {
        if log {
            (10f64.powf(lo), 10f64.powf(hi))
        } else {
            (lo, hi)
        }
    };
    let (lx, ly) = (to(x, log.0), to(y, log.1));
    // Data units per pixel on each axis.
    let (ux, uy) = ((lx.1 - lx.0) / px.0, (ly.1 - ly.0) / px.1);
    let ok = |v: f64| v.is_finite() && v > 0.0;
    if !(ok(px.0) && ok(px.1) && ok(ux) && ok(uy)) || ux == uy {
        return (x, y);
    }
    let widen = |(lo, hi): (f64, f64), span: f64| {
        let mid = lo + (hi - lo) / 2.0;
        (mid - span / 2.0, mid + span / 2.0)
    };
    let (nx, ny) = if ux > uy {
        (x, back(widen(ly, ux * px.1), log.1))
    } else {
        (back(widen(lx, uy * px.0), log.0), y)
    };
    let drawable = |(lo, hi): (f64, f64), log: bool| {
        lo.is_finite() && hi.is_finite() && lo < hi && (!log || lo > 0.0)
    };
    if drawable(nx, log.0) && drawable(ny, log.1) {
        (nx, ny)
    } else {
        (x, y)
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use plotters::prelude::{IntoDrawingArea, SVGBackend};
    use tempfile::{TempDir, tempdir};

    use super::{MIN_SHADE, equal_aspect, prepare};
    use crate::draw::{chart_builder, plot_size};
    use crate::test_util::{band, list, png_size, sigma_figure};
    use crate::{Band, Figure, Heatmap, Lines, PlotError, Scatter, render};

    fn data_error(fig: &Figure, dir: &TempDir) -> String {
        match render(fig, &dir.path().join("bad")) {
            Err(PlotError::Data(msg)) => {
                // Nothing is written for a figure that cannot be drawn.
                let left = list(dir.path());
                assert!(
                    left.iter().all(|n| n.starts_with("empty.")),
                    "left files: {left:?}"
                );
                msg
            }
            other => panic!("expected a data error, got {other:?}"),
        }
    }

    /// Renders a figure with nothing drawable: both files exist and the SVG
    /// says why; returns its text.
    fn placeholder(fig: &Figure, dir: &TempDir) -> String {
        let paths = render(fig, &dir.path().join("empty")).expect("a placeholder");
        assert_eq!(png_size(&fs::read(&paths[0]).unwrap()), (1000, 650));
        let svg = fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("nothing to draw"), "{svg}");
        svg
    }

    #[test]
    fn a_view_clips_lines_at_its_edges_and_drops_points_outside() {
        let fig = Figure {
            title: "view".into(),
            points: vec![Scatter {
                label: "p".into(),
                x: vec![0.5, 5.0],
                y: vec![0.5, 5.0],
            }],
            lines: vec![Lines {
                label: "l".into(),
                // Enters the unit square from (-1, 0.5), leaves, comes back to end inside.
                paths: vec![vec![(-1.0, 0.5), (0.5, 0.5), (3.0, 0.5), (0.25, 0.25)]],
                arrows: true,
            }],
            view: Some([(0.0, 1.0), (0.0, 1.0)]),
            ..Figure::default()
        };
        let prep = prepare(&fig).unwrap();
        assert_eq!((prep.x, prep.y), ((0.0, 1.0), (0.0, 1.0)));
        assert_eq!(prep.clouds[0].points, [(0.5, 0.5)]);
        let runs = &prep.lines[0].runs;
        assert_eq!(runs[0], [(0.0, 0.5), (0.5, 0.5), (1.0, 0.5)]);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1].last(), Some(&(0.25, 0.25)));
        assert_eq!(
            prep.lines[0].heads,
            [1],
            "the head is inside: its arrow stays"
        );
    }

    #[test]
    fn skips_nan_and_non_positive_values_on_log_axes() {
        let dir = tempdir().unwrap();
        let x = vec![10.0, 5.0, 0.0, -1.0, 1.0, f64::NAN, 0.1, 0.01];
        let mid = vec![1.0, f64::NAN, 2.0, 3.0, 0.5, 0.4, -0.3, 0.2];
        let fig = Figure {
            title: "gaps".into(),
            log_x: true,
            log_y: true,
            reverse_x: true,
            series: vec![Band {
                label: "gappy".into(),
                lo: mid.clone(),
                hi: mid.iter().map(|m| m * 1.5).collect(),
                x,
                mid,
            }],
            ..Figure::default()
        };
        let paths = render(&fig, &dir.path().join("gaps")).unwrap();
        assert_eq!(png_size(&fs::read(&paths[0]).unwrap()), (1000, 650));
        // The one finite mid at a usable x that the log axis cannot show
        // (-0.3 at x = 0.1) is stated in the legend, not dropped silently.
        let prep = prepare(&fig).unwrap();
        assert_eq!(prep.bands[0].label, "gappy (1 value <= 0 off the log axis)");
        let svg = fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("off the log axis"));
    }

    #[test]
    fn bad_figures_are_data_errors_and_empty_ones_placeholders() {
        let dir = tempdir().unwrap();

        let empty = Figure {
            title: "nothing".into(),
            ..Figure::default()
        };
        assert!(placeholder(&empty, &dir).contains("no series"));

        let all_empty = Figure {
            series: vec![Band {
                label: "hollow".into(),
                ..Band::default()
            }],
            points: vec![Scatter {
                label: "void".into(),
                ..Scatter::default()
            }],
            ..Figure::default()
        };
        let msg = placeholder(&all_empty, &dir);
        assert!(msg.contains("hollow") && msg.contains("void"), "{msg}");

        let mut mismatched = sigma_figure();
        mismatched.series[1].hi.pop();
        let msg = data_error(&mismatched, &dir);
        assert!(
            msg.contains("Heun (9 steps)") && msg.contains("hi"),
            "{msg}"
        );

        let mismatched_cloud = Figure {
            points: vec![Scatter {
                label: "lopsided".into(),
                x: vec![1.0, 2.0],
                y: vec![1.0],
            }],
            ..Figure::default()
        };
        assert!(data_error(&mismatched_cloud, &dir).contains("lopsided"));

        let nan = Figure {
            series: vec![Band {
                label: "all nan".into(),
                x: vec![1.0, 2.0],
                mid: vec![f64::NAN, f64::INFINITY],
                lo: vec![f64::NAN; 2],
                hi: vec![f64::NAN; 2],
            }],
            ..Figure::default()
        };
        assert!(placeholder(&nan, &dir).contains("all nan"));

        let negative_on_log = Figure {
            log_y: true,
            points: vec![Scatter {
                label: "below zero".into(),
                x: vec![1.0, 2.0],
                y: vec![-1.0, 0.0],
            }],
            ..Figure::default()
        };
        assert!(placeholder(&negative_on_log, &dir).contains("below zero"));

        let huge = Figure {
            points: vec![Scatter {
                label: "huge".into(),
                x: vec![-f64::MAX, f64::MAX],
                y: vec![0.0, 1.0],
            }],
            ..Figure::default()
        };
        assert!(placeholder(&huge, &dir).contains("too wide"));

        assert!(matches!(
            render(&sigma_figure(), Path::new("/")),
            Err(PlotError::Data(_))
        ));
    }

    #[test]
    fn nan_breaks_a_path_and_only_real_heads_get_arrows() {
        let nan = f64::NAN;
        let fig = Figure {
            lines: vec![Lines {
                label: "gappy".into(),
                paths: vec![
                    vec![
                        (0.0, 0.0),
                        (1.0, 1.0),
                        (nan, 2.0),
                        (3.0, 3.0),
                        (4.0, f64::INFINITY),
                        (5.0, 5.0),
                    ],
                    // The head is missing: no arrowhead anywhere on this path.
                    vec![(6.0, 6.0), (7.0, 7.0), (8.0, nan)],
                    vec![],
                    vec![(nan, nan)],
                ],
                arrows: true,
            }],
            ..Figure::default()
        };
        let prep = prepare(&fig).unwrap();
        let g = &prep.lines[0];
        assert_eq!(
            g.runs,
            vec![
                vec![(0.0, 0.0), (1.0, 1.0)],
                vec![(3.0, 3.0)],
                vec![(5.0, 5.0)],
                vec![(6.0, 6.0), (7.0, 7.0)],
            ]
        );
        assert_eq!(g.heads, vec![2]);

        // Without arrows there are no heads; on a log axis non-positive points
        // break the path too.
        let mut log = fig.clone();
        log.lines[0].arrows = false;
        log.log_x = true;
        let prep = prepare(&log).unwrap();
        assert!(prep.lines[0].heads.is_empty());
        assert_eq!(prep.lines[0].runs[0], vec![(1.0, 1.0)]);

        let dir = tempdir().unwrap();
        render(&fig, &dir.path().join("gappy")).unwrap();
        render(&log, &dir.path().join("gappy-log")).unwrap();
    }

    #[test]
    fn lines_enter_the_axis_extents() {
        let fig = Figure {
            points: vec![Scatter {
                label: "cloud".into(),
                x: vec![0.0, 1.0],
                y: vec![0.0, 1.0],
            }],
            lines: vec![
                Lines {
                    label: "far".into(),
                    paths: vec![vec![(0.5, 0.5), (10.0, -5.0)]],
                    arrows: true,
                },
                // Empty groups are fine when something else is drawable.
                Lines::default(),
            ],
            ..Figure::default()
        };
        let prep = prepare(&fig).unwrap();
        // 5% padding on the spans 10 and 6.
        assert!((prep.x.0 - -0.5).abs() < 1e-12 && (prep.x.1 - 10.5).abs() < 1e-12);
        assert!((prep.y.0 - -5.3).abs() < 1e-12 && (prep.y.1 - 1.3).abs() < 1e-12);
        let dir = tempdir().unwrap();
        render(&fig, &dir.path().join("e")).unwrap();
    }

    #[test]
    fn empty_line_groups_alone_are_placeholders() {
        let dir = tempdir().unwrap();
        let hollow = Figure {
            lines: vec![Lines {
                label: "no paths".into(),
                ..Lines::default()
            }],
            points: vec![Scatter::default()],
            ..Figure::default()
        };
        assert!(placeholder(&hollow, &dir).contains("no paths"));
        let nan = Figure {
            lines: vec![Lines {
                label: "nan paths".into(),
                paths: vec![vec![(f64::NAN, 1.0)], vec![]],
                arrows: true,
            }],
            ..Figure::default()
        };
        assert!(placeholder(&nan, &dir).contains("nan paths"));
    }

    #[test]
    fn equal_aspect_gives_both_axes_the_same_scale() {
        crate::font::ensure_registered().unwrap();
        let fig = Figure {
            title: "equal".into(),
            equal_aspect: true,
            lines: vec![Lines {
                label: "wide".into(),
                paths: vec![vec![(-10.0, 0.0), (10.0, 1.0)]],
                arrows: false,
            }],
            ..Figure::default()
        };
        let prep = prepare(&fig).unwrap();
        let mut text = String::new();
        let root = SVGBackend::with_string(&mut text, crate::SIZE).into_drawing_area();
        let px = plot_size(&root, &fig).unwrap();
        let (x, y) = equal_aspect(prep.x, prep.y, (false, false), px);
        // x is the wide one: kept; y widened about its centre.
        assert_eq!(x, prep.x);
        assert!(y.0 < prep.y.0 && y.1 > prep.y.1);
        assert!(((y.0 + y.1) / 2.0 - 0.5).abs() < 1e-12);
        let chart = chart_builder(&root, &fig)
            .build_cartesian_2d(x.0..x.1, y.0..y.1)
            .unwrap();
        let o = chart.backend_coord(&(0.0, 0.0));
        let ex = chart.backend_coord(&(10.0, 0.0));
        let ey = chart.backend_coord(&(0.0, 10.0));
        assert!(
            ((ex.0 - o.0) - (o.1 - ey.1)).abs() <= 1,
            "{o:?} {ex:?} {ey:?}"
        );

        // The other way round, and in decades on log-log axes.
        let (x, y) = equal_aspect((0.0, 1.0), (0.0, 10.0), (false, false), (800.0, 400.0));
        assert_eq!(y, (0.0, 10.0));
        assert!((x.1 - x.0 - 20.0).abs() < 1e-9 && (x.0 + x.1 - 1.0).abs() < 1e-9);
        let (x, y) = equal_aspect((1.0, 10.0), (1.0, 1e4), (true, true), (800.0, 400.0));
        assert_eq!(y, (1.0, 1e4));
        assert!((x.1.log10() - x.0.log10() - 8.0).abs() < 1e-9, "{x:?}");
        // Unwidenable ranges are left alone.
        let huge = (-f64::MAX, f64::MAX);
        assert_eq!(
            equal_aspect((0.0, 1.0), huge, (false, false), (800.0, 400.0)).0,
            (0.0, 1.0)
        );

        let dir = tempdir().unwrap();
        render(&fig, &dir.path().join("eq")).unwrap();
        let mut log = fig.clone();
        log.log_x = true;
        log.log_y = true;
        log.lines[0].paths = vec![vec![(1.0, 1.0), (1e3, 10.0)]];
        render(&log, &dir.path().join("eq-log")).unwrap();
    }

    #[test]
    fn heatmap_cells_shading_and_extent() {
        let heat = Heatmap {
            label: String::new(),
            x_edges: vec![-5.0, 0.0, 5.0],
            y_edges: vec![10.0, 20.0],
            counts: vec![1.0, 1000.0],
            log_counts: false,
        };
        let fig = Figure {
            points: vec![Scatter {
                label: "cloud".into(),
                x: vec![0.0, 1.0],
                y: vec![12.0, 13.0],
            }],
            heatmap: Some(heat.clone()),
            ..Figure::default()
        };
        let prep = prepare(&fig).unwrap();
        // The axis ranges cover the heatmap's outer edges (plus 5% padding).
        assert!((prep.x.0 - -5.5).abs() < 1e-12 && (prep.x.1 - 5.5).abs() < 1e-12);
        assert!((prep.y.0 - 9.5).abs() < 1e-12 && (prep.y.1 - 20.5).abs() < 1e-12);
        let h = prep.heat.as_ref().unwrap();
        assert_eq!(h.max, 1000.0);
        assert_eq!(h.cells.len(), 2);
        assert_eq!((h.cells[1].x, h.cells[1].y), ((0.0, 5.0), (10.0, 20.0)));
        assert_eq!(h.cells[1].shade, 1.0);
        let linear = h.cells[0].shade;
        assert!((linear - (MIN_SHADE + (1.0 - MIN_SHADE) * 1e-3)).abs() < 1e-12);

        // Log shading lifts the sparse cell; zero cells are not drawn at all.
        let mut log = fig.clone();
        let lh = log.heatmap.as_mut().unwrap();
        lh.log_counts = true;
        lh.x_edges = vec![-5.0, 0.0, 5.0, 6.0];
        lh.counts = vec![1.0, 1000.0, 0.0];
        let prep = prepare(&log).unwrap();
        let h = prep.heat.as_ref().unwrap();
        assert_eq!(h.cells.len(), 2);
        let want = MIN_SHADE + (1.0 - MIN_SHADE) * 2f64.ln() / 1001f64.ln();
        assert!((h.cells[0].shade - want).abs() < 1e-12 && want > linear);

        // A heatmap alone is a figure; all-zero counts draw an empty grid.
        let dir = tempdir().unwrap();
        let alone = Figure {
            title: "alone".into(),
            heatmap: Some(Heatmap {
                label: "zeros".into(),
                counts: vec![0.0, 0.0],
                ..heat
            }),
            ..Figure::default()
        };
        assert!(prepare(&alone).unwrap().heat.unwrap().cells.is_empty());
        let paths = render(&alone, &dir.path().join("alone")).unwrap();
        let svg = fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("zeros (max 0)"));
        // Linear axes, not reversed, with log shading and a fractional maximum.
        let mut frac = alone.clone();
        let fh = frac.heatmap.as_mut().unwrap();
        fh.counts = vec![0.25, 2.5];
        fh.log_counts = true;
        let paths = render(&frac, &dir.path().join("frac")).unwrap();
        let svg = fs::read_to_string(&paths[1]).unwrap();
        assert!(svg.contains("zeros (max 2.5, log shading)"));
    }

    #[test]
    fn invalid_heatmaps_are_data_errors() {
        let dir = tempdir().unwrap();
        let good = Heatmap {
            label: "grid".into(),
            x_edges: vec![1.0, 2.0, 3.0],
            y_edges: vec![1.0, 2.0],
            counts: vec![1.0, 2.0],
            log_counts: false,
        };
        let fig = |h: Heatmap| Figure {
            // A valid series does not excuse an invalid heatmap.
            series: vec![band("band", &[1.0, 2.0, 3.0], |v| v, 0.1)],
            heatmap: Some(h),
            ..Figure::default()
        };
        assert!(prepare(&fig(good.clone())).is_ok());
        let expect = |h: Heatmap, words: &[&str]| {
            let msg = data_error(&fig(h), &dir);
            assert!(msg.contains("heatmap 'grid'"), "{msg}");
            for w in words {
                assert!(msg.contains(w), "{msg} lacks {w}");
            }
        };
        let with = |f: &dyn Fn(&mut Heatmap)| {
            let mut h = good.clone();
            f(&mut h);
            h
        };
        expect(
            with(&|h| h.x_edges = vec![1.0, 3.0, 2.0]),
            &["x_edges", "increasing"],
        );
        expect(
            with(&|h| h.y_edges = vec![1.0, 1.0]),
            &["y_edges", "increasing"],
        );
        expect(
            with(&|h| h.x_edges[1] = f64::NAN),
            &["x_edges[1]", "finite"],
        );
        expect(
            with(&|h| h.y_edges[1] = f64::INFINITY),
            &["y_edges[1]", "finite"],
        );
        expect(with(&|h| h.y_edges = vec![1.0]), &["y_edges", "at least 2"]);
        expect(
            with(&|h| {
                h.x_edges.clear();
                h.counts.clear();
            }),
            &["x_edges"],
        );
        expect(with(&|h| h.counts.push(1.0)), &["counts has 3", "need 2"]);
        expect(with(&|h| h.counts.clear()), &["counts has 0"]);
        expect(
            with(&|h| h.counts[0] = -1.0),
            &["counts[0]", "non-negative"],
        );
        expect(with(&|h| h.counts[1] = f64::NAN), &["counts[1]"]);
        expect(with(&|h| h.counts[1] = f64::INFINITY), &["counts[1]"]);

        // On a log axis every edge must be positive.
        let on_log = |h: Heatmap, log_x: bool| Figure {
            log_x,
            log_y: !log_x,
            heatmap: Some(h),
            ..Figure::default()
        };
        assert!(prepare(&on_log(good.clone(), true)).is_ok());
        let zero = with(&|h| h.x_edges = vec![0.0, 1.0, 2.0]);
        assert!(data_error(&on_log(zero.clone(), true), &dir).contains("logarithmic"));
        // ... but only on the log axis.
        assert!(prepare(&on_log(zero, false)).is_ok());
        let negative = with(&|h| h.y_edges = vec![-1.0, 2.0]);
        assert!(data_error(&on_log(negative, false), &dir).contains("y_edges"));

        // Unlabelled heatmaps are named too, and edges near the f64 limits
        // cannot be given a range.
        let huge = Heatmap {
            label: String::new(),
            x_edges: vec![-f64::MAX, f64::MAX],
            y_edges: vec![0.0, 1.0],
            counts: vec![1.0],
            log_counts: false,
        };
        assert!(placeholder(&fig(huge), &dir).contains("too wide"));
    }
}
