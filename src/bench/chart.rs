//! The SVG chart of cost against model size for the MLP family (plotters, SVG backend).
use std::path::Path;

use plotters::prelude::*;

use super::FamilyPoint;

/// A plotted series: its name, its colour, and its value at a family member.
type Series = (&'static str, RGBColor, fn(&FamilyPoint) -> f64);

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Log range around positive values (a decade of margin rounded out).
fn log_range(vals: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = vals.filter(|v| *v > 0.0).fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        return 1.0..10.0;
    }
    10f64.powf(lo.log10().floor())..10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0))
}

type Chart<'a> = ChartContext<'a, SVGBackend<'a>, Cartesian2d<LogCoord<f64>, LogCoord<f64>>>;

/// One log-log panel against the parameter count with a line and dots per series.
fn panel<'a>(
    area: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
    caption: &str,
    y_desc: &str,
    points: &[FamilyPoint],
    series: &[Series],
) -> Result<Chart<'a>, String> {
    let xs = log_range(points.iter().map(|p| p.params as f64));
    let ys = log_range(points.iter().flat_map(|p| series.iter().map(move |s| (s.2)(p))));
    let mut c = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(xs.log_scale(), ys.log_scale())
        .map_err(err)?;
    c.configure_mesh()
        .x_desc("parameters")
        .y_desc(y_desc)
        .x_label_formatter(&|v| format!("{v:.0e}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .draw()
        .map_err(err)?;
    for &(name, color, f) in series {
        let pts: Vec<(f64, f64)> = points.iter().map(|p| (p.params as f64, f(p))).collect();
        c.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        c.draw_series(pts.into_iter().map(|xy| Circle::new(xy, 3, color.filled()))).map_err(err)?;
    }
    Ok(c)
}

fn legend(c: &mut Chart<'_>) -> Result<(), String> {
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.85))
        .draw()
        .map_err(err)
}

/// Two panels against the parameter count: times (keygen, prove, verify, native integer
/// forward) and circuit rows with the padded size 2^k. Writes an SVG file.
pub fn family_chart(points: &[FamilyPoint], path: &Path, title: &str) -> Result<(), String> {
    let root = SVGBackend::new(path, (1100, 460)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled(title, ("sans-serif", 20)).map_err(err)?;
    let (left, right) = root.split_horizontally(560);

    let times: [Series; 4] = [
        ("prove", RED, |p| p.prove_s),
        ("keygen", BLUE, |p| p.keygen_s),
        ("verify", GREEN, |p| p.verify_s),
        ("native integer forward", BLACK, |p| p.native_int_s),
    ];
    let mut c = panel(&left, "time (s), median", "seconds", points, &times)?;
    legend(&mut c)?;

    let rows: [Series; 2] =
        [("rows used", MAGENTA, |p| p.rows as f64), ("2^k (padded)", CYAN, |p| (1u64 << p.k) as f64)];
    let mut c = panel(&right, "circuit size", "rows", points, &rows)?;
    // Labels alternate above the 2^k line and below the rows line so that neighbours do not
    // overlap; the last one is moved left to stay inside the plot.
    for (i, p) in points.iter().enumerate() {
        let label = format!("H={} k={} w={}", p.hidden, p.k, p.width);
        let x = p.params as f64 * if i + 1 == points.len() { 0.3 } else { 0.8 };
        let y = if i % 2 == 0 { (1u64 << p.k) as f64 * 1.12 } else { p.rows as f64 * 0.72 };
        c.draw_series(std::iter::once(Text::new(label, (x, y), ("sans-serif", 12)))).map_err(err)?;
    }
    legend(&mut c)?;
    root.present().map_err(err)?;
    Ok(())
}
