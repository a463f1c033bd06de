//! Charts drawn on the server as SVG: pure functions that turn figures into geometry (bar
//! lengths, line points, axis ticks, progress against the time elapsed); the templates draw it.
//! Every chart has its numbers beside it in text, so the SVG itself is hidden from screen
//! readers, and it needs no script and prints.

use chrono::{Datelike, NaiveDate};
use kepu_domain::stats::Period;

/// Rounds a coordinate to one decimal, to keep the SVG short.
fn r1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A figure as people write it: whole numbers without decimals, halves with one.
pub fn number(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        format!("{x:.1}")
    }
}

/// A share as a percentage with one decimal (`34.5%`).
pub fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// The step between ticks of an axis from 0 to at least `max` in about `count` steps: 1, 2 or 5
/// times a power of ten (at least 1: the figures are counts and half-hours).
pub fn nice_step(max: f64, count: usize) -> f64 {
    if !max.is_finite() || max <= 0.0 || count == 0 {
        return 1.0;
    }
    let raw = max / count as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    step.max(1.0)
}

/// The tick values of an axis from 0 to the first multiple of the step at or above `max`.
pub fn ticks(max: f64, count: usize) -> Vec<f64> {
    let step = nice_step(max, count);
    let top = if max > 0.0 && max.is_finite() {
        (max / step).ceil() * step
    } else {
        step
    };
    let n = (top / step).round() as usize;
    (0..=n).map(|i| i as f64 * step).collect()
}

/// One bar of a horizontal bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// What it measures (a township's name).
    pub label: String,
    /// The value in words (`1234`, `12.5`).
    pub value: String,
    /// Its length, 0–100 (the largest bar is 100).
    pub width: f64,
}

/// The bars of `rows`, largest first (ties in the given order), scaled to the largest.
pub fn bars(rows: Vec<(String, f64)>) -> Vec<Bar> {
    let max = rows.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let mut rows = rows;
    rows.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    rows.into_iter()
        .map(|(label, v)| Bar {
            label,
            value: number(v),
            width: if max > 0.0 {
                r1(v.max(0.0) / max * 100.0)
            } else {
                0.0
            },
        })
        .collect()
}

/// A position on an axis with its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Where (x for the horizontal axis, y for the vertical).
    pub at: f64,
    /// The label.
    pub label: String,
}

/// A point of a line.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// x.
    pub x: f64,
    /// y.
    pub y: f64,
}

/// A line chart of one series: the drawing is 360 × 200 user units (the `viewBox` of
/// `console/charts.html`), scaled by the browser to the width it has.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// The points, left to right.
    pub points: Vec<Point>,
    /// The `points` attribute of the polyline.
    pub path: String,
    /// The value axis, bottom to top.
    pub y_ticks: Vec<Tick>,
    /// The labels under the points.
    pub x_ticks: Vec<Tick>,
    /// Whether every value is zero (the chart says so instead of drawing a flat line alone).
    pub empty: bool,
}

impl LineChart {
    /// The plot's left edge (room for the value labels).
    pub const LEFT: f64 = 44.0;
    /// The plot's right edge.
    pub const RIGHT: f64 = 350.0;
    /// The plot's top.
    pub const TOP: f64 = 12.0;
    /// The plot's bottom (the zero line); the month labels go under it.
    pub const BOTTOM: f64 = 172.0;
}

/// Draws `values` with `labels` under them (one each).
pub fn line_chart(values: &[f64], labels: &[String]) -> LineChart {
    let max = values.iter().copied().fold(0.0, f64::max);
    let y_values = ticks(max, 4);
    let top = y_values.last().copied().unwrap_or(1.0).max(1.0);
    let (left, right, top_y, bottom) = (
        LineChart::LEFT,
        LineChart::RIGHT,
        LineChart::TOP,
        LineChart::BOTTOM,
    );
    let y = |v: f64| r1(bottom - v.max(0.0) / top * (bottom - top_y));
    let x = |i: usize| {
        if values.len() <= 1 {
            r1((left + right) / 2.0)
        } else {
            r1(left + i as f64 * (right - left) / (values.len() - 1) as f64)
        }
    };
    let points: Vec<Point> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Point { x: x(i), y: y(*v) })
        .collect();
    let path = points
        .iter()
        .map(|p| format!("{},{}", p.x, p.y))
        .collect::<Vec<_>>()
        .join(" ");
    LineChart {
        path,
        y_ticks: y_values
            .iter()
            .map(|v| Tick {
                at: y(*v),
                label: number(*v),
            })
            .collect(),
        x_ticks: labels
            .iter()
            .take(values.len())
            .enumerate()
            .map(|(i, l)| Tick {
                at: x(i),
                label: l.clone(),
            })
            .collect(),
        points,
        empty: values.iter().all(|v| *v == 0.0),
    }
}

/// Progress toward a target, and against the time elapsed of its period.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The share reached, as words (`34.5%`).
    pub reached: String,
    /// The bar's length, 0–100 (a passed target fills it).
    pub width: f64,
    /// The share of the period elapsed, as words.
    pub elapsed: String,
    /// Where the elapsed mark goes, 0–100.
    pub elapsed_at: f64,
    /// Whether the share reached is below the share of time elapsed.
    pub behind: bool,
}

/// Where `value` stands against `target` when `elapsed` (0–1) of the period has passed. A
/// target of 0 or less counts as reached.
pub fn progress(value: f64, target: f64, elapsed: f64) -> Progress {
    let share = if target > 0.0 { value / target } else { 1.0 };
    let elapsed = elapsed.clamp(0.0, 1.0);
    Progress {
        reached: percent(share),
        width: r1((share * 100.0).clamp(0.0, 100.0)),
        elapsed: percent(elapsed),
        elapsed_at: r1(elapsed * 100.0),
        behind: share + 1e-9 < elapsed,
    }
}

/// The share (0–1) of `period` elapsed on `today`, where a yearly period means the year `year`.
pub fn elapsed_share(period: Period, year: i32, today: NaiveDate) -> f64 {
    let (from, to) = match period {
        Period::Yearly => (year, year),
        Period::Years(from, to) => (from, to),
    };
    let start = NaiveDate::from_ymd_opt(from, 1, 1);
    let end = NaiveDate::from_ymd_opt(to.saturating_add(1), 1, 1);
    let (Some(start), Some(end)) = (start, end) else {
        return 0.0;
    };
    let total = (end - start).num_days();
    if total <= 0 {
        return 0.0;
    }
    ((today - start).num_days() as f64 / total as f64).clamp(0.0, 1.0)
}

/// The month key (`YYYYMM`) whose twelve months end the chart for `year`: this month in the
/// current year, December for past years, and for a future year its December too (all zeros).
pub fn last_month(year: i32, today: NaiveDate) -> i32 {
    if year == today.year() {
        year * 100 + i32::try_from(today.month()).unwrap_or(12)
    } else {
        year * 100 + 12
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn numbers_read_as_written() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(0.0), "0");
        assert_eq!(percent(0.3456), "34.6%");
    }

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        assert_eq!(ticks(10_000.0, 4), vec![0.0, 5000.0, 10_000.0]);
        assert_eq!(ticks(37.0, 4), vec![0.0, 10.0, 20.0, 30.0, 40.0]);
        assert_eq!(ticks(3.0, 4), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(ticks(7.5, 4), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        // Empty data: one step, so the axis still has a top.
        assert_eq!(ticks(0.0, 4), vec![0.0, 1.0]);
        assert_eq!(ticks(f64::NAN, 4), vec![0.0, 1.0]);
        assert_eq!(nice_step(0.2, 4), 1.0, "counts never step below 1");
    }

    #[test]
    fn bars_are_sorted_descending_and_scaled_to_the_largest() {
        let b = bars(vec![
            ("a".into(), 10.0),
            ("b".into(), 40.0),
            ("c".into(), 0.0),
            ("d".into(), 20.0),
        ]);
        let order: Vec<&str> = b.iter().map(|x| x.label.as_str()).collect();
        assert_eq!(order, ["b", "d", "a", "c"]);
        let widths: Vec<f64> = b.iter().map(|x| x.width).collect();
        assert_eq!(widths, [100.0, 50.0, 25.0, 0.0]);
        assert_eq!(b[0].value, "40");
    }

    #[test]
    fn bars_of_nothing_and_of_one_value() {
        assert!(bars(vec![]).is_empty());
        let zeros = bars(vec![("a".into(), 0.0), ("b".into(), 0.0)]);
        assert!(zeros.iter().all(|b| b.width == 0.0));
        let one = bars(vec![("a".into(), 3.0)]);
        assert_eq!(one[0].width, 100.0);
    }

    #[test]
    fn a_line_spans_the_plot_and_zero_sits_on_the_axis() {
        let labels: Vec<String> = (1..=3).map(|m| m.to_string()).collect();
        let c = line_chart(&[0.0, 5.0, 10.0], &labels);
        assert_eq!(c.points.len(), 3);
        assert_eq!(c.points[0].x, LineChart::LEFT);
        assert_eq!(c.points[2].x, LineChart::RIGHT);
        assert_eq!(c.points[0].y, LineChart::BOTTOM);
        assert_eq!(c.points[2].y, LineChart::TOP, "the maximum is the top tick");
        assert_eq!(c.path, "44,172 197,92 350,12");
        assert_eq!(c.y_ticks.first().map(|t| t.label.as_str()), Some("0"));
        assert_eq!(c.y_ticks.last().map(|t| t.label.as_str()), Some("10"));
        assert_eq!(c.x_ticks.len(), 3);
        assert!(!c.empty);
    }

    #[test]
    fn a_line_of_zeros_or_of_one_value() {
        let c = line_chart(&[0.0; 12], &vec![String::new(); 12]);
        assert!(c.empty);
        assert!(c.points.iter().all(|p| p.y == LineChart::BOTTOM));
        let one = line_chart(&[4.0], &["3".into()]);
        assert_eq!(one.points.len(), 1);
        assert_eq!(one.points[0].x, 197.0, "a single point is centred");
        assert_eq!(line_chart(&[], &[]).points.len(), 0);
    }

    #[test]
    fn progress_is_compared_with_the_time_elapsed() {
        let p = progress(3000.0, 10_000.0, 0.5);
        assert_eq!(p.width, 30.0);
        assert_eq!(p.reached, "30.0%");
        assert_eq!(p.elapsed_at, 50.0);
        assert!(p.behind);
        assert!(!progress(6000.0, 10_000.0, 0.5).behind);
        let passed = progress(12_000.0, 10_000.0, 1.0);
        assert_eq!(passed.width, 100.0);
        assert!(!passed.behind);
        assert!(!progress(0.0, 0.0, 1.0).behind, "no target is never behind");
    }

    #[test]
    fn elapsed_share_of_a_plan_and_of_a_year() {
        let plan = Period::Years(2021, 2025);
        assert_eq!(elapsed_share(plan, 2026, day(2021, 1, 1)), 0.0);
        assert_eq!(elapsed_share(plan, 2026, day(2026, 6, 1)), 1.0);
        let mid = elapsed_share(plan, 2023, day(2023, 7, 2));
        assert!((mid - 0.5).abs() < 0.01, "{mid}");
        assert_eq!(elapsed_share(Period::Yearly, 2025, day(2026, 3, 1)), 1.0);
        assert_eq!(elapsed_share(Period::Yearly, 2027, day(2026, 3, 1)), 0.0);
        let july = elapsed_share(Period::Yearly, 2026, day(2026, 7, 2));
        assert!((july - 0.5).abs() < 0.01, "{july}");
    }

    #[test]
    fn the_months_end_now_or_in_december() {
        assert_eq!(last_month(2026, day(2026, 3, 15)), 202603);
        assert_eq!(last_month(2025, day(2026, 3, 15)), 202512);
    }
}
