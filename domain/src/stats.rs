//! Running totals behind the association's figures, and the plan's indicators.
//!
//! Every change that moves a figure (approving or suspending a volunteer, confirming or
//! reversing hours, completing an order) is turned here into [`Deltas`]: additions to a few
//! keyed counters. The service adds them in the same transaction as the change, and recomputes
//! them from the ledger with the same functions to prove there is no drift. Each counter exists
//! for its township and for [`ALL_TOWNSHIPS`], and hours also for [`ALL_YEARS`], so a figure for
//! the whole deployment reads a handful of rows whatever its size.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// The township of the rows that sum every township.
pub const ALL_TOWNSHIPS: &str = "*";
/// The year of the rows that sum every year (and of counters that have no year).
pub const ALL_YEARS: i32 = 0;

/// What a counter counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Volunteers now `approved` (no year).
    ApprovedVolunteers,
    /// Confirmed hours, in half-hours, by the year served.
    ConfirmedHalves,
    /// Volunteers with confirmed hours in the year.
    ActiveVolunteers,
    /// Completed orders (sessions, 场次) by year served, theme and target group.
    CompletedOrders,
    /// Their attendees (person-times, 人次).
    Attendees,
    /// Volunteers approved by the association's review, by the month of the approval (the
    /// counter's `year` holds the [`month_key`], `YYYYMM`).
    ApprovalsByMonth,
    /// Confirmed hours, in half-hours, by the month served (`year` holds the [`month_key`]).
    ConfirmedHalvesByMonth,
}

impl Metric {
    /// Every metric.
    pub const ALL: [Self; 7] = [
        Self::ApprovedVolunteers,
        Self::ConfirmedHalves,
        Self::ActiveVolunteers,
        Self::CompletedOrders,
        Self::Attendees,
        Self::ApprovalsByMonth,
        Self::ConfirmedHalvesByMonth,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApprovedVolunteers => "approved_volunteers",
            Self::ConfirmedHalves => "confirmed_halves",
            Self::ActiveVolunteers => "active_volunteers",
            Self::CompletedOrders => "completed_orders",
            Self::Attendees => "attendees",
            Self::ApprovalsByMonth => "approvals_by_month",
            Self::ConfirmedHalvesByMonth => "confirmed_halves_by_month",
        }
    }
}

impl FromStr for Metric {
    type Err = crate::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| crate::ParseError(format!("unknown metric {s}")))
    }
}

/// One counter: a metric for a township (or all), a year (or all), a theme and a target group
/// (empty where the metric has none).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TotalKey {
    /// What it counts.
    pub metric: Metric,
    /// A township code, or [`ALL_TOWNSHIPS`].
    pub township: String,
    /// A year, or [`ALL_YEARS`].
    pub year: i32,
    /// A theme code, or empty.
    pub theme: String,
    /// A target-group code, or empty.
    pub target_group: String,
}

/// Additions to counters, kept sorted by key so that concurrent transactions lock counter rows
/// in one order and cannot deadlock. Zero additions are dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deltas(BTreeMap<TotalKey, i64>);

impl Deltas {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    fn add(&mut self, metric: Metric, township: &str, year: i32, theme: &str, group: &str, n: i64) {
        if n == 0 {
            return;
        }
        for t in [township, ALL_TOWNSHIPS] {
            let key = TotalKey {
                metric,
                township: t.to_owned(),
                year,
                theme: theme.to_owned(),
                target_group: group.to_owned(),
            };
            self.bump(key, n);
        }
    }

    /// Adds `n` to one key, dropping it when it comes to zero (never a scan of the map).
    fn bump(&mut self, key: TotalKey, n: i64) {
        let value = self.0.entry(key.clone()).or_insert(0);
        *value += n;
        if *value == 0 {
            self.0.remove(&key);
        }
    }

    /// `n` volunteers of `township` became approved (negative: stopped being approved).
    pub fn approved(&mut self, township: &str, n: i64) {
        self.add(Metric::ApprovedVolunteers, township, ALL_YEARS, "", "", n);
    }

    /// `halves` hours served in `year` by a volunteer of `township` were confirmed (negative:
    /// reversed).
    pub fn confirmed(&mut self, township: &str, year: i32, halves: i64) {
        self.add(Metric::ConfirmedHalves, township, year, "", "", halves);
        self.add(Metric::ConfirmedHalves, township, ALL_YEARS, "", "", halves);
    }

    /// `n` volunteers of `township` were approved by review in the month `month` (a
    /// [`month_key`]).
    pub fn approved_in_month(&mut self, township: &str, month: i32, n: i64) {
        self.add(Metric::ApprovalsByMonth, township, month, "", "", n);
    }

    /// `halves` hours served in the month `month` (a [`month_key`]) by a volunteer of
    /// `township` were confirmed (negative: reversed).
    pub fn confirmed_in_month(&mut self, township: &str, month: i32, halves: i64) {
        self.add(
            Metric::ConfirmedHalvesByMonth,
            township,
            month,
            "",
            "",
            halves,
        );
    }

    /// `n` volunteers of `township` became active in `year` (negative: no longer active).
    pub fn active(&mut self, township: &str, year: i32, n: i64) {
        self.add(Metric::ActiveVolunteers, township, year, "", "", n);
    }

    /// `orders` orders with `attendees` in all were completed in `township`, served in `year`.
    pub fn completed(
        &mut self,
        township: &str,
        year: i32,
        theme: &str,
        target_group: Option<&str>,
        orders: i64,
        attendees: i64,
    ) {
        let group = target_group.unwrap_or("");
        self.add(
            Metric::CompletedOrders,
            township,
            year,
            theme,
            group,
            orders,
        );
        self.add(Metric::Attendees, township, year, theme, group, attendees);
    }

    /// Adds every change of `other`.
    pub fn merge(&mut self, other: Deltas) {
        for (key, n) in other.0 {
            self.bump(key, n);
        }
    }

    /// The changes, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&TotalKey, i64)> {
        self.0.iter().map(|(k, v)| (k, *v))
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The keys where `self` and `other` differ, with both values (0 where absent).
    pub fn differences(&self, other: &Deltas) -> Vec<(TotalKey, i64, i64)> {
        let mut keys: Vec<&TotalKey> = self.0.keys().chain(other.0.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter_map(|k| {
                let (a, b) = (
                    self.0.get(k).copied().unwrap_or(0),
                    other.0.get(k).copied().unwrap_or(0),
                );
                (a != b).then(|| (k.clone(), a, b))
            })
            .collect()
    }
}

impl FromIterator<(TotalKey, i64)> for Deltas {
    fn from_iter<I: IntoIterator<Item = (TotalKey, i64)>>(iter: I) -> Self {
        let mut map = BTreeMap::new();
        for (k, v) in iter {
            *map.entry(k).or_insert(0) += v;
        }
        map.retain(|_, v| *v != 0);
        Self(map)
    }
}

/// The key of a month in the monthly counters: `YYYYMM` (202603 for March 2026).
pub fn month_key(date: chrono::NaiveDate) -> i32 {
    use chrono::Datelike;
    date.year() * 100 + i32::try_from(date.month()).unwrap_or(1)
}

/// The `n` months ending with the month of `last` (a [`month_key`]), oldest first.
pub fn months_ending(last: i32, n: usize) -> Vec<i32> {
    let (mut year, mut month) = (last / 100, last % 100);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(year * 100 + month);
        month -= 1;
        if month == 0 {
            month = 12;
            year -= 1;
        }
    }
    out.reverse();
    out
}

/// How a volunteer's confirmed hours in one year move: from `before` to `after` half-hours.
/// Returns the change to the year's active-volunteer count (+1, −1 or 0).
pub fn activity_change(before: i64, after: i64) -> i64 {
    i64::from(after > 0) - i64::from(before > 0)
}

/// What an indicator counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Approved volunteers.
    Volunteers,
    /// Completed orders (场次).
    Sessions,
    /// Attendees of completed orders (人次).
    PersonTimes,
    /// People reached (人): counted as attendees, the closest figure orders record.
    People,
}

impl FromStr for Unit {
    type Err = crate::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "volunteers" => Ok(Self::Volunteers),
            "sessions" => Ok(Self::Sessions),
            "person_times" => Ok(Self::PersonTimes),
            "people" => Ok(Self::People),
            _ => Err(crate::ParseError(format!(
                "unknown indicator unit {s}: use volunteers, sessions, person_times or people"
            ))),
        }
    }
}

/// Over which years an indicator counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    /// The calendar year asked about (this year by default).
    Yearly,
    /// A fixed range of years, such as a five-year plan's `2021-2025`.
    Years(i32, i32),
}

impl Period {
    /// The years counted when the current year is `year`.
    pub fn years(self, year: i32) -> RangeInclusive<i32> {
        match self {
            Self::Yearly => year..=year,
            Self::Years(from, to) => from..=to,
        }
    }
}

impl FromStr for Period {
    type Err = crate::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "yearly" {
            return Ok(Self::Yearly);
        }
        let bad = || crate::ParseError(format!("unknown period {s}: use yearly or YYYY-YYYY"));
        let (from, to) = s.split_once('-').ok_or_else(bad)?;
        let (from, to): (i32, i32) = (
            from.trim().parse().map_err(|_| bad())?,
            to.trim().parse().map_err(|_| bad())?,
        );
        if from > to || !(1900..=9999).contains(&from) || to > 9999 {
            return Err(bad());
        }
        Ok(Self::Years(from, to))
    }
}

/// A plan indicator's rule: what it counts, over which years, for which orders.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorRule {
    /// What it counts.
    pub unit: Unit,
    /// Over which years.
    pub period: Period,
    /// Only orders of this theme.
    pub theme: Option<String>,
    /// Only orders for this target group.
    pub target_group: Option<String>,
}

/// One cell of completed-order totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderCell {
    /// Year served.
    pub year: i32,
    /// Theme code.
    pub theme: String,
    /// Target-group code, empty for none.
    pub target_group: String,
    /// Completed orders.
    pub sessions: i64,
    /// Their attendees.
    pub attendees: i64,
}

impl IndicatorRule {
    /// The indicator's current value, from completed-order cells and the approved-volunteer
    /// count, in the year `year`.
    pub fn value(&self, cells: &[OrderCell], approved: i64, year: i32) -> i64 {
        let years = self.period.years(year);
        let matching = cells.iter().filter(|c| {
            years.contains(&c.year)
                && self.theme.as_deref().is_none_or(|t| t == c.theme)
                && self
                    .target_group
                    .as_deref()
                    .is_none_or(|g| g == c.target_group)
        });
        match self.unit {
            Unit::Volunteers => approved,
            Unit::Sessions => matching.map(|c| c.sessions).sum(),
            Unit::PersonTimes | Unit::People => matching.map(|c| c.attendees).sum(),
        }
    }
}

/// Progress toward a target as a fraction (0 when the target is not positive), to 4 places.
pub fn progress(value: f64, target: f64) -> f64 {
    if target > 0.0 {
        (value / target * 10_000.0).round() / 10_000.0
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_is_counted_for_its_township_and_for_all() {
        let mut d = Deltas::new();
        d.approved("xini", 1);
        d.confirmed("xini", 2026, 5);
        let keys: Vec<(Metric, String, i32, i64)> = d
            .iter()
            .map(|(k, v)| (k.metric, k.township.clone(), k.year, v))
            .collect();
        assert_eq!(
            keys,
            vec![
                (Metric::ApprovedVolunteers, "*".into(), 0, 1),
                (Metric::ApprovedVolunteers, "xini".into(), 0, 1),
                (Metric::ConfirmedHalves, "*".into(), 0, 5),
                (Metric::ConfirmedHalves, "*".into(), 2026, 5),
                (Metric::ConfirmedHalves, "xini".into(), 0, 5),
                (Metric::ConfirmedHalves, "xini".into(), 2026, 5),
            ]
        );
    }

    #[test]
    fn monthly_counters_are_keyed_by_year_and_month() {
        let march = chrono::NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default();
        assert_eq!(month_key(march), 202603);
        let mut d = Deltas::new();
        d.approved_in_month("xini", month_key(march), 1);
        d.confirmed_in_month("xini", month_key(march), 4);
        let keys: Vec<(Metric, String, i32, i64)> = d
            .iter()
            .map(|(k, v)| (k.metric, k.township.clone(), k.year, v))
            .collect();
        assert_eq!(
            keys,
            vec![
                (Metric::ApprovalsByMonth, "*".into(), 202603, 1),
                (Metric::ApprovalsByMonth, "xini".into(), 202603, 1),
                (Metric::ConfirmedHalvesByMonth, "*".into(), 202603, 4),
                (Metric::ConfirmedHalvesByMonth, "xini".into(), 202603, 4),
            ]
        );
        for m in Metric::ALL {
            assert_eq!(m.as_str().parse::<Metric>(), Ok(m));
        }
    }

    #[test]
    fn twelve_months_cross_the_new_year() {
        let months = months_ending(202603, 12);
        assert_eq!(months.len(), 12);
        assert_eq!(months[0], 202504);
        assert_eq!(months[8], 202512);
        assert_eq!(months[9], 202601);
        assert_eq!(months[11], 202603);
        assert_eq!(months_ending(202612, 1), vec![202612]);
        assert!(months_ending(202612, 0).is_empty());
    }

    #[test]
    fn opposite_changes_cancel_out() {
        let mut d = Deltas::new();
        d.approved("a", 1);
        d.approved("a", -1);
        d.completed("a", 2026, "health", None, 1, 30);
        let mut undo = Deltas::new();
        undo.completed("a", 2026, "health", None, -1, -30);
        d.merge(undo);
        assert!(d.is_empty());
    }

    #[test]
    fn differences_name_each_drifted_counter() {
        let mut a = Deltas::new();
        a.approved("a", 2);
        let mut b = Deltas::new();
        b.approved("a", 1);
        b.active("b", 2026, 1);
        let diff = a.differences(&b);
        assert_eq!(diff.len(), 4);
        assert!(
            diff.iter()
                .any(|(k, x, y)| k.metric == Metric::ActiveVolunteers && *x == 0 && *y == 1)
        );
    }

    #[test]
    fn activity_starts_and_ends_at_zero() {
        assert_eq!(activity_change(0, 1), 1);
        assert_eq!(activity_change(1, 3), 0);
        assert_eq!(activity_change(3, 0), -1);
        assert_eq!(activity_change(0, 0), 0);
    }

    #[test]
    fn periods_parse_and_cover_their_years() {
        assert_eq!("yearly".parse::<Period>(), Ok(Period::Yearly));
        assert_eq!("2021-2025".parse::<Period>(), Ok(Period::Years(2021, 2025)));
        for bad in ["", "2025-2021", "twenty", "2021-", "-2025", "0-5"] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
        assert_eq!(Period::Yearly.years(2026), 2026..=2026);
        assert_eq!(Period::Years(2021, 2025).years(2026), 2021..=2025);
    }

    #[test]
    fn indicators_count_matching_orders_in_their_period() {
        let cell = |year, theme: &str, group: &str, sessions, attendees| OrderCell {
            year,
            theme: theme.into(),
            target_group: group.into(),
            sessions,
            attendees,
        };
        let cells = [
            cell(2026, "farming_herding", "farmers_herders", 2, 50),
            cell(2026, "health", "farmers_herders", 1, 20),
            cell(2025, "farming_herding", "farmers_herders", 4, 100),
            cell(2026, "farming_herding", "", 1, 7),
        ];
        let rule = |unit, period, theme: Option<&str>, group: Option<&str>| IndicatorRule {
            unit,
            period,
            theme: theme.map(Into::into),
            target_group: group.map(Into::into),
        };
        let farmers = Some("farmers_herders");
        let r = rule(
            Unit::Sessions,
            Period::Yearly,
            Some("farming_herding"),
            farmers,
        );
        assert_eq!(r.value(&cells, 0, 2026), 2);
        assert_eq!(r.value(&cells, 0, 2025), 4);
        let r = rule(Unit::PersonTimes, Period::Yearly, None, farmers);
        assert_eq!(r.value(&cells, 0, 2026), 70);
        let r = rule(Unit::PersonTimes, Period::Years(2021, 2025), None, farmers);
        assert_eq!(r.value(&cells, 0, 2026), 100);
        let r = rule(Unit::Sessions, Period::Yearly, None, None);
        assert_eq!(r.value(&cells, 0, 2026), 4);
        let r = rule(Unit::Volunteers, Period::Years(2021, 2025), None, None);
        assert_eq!(r.value(&cells, 9_321, 2026), 9_321);
    }

    #[test]
    fn progress_is_a_rounded_fraction() {
        assert_eq!(progress(2_500.0, 10_000.0), 0.25);
        assert_eq!(progress(1.0, 3.0), 0.3333);
        assert_eq!(progress(5.0, 0.0), 0.0);
    }
}
