//! The stacked bar chart: its markup (snapshots), its scale, and its escaping.

use super::*;

fn series(name: &str, values: &[usize]) -> Series {
    Series { name: name.into(), values: values.to_vec() }
}

fn weeks(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("11/{:02}", 2 + 7 * i)).collect()
}

fn chart<'a>(labels: &'a [String], layers: &'a [Series]) -> StackedBars<'a> {
    StackedBars {
        id: "weekly",
        title: "Incidents per week by severity",
        description: "5 incidents in 3 weeks.",
        unit: "incidents",
        labels,
        series: layers,
    }
}

#[test]
fn a_week_of_incidents_is_drawn_as_stacked_bars_with_axes_and_a_legend() {
    let labels = weeks(3);
    let layers = [series("SEV1", &[1, 0, 0]), series("SEV2", &[2, 0, 1]), series("SEV3", &[0, 0, 1])];
    let svg = stacked_bars(&chart(&labels, &layers)).unwrap();
    insta::assert_snapshot!(svg);
}

#[test]
fn the_korean_chart_reads_in_korean() {
    let labels = weeks(2);
    let layers = [series("SEV1", &[0, 3]), series("SEV2", &[1, 0])];
    let svg = stacked_bars(&StackedBars {
        id: "weekly",
        title: "심각도별 주간 장애 건수",
        description: "2주 동안 장애 4건.",
        unit: "장애 건수",
        labels: &labels,
        series: &layers,
    })
    .unwrap();
    insta::assert_snapshot!(svg);
}

#[test]
fn the_chart_is_an_image_named_by_its_title_and_description() {
    let labels = weeks(1);
    let svg = stacked_bars(&chart(&labels, &[series("SEV1", &[1])])).unwrap();
    assert!(svg.starts_with("<svg "), "{svg}");
    assert!(svg.contains(r#"role="img" aria-labelledby="weekly-title weekly-desc""#), "{svg}");
    assert!(svg.contains(r#"<title id="weekly-title">Incidents per week by severity</title>"#), "{svg}");
    assert!(svg.contains(r#"<desc id="weekly-desc">5 incidents in 3 weeks.</desc>"#), "{svg}");
    assert!(!svg.contains("style="), "the page's CSP refuses inline styles: {svg}");
}

#[test]
fn every_text_is_escaped() {
    let labels = vec!["<b>W1</b>".to_owned()];
    let layers = [series("<script>alert(1)</script>", &[2])];
    let svg = stacked_bars(&StackedBars {
        id: "x\" onload=\"alert(1)",
        title: "A & B <i>",
        description: "\"quoted\" 'too'",
        unit: "<u>",
        labels: &labels,
        series: &layers,
    })
    .unwrap();
    for raw in ["<script", "<b>", "<i>", "<u>", "onload=\"", "\"quoted\""] {
        assert!(!svg.contains(raw), "{raw} left raw in {svg}");
    }
    assert!(svg.contains("&lt;script&gt;") && svg.contains("A &amp; B"), "{svg}");
    assert!(svg.contains(r#"aria-labelledby="xonloadalert1-title"#), "the id keeps only safe characters: {svg}");
}

#[test]
fn a_chart_without_incidents_still_has_its_axis_and_no_bars() {
    let labels = weeks(2);
    let svg = stacked_bars(&chart(&labels, &[series("SEV1", &[0, 0])])).unwrap();
    assert_eq!(svg.matches("<rect ").count(), 1, "the legend's swatch, no bar: {svg}");
    assert_eq!(svg.matches("<line ").count(), 2, "gridlines at 0 and 1: {svg}");
    assert!(svg.contains(">11&#x2f;02<") && svg.contains(">11&#x2f;09<"), "escaped as XML allows: {svg}");
}

#[test]
fn the_axis_steps_by_one_two_or_five_with_at_most_five_intervals() {
    assert_eq!(scale(0), (1, 1));
    assert_eq!(scale(1), (1, 1));
    assert_eq!(scale(5), (1, 5));
    assert_eq!(scale(6), (2, 6));
    assert_eq!(scale(7), (2, 8));
    assert_eq!(scale(11), (5, 15));
    assert_eq!(scale(26), (10, 30));
    assert_eq!(scale(99), (20, 100));
    assert_eq!(scale(240), (50, 250));
    assert_eq!(scale(1234), (500, 1500));
    let (step, top) = scale(usize::MAX);
    assert!(step > 0 && top >= step, "no overflow or endless loop");
}

#[test]
fn stacked_segments_meet_and_fill_the_bar_to_its_total() {
    let labels = weeks(1);
    let layers = [series("SEV1", &[1]), series("SEV2", &[2]), series("SEV3", &[3])];
    let drawn = bars(&chart(&labels, &layers), 10, 40.0);
    let segments = &drawn[0].segments;
    let edge = |s: &Segment| (s.y.parse::<f64>().unwrap(), s.height.parse::<f64>().unwrap());
    for pair in segments.windows(2) {
        let ((lower_y, _), (upper_y, upper_height)) = (edge(&pair[0]), edge(&pair[1]));
        assert!((upper_y + upper_height - lower_y).abs() < 0.11, "segments meet");
    }
    let (bottom_y, bottom_height) = edge(&segments[0]);
    assert!((bottom_y + bottom_height - PLOT_BOTTOM).abs() < 0.11, "the stack stands on the axis");
    let total: f64 = segments.iter().map(|s| edge(s).1).sum();
    assert!((total - 6.0 * (PLOT_BOTTOM - 40.0) / 10.0).abs() < 0.3, "height is proportional: {total}");
    assert_eq!(drawn[0].total, 6);
}

#[test]
fn many_bars_label_every_other_week_only() {
    let labels = weeks(20);
    let drawn = bars(&chart(&labels, &[series("SEV1", &[1; 20])]), 1, 40.0);
    let labelled: Vec<&str> = drawn.iter().map(|b| b.label.as_str()).filter(|l| !l.is_empty()).collect();
    assert_eq!(labelled.len(), 10);
    assert_eq!(labelled[0], "11/02");
}

#[test]
fn a_long_legend_wraps_onto_a_second_row() {
    let layers: Vec<Series> = (0..12).map(|i| series(&format!("Severity number {i}"), &[1])).collect();
    let (items, height) = legend(&layers);
    assert!(items.iter().any(|i| i.y != items[0].y), "wrapped");
    assert!(height > LEGEND_ROW + 6.0);
    assert_eq!(items[7].fill, PALETTE[0], "colours repeat after the palette");
}

#[test]
fn coordinates_are_written_with_at_most_one_decimal() {
    assert_eq!(num(12.0), "12");
    assert_eq!(num(12.04), "12");
    assert_eq!(num(12.25), "12.3");
    assert_eq!(num(-3.5), "-3.5");
}
