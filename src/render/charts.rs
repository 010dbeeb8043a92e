//! Charts as SVG drawn on the server, so the dashboard needs no script: this module works out
//! the geometry, and the template `assets/dashboard/stacked_bars.svg` (compiled into the
//! binary, every value XML-escaped by the engine) writes it out.
//!
//! A chart is an image to a screen reader (`role="img"`, named by its `<title>` and
//! `<desc>`); the page puts every figure in a table beside it as well. Colours are SVG
//! presentation attributes, which the dashboard's Content-Security-Policy allows where it
//! refuses inline `style`; text takes the page's colour (`currentColor`), so dark mode works.

use std::sync::LazyLock;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};
use serde::Serialize;

const TEMPLATE: &str = "stacked_bars.svg";

static CHARTS: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    // SVG is XML: escape as for HTML (the engine's default would not, for `.svg`).
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    if let Err(error) = env.add_template(TEMPLATE, include_str!("../../assets/dashboard/stacked_bars.svg")) {
        tracing::error!(%error, template = TEMPLATE, "a chart template does not compile");
    }
    env
});

/// Series colours, most severe first: red, orange, amber, blue, purple, green, grey (then
/// again). Each reads on a light and a dark page.
pub const PALETTE: [&str; 7] = ["#c62828", "#ef6c00", "#f9a825", "#1565c0", "#8e24aa", "#2e7d32", "#78909c"];

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 300.0;
const PLOT_LEFT: f64 = 56.0;
const PLOT_RIGHT: f64 = WIDTH - 12.0;
const PLOT_BOTTOM: f64 = HEIGHT - 32.0;
const LEGEND_ROW: f64 = 20.0;
/// At most this many x-axis labels; beyond it every other (or third…) bar is labelled.
const MAX_LABELS: usize = 16;

/// One layer of the stack: a name for the legend and a value per bar.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub values: Vec<usize>,
}

/// A stacked bar chart: one bar per label, the series stacked in order from the bottom.
#[derive(Clone, Debug)]
pub struct StackedBars<'a> {
    /// Unique in the page: the ids of the title and description are made from it.
    pub id: &'a str,
    pub title: &'a str,
    /// What a screen reader says after the title.
    pub description: &'a str,
    /// The y axis's label, with its unit ("incidents").
    pub unit: &'a str,
    /// Under each bar.
    pub labels: &'a [String],
    pub series: &'a [Series],
}

/// A coordinate as SVG reads it: at most one decimal, no trailing `.0`.
fn num(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 { format!("{rounded:.0}") } else { format!("{rounded:.1}") }
}

/// An id safe in an attribute and as an XML name.
fn safe_id(id: &str) -> String {
    let kept: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    if kept.starts_with(|c: char| c.is_ascii_alphabetic()) { kept } else { format!("chart-{kept}") }
}

/// The y axis: a step of 1, 2 or 5 × 10ⁿ giving at most five intervals, and the top.
fn scale(max: usize) -> (usize, usize) {
    let mut magnitude = 1usize;
    loop {
        for step in [magnitude, magnitude.saturating_mul(2), magnitude.saturating_mul(5)] {
            let intervals = max.div_ceil(step).max(1);
            if intervals <= 5 || step == usize::MAX {
                return (step, step.saturating_mul(intervals));
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

#[derive(Serialize)]
struct Tick {
    y: String,
    label: usize,
}

#[derive(Serialize)]
struct Segment {
    x: String,
    y: String,
    width: String,
    height: String,
    fill: &'static str,
    tip: String,
}

#[derive(Serialize)]
struct Bar {
    middle: String,
    label: String,
    total: usize,
    total_y: String,
    segments: Vec<Segment>,
}

#[derive(Serialize)]
struct LegendItem {
    x: String,
    text_x: String,
    y: String,
    fill: &'static str,
    name: String,
}

/// Lays the legend out in rows across the top; returns the items and the rows' height.
fn legend(series: &[Series]) -> (Vec<LegendItem>, f64) {
    let mut items = Vec::new();
    let (mut x, mut y) = (PLOT_LEFT, 6.0);
    for (index, one) in series.iter().enumerate() {
        // About 7.5 units a character at this size; a wide (CJK) one nearly double.
        let text: f64 = one.name.chars().map(|c| if c.is_ascii() { 7.5 } else { 14.0 }).sum();
        let width = 12.0 + 6.0 + text + 16.0;
        if x + width > WIDTH && x > PLOT_LEFT {
            (x, y) = (PLOT_LEFT, y + LEGEND_ROW);
        }
        items.push(LegendItem {
            x: num(x),
            text_x: num(x + 18.0),
            y: num(y),
            fill: PALETTE[index % PALETTE.len()],
            name: one.name.clone(),
        });
        x += width;
    }
    (items, y + LEGEND_ROW)
}

fn bars(chart: &StackedBars<'_>, top_value: usize, plot_top: f64) -> Vec<Bar> {
    let count = chart.labels.len().max(1);
    let slot = (PLOT_RIGHT - PLOT_LEFT) / count as f64;
    let bar_width = (slot * 0.6).min(48.0);
    let per_unit = (PLOT_BOTTOM - plot_top) / top_value as f64;
    let every = count.div_ceil(MAX_LABELS);
    chart
        .labels
        .iter()
        .enumerate()
        .map(|(index, label)| {
            let left = PLOT_LEFT + index as f64 * slot + (slot - bar_width) / 2.0;
            let mut below = 0usize;
            let mut segments = Vec::new();
            for (layer, series) in chart.series.iter().enumerate() {
                let value = series.values.get(index).copied().unwrap_or(0);
                if value == 0 {
                    continue;
                }
                // Both edges from the running sum, so stacked segments meet exactly.
                let (bottom, top) =
                    (PLOT_BOTTOM - below as f64 * per_unit, PLOT_BOTTOM - (below + value) as f64 * per_unit);
                segments.push(Segment {
                    x: num(left),
                    y: num(top),
                    width: num(bar_width),
                    height: num(bottom - top),
                    fill: PALETTE[layer % PALETTE.len()],
                    tip: format!("{}, {label}: {value}", series.name),
                });
                below += value;
            }
            Bar {
                middle: num(left + bar_width / 2.0),
                label: if index % every == 0 { label.clone() } else { String::new() },
                total: below,
                total_y: num(PLOT_BOTTOM - below as f64 * per_unit - 4.0),
                segments,
            }
        })
        .collect()
}

/// The chart as an `<svg>` element to place in a page.
pub fn stacked_bars(chart: &StackedBars<'_>) -> anyhow::Result<String> {
    let (legend, legend_height) = legend(chart.series);
    // Room above the highest bar for its total.
    let plot_top = legend_height + 14.0;
    let highest = (0..chart.labels.len())
        .map(|i| chart.series.iter().map(|s| s.values.get(i).copied().unwrap_or(0)).sum::<usize>())
        .max()
        .unwrap_or(0);
    let (step, top_value) = scale(highest);
    let per_unit = (PLOT_BOTTOM - plot_top) / top_value as f64;
    let ticks: Vec<Tick> = (0..=top_value / step)
        .map(|n| Tick { y: num(PLOT_BOTTOM - (n * step) as f64 * per_unit), label: n * step })
        .collect();
    let values = context! {
        id => safe_id(chart.id),
        title => chart.title,
        description => chart.description,
        unit => chart.unit,
        width => num(WIDTH),
        height => num(HEIGHT),
        plot_left => num(PLOT_LEFT),
        plot_right => num(PLOT_RIGHT),
        tick_x => num(PLOT_LEFT - 6.0),
        // Rotated a quarter turn: x runs up the page, y across it.
        unit_x => num(-(plot_top + PLOT_BOTTOM) / 2.0),
        unit_y => num(16.0),
        label_y => num(PLOT_BOTTOM + 18.0),
        ticks,
        bars => bars(chart, top_value, plot_top),
        legend,
    };
    Ok(CHARTS.get_template(TEMPLATE)?.render(values)?)
}

#[cfg(test)]
#[path = "charts_tests.rs"]
mod tests;
