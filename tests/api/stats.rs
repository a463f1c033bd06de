//! The association's figures (issue 3): approved volunteers against the target by township,
//! confirmed hours and volunteers active in a year, every plan indicator over its period, and
//! the running totals behind them proven equal to a recomputation after a long random
//! sequence of operations, with drift found after tampering and repaired by a rebuild.

use crate::helpers::*;
use chrono::{Datelike, Duration, NaiveDate};
use kepu_api::service::stats;
use kepu_domain::volunteer::StarThresholds;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const TOWNSHIPS: [&str; 6] = [
    "xini",
    "balagong",
    "jirigalangtu",
    "duguitala",
    "huhemudu",
    "yiheusu",
];

async fn volunteer_stats(app: &TestApp, query: &str) -> Value {
    app.get(
        &format!("/api/v1/stats/volunteers{query}"),
        Some(&app.admin().await),
    )
    .await
    .expect(200)
}

async fn indicator_stats(app: &TestApp, query: &str) -> Value {
    app.get(
        &format!("/api/v1/stats/indicators{query}"),
        Some(&app.admin().await),
    )
    .await
    .expect(200)
}

/// Indicator code → value.
fn values(indicators: &Value) -> BTreeMap<String, i64> {
    indicators["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["code"].as_str().expect("code").to_owned(),
                i["value"].as_i64().expect("value"),
            )
        })
        .collect()
}

/// One township's row of the volunteer figures.
fn township<'a>(stats: &'a Value, code: &str) -> &'a Value {
    stats["by_township"]
        .as_array()
        .expect("by_township")
        .iter()
        .find(|t| t["township"] == code)
        .unwrap_or_else(|| panic!("no {code} in {stats}"))
}

async fn review(app: &TestApp, volunteer: &str, action: &str) {
    let body = match action {
        "reject" | "suspend" => json!({"reason": "资料不全"}),
        _ => json!({}),
    };
    app.post(
        &format!("/api/v1/volunteers/{volunteer}/{action}"),
        &body,
        Some(&app.admin().await),
    )
    .await
    .expect(200);
}

async fn decide(app: &TestApp, record: &str, action: &str, body: Value, status: u16) -> Value {
    app.post(
        &format!("/api/v1/service-records/{record}/{action}"),
        &body,
        Some(&app.admin().await),
    )
    .await
    .expect(status)
}

fn record_id(records: &[Value], volunteer: &str) -> String {
    records
        .iter()
        .find(|r| r["volunteer_id"] == volunteer && r["kind"] == "service")
        .and_then(|r| r["id"].as_str())
        .unwrap_or_else(|| panic!("no record of {volunteer}"))
        .to_owned()
}

#[tokio::test]
async fn the_figures_are_for_the_association_and_their_filters_are_checked() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    for path in ["/api/v1/stats/volunteers", "/api/v1/stats/indicators"] {
        app.get(path, None).await.expect(401);
        for token in [&cast.department, &cast.station, &cast.leader] {
            app.get(path, Some(token)).await.expect(403);
        }
        for query in ["?township=atlantis&year=twenty", "?township=xini&year=1800"] {
            let reply = app
                .get(&format!("{path}{query}"), Some(&app.admin().await))
                .await;
            assert_eq!(reply.status, 422, "{path}{query}: {}", reply.body);
            assert_eq!(reply.body["code"], "validation.failed");
            let mut fields: Vec<&str> = reply.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            fields.sort_unstable();
            let want: &[&str] = if query.contains("atlantis") {
                &["township", "year"]
            } else {
                &["year"]
            };
            assert_eq!(fields, want, "{path}{query}");
        }
    }
    let year = today().year();
    let v = volunteer_stats(&app, "").await;
    assert_eq!(v["target"], 10000.0, "the registered_volunteers target");
    assert_eq!(v["year"], year);
    assert_eq!(v["township"], Value::Null);
    let names: Vec<&str> = v["by_township"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["township"].as_str().unwrap())
        .collect();
    assert_eq!(names, TOWNSHIPS, "every township, in the reference order");
    assert_eq!(township(&v, "xini")["name_zh"], "锡尼镇");
    let i = indicator_stats(&app, "?year=2024&township=balagong").await;
    assert_eq!(i["year"], 2024);
    assert_eq!(i["township"], "balagong");
    assert_eq!(i["next_cursor"], Value::Null);
    let items = i["items"].as_array().unwrap();
    assert_eq!(items.len(), 7, "every indicator of the data file");
    let first = &items[0];
    assert_eq!(first["code"], "registered_volunteers");
    assert_eq!(first["target"], 10000.0);
    assert_eq!(first["unit"], "volunteers");
    assert_eq!(first["period"], "2021-2025");
    assert_eq!(first["years"], json!([2021, 2025]));
    let farmers = &items[1];
    assert_eq!(farmers["code"], "farmer_training_sessions");
    assert_eq!(
        farmers["years"],
        json!([2024, 2024]),
        "yearly is the year asked"
    );
    assert_eq!(farmers["filter_theme"], "farming_herding");
    assert_eq!(farmers["filter_target_group"], "farmers_herders");
    for item in items {
        assert!(item["name_zh"].is_string() && item["progress"].is_number());
    }
}

#[tokio::test]
async fn approvals_and_suspensions_move_the_approved_count_of_their_township() {
    let app = spawn_app().await;
    let before = volunteer_stats(&app, "").await;
    let approved = |s: &Value| s["approved"].as_i64().unwrap();
    let in_town = |s: &Value, t: &str| township(s, t)["approved"].as_i64().unwrap();

    let (a, _) = app.register_in("balagong").await;
    let (b, _) = app.register_in("balagong").await;
    let (c, _) = app.register_in("yiheusu").await;
    let (d, _) = app.register_in("yiheusu").await;
    let s = volunteer_stats(&app, "").await;
    assert_eq!(approved(&s), approved(&before), "pending does not count");

    for v in [&a, &b, &c] {
        review(&app, v, "approve").await;
    }
    review(&app, &d, "reject").await;
    let s = volunteer_stats(&app, "").await;
    assert_eq!(approved(&s), approved(&before) + 3);
    assert_eq!(in_town(&s, "balagong"), in_town(&before, "balagong") + 2);
    assert_eq!(in_town(&s, "yiheusu"), in_town(&before, "yiheusu") + 1);
    assert_eq!(in_town(&s, "xini"), in_town(&before, "xini"));
    assert_eq!(
        s["progress"].as_f64().unwrap(),
        (approved(&s) as f64 / 10_000.0 * 10_000.0).round() / 10_000.0
    );

    review(&app, &a, "suspend").await;
    let s = volunteer_stats(&app, "").await;
    assert_eq!(
        approved(&s),
        approved(&before) + 2,
        "suspended is not counted"
    );
    assert_eq!(in_town(&s, "balagong"), in_town(&before, "balagong") + 1);
    // Refused reviews move nothing.
    app.post(
        &format!("/api/v1/volunteers/{a}/suspend"),
        &json!({}),
        Some(&app.admin().await),
    )
    .await
    .expect(409);
    app.post(
        &format!("/api/v1/volunteers/{b}/approve"),
        &json!({}),
        Some(&app.admin().await),
    )
    .await
    .expect(409);
    assert_eq!(approved(&volunteer_stats(&app, "").await), approved(&s));

    review(&app, &a, "approve").await;
    let s = volunteer_stats(&app, "").await;
    assert_eq!(
        approved(&s),
        approved(&before) + 3,
        "re-approved counts again"
    );

    // One township: its figures only.
    let t = volunteer_stats(&app, "?township=balagong").await;
    assert_eq!(t["township"], "balagong");
    assert_eq!(t["approved"], in_town(&s, "balagong"));
    assert_eq!(t["by_township"].as_array().unwrap().len(), 1);
    assert_eq!(t["by_township"][0]["township"], "balagong");
    assert_eq!(t["target"], 10000.0);
    // The volunteers indicator follows the same count, overall and per township.
    assert_eq!(
        values(&indicator_stats(&app, "").await)["registered_volunteers"],
        approved(&s)
    );
    assert_eq!(
        values(&indicator_stats(&app, "?township=yiheusu").await)["registered_volunteers"],
        in_town(&s, "yiheusu")
    );
}

#[tokio::test]
async fn confirmations_and_reversals_move_hours_and_who_was_active_in_which_year() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let (other, _) = app.register_in("balagong").await;
    review(&app, &other, "approve").await;
    app.post(
        &format!("/api/v1/teams/{}/members", cast.team_id),
        &json!({"volunteer_id": other}),
        Some(&app.admin().await),
    )
    .await
    .expect(201);
    let year = today().year();
    let last_year = NaiveDate::from_ymd_opt(year - 1, 6, 15).unwrap();
    let before = volunteer_stats(&app, "").await;
    let hours = |s: &Value| s["confirmed_hours"].as_f64().unwrap();
    let active = |s: &Value| s["active_this_year"].as_i64().unwrap();

    let now = cast
        .complete_with(
            &app,
            json!({}),
            today(),
            30,
            &[(&cast.volunteer, 4.0), (&other, 2.5)],
        )
        .await;
    let then = cast
        .complete_with(&app, json!({}), last_year, 30, &[(&cast.volunteer, 3.0)])
        .await;
    let s = volunteer_stats(&app, "").await;
    assert_eq!(hours(&s), hours(&before), "pending hours do not count");
    assert_eq!(
        active(&s),
        active(&before),
        "pending hours make no one active"
    );

    let records = app.records_of(&now).await;
    let mine = record_id(&records, &cast.volunteer);
    let theirs = record_id(&records, &other);
    let old = record_id(&app.records_of(&then).await, &cast.volunteer);
    decide(&app, &mine, "confirm", json!({}), 200).await;
    let s = volunteer_stats(&app, "").await;
    assert_eq!(hours(&s), hours(&before) + 4.0);
    assert_eq!(active(&s), active(&before) + 1);
    assert_eq!(township(&s, "xini")["confirmed_hours"], 4.0);
    assert_eq!(township(&s, "xini")["active_this_year"], 1);

    decide(&app, &theirs, "confirm", json!({}), 200).await;
    decide(&app, &old, "confirm", json!({}), 200).await;
    let s = volunteer_stats(&app, "").await;
    assert_eq!(hours(&s), hours(&before) + 9.5, "every year's hours");
    assert_eq!(active(&s), active(&before) + 2, "two active this year");
    assert_eq!(township(&s, "balagong")["confirmed_hours"], 2.5);
    assert_eq!(township(&s, "balagong")["active_this_year"], 1);
    assert_eq!(township(&s, "xini")["confirmed_hours"], 7.0);
    let prev = volunteer_stats(&app, &format!("?year={}", year - 1)).await;
    assert_eq!(prev["year"], year - 1);
    assert_eq!(
        prev["active_this_year"], 1,
        "only the xini volunteer last year"
    );
    assert_eq!(township(&prev, "xini")["active_this_year"], 1);
    assert_eq!(township(&prev, "balagong")["active_this_year"], 0);
    assert_eq!(prev["confirmed_hours"], s["confirmed_hours"]);

    // Suspension keeps hours and activity.
    review(&app, &other, "suspend").await;
    let s = volunteer_stats(&app, "").await;
    assert_eq!(hours(&s), hours(&before) + 9.5);
    assert_eq!(active(&s), active(&before) + 2);

    // A partial reversal leaves the volunteer active; reversing the rest of the year does not.
    decide(
        &app,
        &mine,
        "reverse",
        json!({"reason": "多记", "hours": 1.5}),
        201,
    )
    .await;
    let s = volunteer_stats(&app, "").await;
    assert_eq!(hours(&s), hours(&before) + 8.0);
    assert_eq!(active(&s), active(&before) + 2);
    decide(&app, &mine, "reverse", json!({"reason": "未参加"}), 201).await;
    let s = volunteer_stats(&app, "").await;
    assert_eq!(hours(&s), hours(&before) + 5.5);
    assert_eq!(
        active(&s),
        active(&before) + 1,
        "no confirmed hours left this year"
    );
    assert_eq!(township(&s, "xini")["active_this_year"], 0);
    assert_eq!(township(&s, "xini")["confirmed_hours"], 3.0);
    let prev = volunteer_stats(&app, &format!("?year={}", year - 1)).await;
    assert_eq!(prev["active_this_year"], 1, "last year untouched");
    let xini = volunteer_stats(&app, "?township=xini").await;
    assert_eq!(xini["confirmed_hours"], 3.0);
    assert_eq!(xini["active_this_year"], 0);

    let db = app.db().await;
    let drift = stats::verify(&db).await.unwrap();
    assert!(drift.is_empty(), "{drift}");
    db.close().await.unwrap();
}

#[tokio::test]
async fn indicators_count_completed_orders_of_their_theme_and_group_in_their_period() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let v = cast.volunteer.clone();
    let year = today().year();
    let empty = values(&indicator_stats(&app, "").await);
    for (code, value) in &empty {
        if code != "registered_volunteers" {
            assert_eq!(*value, 0, "{code} starts at zero");
        }
    }
    let order = |theme: &str, group: Option<&str>, town: &str| {
        let mut o = json!({"theme": theme, "township": town});
        match group {
            Some(g) => o["target_group"] = json!(g),
            None => o["target_group"] = Value::Null,
        }
        o
    };
    let hours = [(v.as_str(), 1.0)];
    // This year.
    let days = |n: i64| today() - Duration::days(n);
    let this = |n: i64| {
        let d = days(n);
        if d.year() == year { d } else { today() }
    };
    cast.complete_with(
        &app,
        order("farming_herding", Some("farmers_herders"), "xini"),
        this(0),
        25,
        &hours,
    )
    .await;
    cast.complete_with(
        &app,
        order("farming_herding", Some("farmers_herders"), "balagong"),
        this(1),
        15,
        &hours,
    )
    .await;
    cast.complete_with(
        &app,
        order("health", Some("farmers_herders"), "xini"),
        this(2),
        10,
        &hours,
    )
    .await;
    cast.complete_with(
        &app,
        order("youth_science", Some("youth"), "xini"),
        this(3),
        40,
        &hours,
    )
    .await;
    cast.complete_with(
        &app,
        order("farming_herding", None, "xini"),
        this(4),
        7,
        &hours,
    )
    .await;
    // In the plan's years.
    let in_2024 = NaiveDate::from_ymd_opt(2024, 5, 1).unwrap();
    cast.complete_with(
        &app,
        order("health", Some("women_children"), "xini"),
        in_2024,
        40,
        &hours,
    )
    .await;
    cast.complete_with(
        &app,
        order("farming_herding", Some("farmers_herders"), "xini"),
        in_2024 + Duration::days(1),
        60,
        &hours,
    )
    .await;
    cast.complete_with(
        &app,
        order("industry_skills", Some("industrial_workers"), "balagong"),
        NaiveDate::from_ymd_opt(2021, 1, 1).unwrap(),
        12,
        &hours,
    )
    .await;
    cast.complete_with(
        &app,
        order("industry_skills", Some("industrial_workers"), "balagong"),
        NaiveDate::from_ymd_opt(2020, 12, 31).unwrap(),
        99,
        &hours,
    )
    .await;
    // Not completed: never counted.
    cast.claimed_with(
        &app,
        order("farming_herding", Some("farmers_herders"), "xini"),
    )
    .await;

    let all = values(&indicator_stats(&app, "").await);
    assert_eq!(
        all["farmer_training_sessions"], 2,
        "theme and group both match"
    );
    assert_eq!(all["farmer_guidance_person_times"], 25 + 15 + 10);
    assert_eq!(all["rural_youth_volunteer_services"], 1);
    assert_eq!(all["women_children_training_sessions"], 1, "2021-2025");
    assert_eq!(all["women_children_training_person_times"], 40);
    assert_eq!(
        all["innovation_talent_person_times"], 12,
        "2021 counts, 2020 does not"
    );
    assert_eq!(
        all["registered_volunteers"], empty["registered_volunteers"],
        "orders move no volunteers"
    );
    let progress = indicator_stats(&app, "").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "farmer_training_sessions")
        .unwrap()["progress"]
        .as_f64()
        .unwrap();
    assert_eq!(progress, 0.05, "2 of 40");

    let y2024 = values(&indicator_stats(&app, "?year=2024").await);
    assert_eq!(y2024["farmer_training_sessions"], 1);
    assert_eq!(y2024["farmer_guidance_person_times"], 60);
    assert_eq!(y2024["rural_youth_volunteer_services"], 0);
    assert_eq!(
        y2024["women_children_training_sessions"], 1,
        "a fixed period ignores ?year="
    );
    let y2020 = values(&indicator_stats(&app, "?year=2020").await);
    assert_eq!(y2020["farmer_guidance_person_times"], 0);
    assert_eq!(y2020["innovation_talent_person_times"], 12);

    let xini = values(&indicator_stats(&app, "?township=xini").await);
    assert_eq!(xini["farmer_training_sessions"], 1);
    assert_eq!(xini["farmer_guidance_person_times"], 35);
    assert_eq!(xini["rural_youth_volunteer_services"], 1);
    assert_eq!(xini["innovation_talent_person_times"], 0);
    assert_eq!(xini["registered_volunteers"], 1, "the cast's volunteer");
    let balagong = values(&indicator_stats(&app, "?township=balagong").await);
    assert_eq!(balagong["farmer_training_sessions"], 1);
    assert_eq!(balagong["farmer_guidance_person_times"], 15);
    assert_eq!(balagong["innovation_talent_person_times"], 12);
    assert_eq!(balagong["women_children_training_sessions"], 0);
    assert_eq!(balagong["registered_volunteers"], 0);
    let b2024 = values(&indicator_stats(&app, "?township=balagong&year=2024").await);
    assert_eq!(b2024["farmer_training_sessions"], 0);
}

/// A small deterministic generator (SplitMix64), so a failing sequence can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).unwrap()).unwrap()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum VState {
    Pending,
    Approved,
    Suspended,
    Rejected,
}

struct Vol {
    id: String,
    township: &'static str,
    state: VState,
    member: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum RState {
    Pending,
    Confirmed,
    Disputed,
}

struct Rec {
    id: String,
    vol: usize,
    halves: i64,
    served_on: NaiveDate,
    state: RState,
    /// Half-hours taken back by reversals.
    reversed: i64,
    /// How many reversal records took them back.
    reversals: usize,
}

struct Done {
    township: &'static str,
    theme: &'static str,
    group: Option<&'static str>,
    served_on: NaiveDate,
    attendees: i64,
}

/// What the test did, and what the figures must therefore be.
#[derive(Default)]
struct Model {
    vols: Vec<Vol>,
    recs: Vec<Rec>,
    orders: Vec<Done>,
}

impl Model {
    /// Confirmed half-hours (reversals deducted) of volunteer `v`, in `year` or all years.
    fn confirmed(&self, v: usize, year: Option<i32>) -> i64 {
        self.recs
            .iter()
            .filter(|r| {
                r.vol == v
                    && r.state == RState::Confirmed
                    && year.is_none_or(|y| r.served_on.year() == y)
            })
            .map(|r| r.halves - r.reversed)
            .sum()
    }

    fn pending(&self, v: usize) -> i64 {
        self.recs
            .iter()
            .filter(|r| r.vol == v && r.state == RState::Pending)
            .map(|r| r.halves)
            .sum()
    }

    /// Half-hours of `v` on `day` that the daily cap counts (all but disputed).
    fn on_day(&self, v: usize, day: NaiveDate) -> i64 {
        self.recs
            .iter()
            .filter(|r| r.vol == v && r.served_on == day && r.state != RState::Disputed)
            .map(|r| r.halves - r.reversed)
            .sum()
    }

    fn in_scope(&self, v: usize, town: Option<&str>) -> bool {
        town.is_none_or(|t| self.vols[v].township == t)
    }

    fn approved(&self, town: Option<&str>) -> i64 {
        (0..self.vols.len())
            .filter(|v| self.vols[*v].state == VState::Approved && self.in_scope(*v, town))
            .count() as i64
    }

    fn hours(&self, town: Option<&str>) -> f64 {
        (0..self.vols.len())
            .filter(|v| self.in_scope(*v, town))
            .map(|v| self.confirmed(v, None))
            .sum::<i64>() as f64
            / 2.0
    }

    fn active(&self, town: Option<&str>, year: i32) -> i64 {
        (0..self.vols.len())
            .filter(|v| self.in_scope(*v, town) && self.confirmed(*v, Some(year)) > 0)
            .count() as i64
    }

    /// The expected value of indicator `item` (its definition as served) in `town`, `year`.
    fn indicator(&self, item: &Value, town: Option<&str>) -> i64 {
        let unit = item["unit"].as_str().unwrap();
        if unit == "volunteers" {
            return self.approved(town);
        }
        let (from, to) = (
            i32::try_from(item["years"][0].as_i64().unwrap()).unwrap(),
            i32::try_from(item["years"][1].as_i64().unwrap()).unwrap(),
        );
        let theme = item["filter_theme"].as_str();
        let group = item["filter_target_group"].as_str();
        let matching = self.orders.iter().filter(|o| {
            town.is_none_or(|t| o.township == t)
                && (from..=to).contains(&o.served_on.year())
                && theme.is_none_or(|t| o.theme == t)
                && group.is_none_or(|g| o.group == Some(g))
        });
        match unit {
            "sessions" => matching.count() as i64,
            _ => matching.map(|o| o.attendees).sum(),
        }
    }
}

const STARS: [f64; 5] = [2.0, 5.0, 10.0, 20.0, 40.0];

/// Compares every figure the API serves with the model.
async fn check_against(app: &TestApp, model: &Model, years: &[i32]) {
    for &year in years {
        for town in std::iter::once(None).chain(TOWNSHIPS.iter().copied().map(Some)) {
            let query = match town {
                Some(t) => format!("?year={year}&township={t}"),
                None => format!("?year={year}"),
            };
            let s = volunteer_stats(app, &query).await;
            let case = format!("volunteers{query}");
            assert_eq!(s["approved"], model.approved(town), "{case}: approved");
            assert_eq!(s["confirmed_hours"], model.hours(town), "{case}: hours");
            assert_eq!(
                s["active_this_year"],
                model.active(town, year),
                "{case}: active"
            );
            for row in s["by_township"].as_array().unwrap() {
                let t = row["township"].as_str();
                assert_eq!(row["approved"], model.approved(t), "{case}: {t:?} approved");
                assert_eq!(
                    row["confirmed_hours"],
                    model.hours(t),
                    "{case}: {t:?} hours"
                );
                assert_eq!(
                    row["active_this_year"],
                    model.active(t, year),
                    "{case}: {t:?} active"
                );
            }
            let i = indicator_stats(app, &query).await;
            for item in i["items"].as_array().unwrap() {
                assert_eq!(
                    item["value"],
                    model.indicator(item, town),
                    "indicators{query}: {}",
                    item["code"]
                );
            }
        }
    }
    let stars = StarThresholds::new(STARS).unwrap();
    for (v, vol) in model.vols.iter().enumerate() {
        let h = app.hours_of(&vol.id).await;
        let confirmed = model.confirmed(v, None) as f64 / 2.0;
        assert_eq!(h["confirmed_hours"], confirmed, "{}: confirmed", vol.id);
        assert_eq!(
            h["pending_hours"],
            model.pending(v) as f64 / 2.0,
            "{}: pending",
            vol.id
        );
        assert_eq!(h["star_level"], stars.level(confirmed), "{}: stars", vol.id);
        let records: usize = model
            .recs
            .iter()
            .filter(|r| r.vol == v)
            .map(|r| 1 + r.reversals)
            .sum();
        assert_eq!(
            h["records"].as_array().unwrap().len(),
            records,
            "{}: records and reversals",
            vol.id
        );
    }
}

#[tokio::test]
async fn after_a_long_random_sequence_the_totals_equal_a_recomputation() {
    let app = spawn_app_with(|s| {
        s.star_thresholds = StarThresholds::new(STARS).unwrap();
    })
    .await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let mut rng = Rng(0x6B65_7075_2026);
    let mut model = Model::default();
    model.vols.push(Vol {
        id: cast.volunteer.clone(),
        township: "xini",
        state: VState::Approved,
        member: true,
    });
    let today = today();
    let year = today.year();
    let themes = [
        "farming_herding",
        "health",
        "youth_science",
        "industry_skills",
    ];
    let groups = [
        Some("farmers_herders"),
        Some("youth"),
        Some("women_children"),
        Some("industrial_workers"),
        None,
    ];
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    // 160 operations that change something, drawn at random (a draw with nothing to act on is
    // skipped).
    for _ in 0..400 {
        if counts.values().sum::<usize>() >= 160 {
            break;
        }
        let roll = rng.below(100);
        let op = match roll {
            0..=9 => "register",
            10..=21 => "approve",
            22..=23 => "reject",
            24..=29 => "suspend",
            30..=51 => "complete",
            52..=71 => "confirm",
            72..=80 => "dispute",
            81..=91 => "reverse",
            92..=94 => "abandon",
            _ => "refused",
        };
        let done = match op {
            "register" => {
                let town = TOWNSHIPS[rng.below(TOWNSHIPS.len())];
                let (id, _) = app.register_in(town).await;
                model.vols.push(Vol {
                    id,
                    township: town,
                    state: VState::Pending,
                    member: false,
                });
                true
            }
            "approve" | "reject" | "suspend" => {
                let from: &[VState] = match op {
                    "approve" => &[VState::Pending, VState::Suspended],
                    "reject" => &[VState::Pending],
                    _ => &[VState::Approved],
                };
                let candidates: Vec<usize> = (0..model.vols.len())
                    .filter(|v| from.contains(&model.vols[*v].state))
                    .collect();
                match rng.pick(&candidates).copied() {
                    Some(v) => {
                        review(&app, &model.vols[v].id, op).await;
                        model.vols[v].state = match op {
                            "approve" => VState::Approved,
                            "reject" => VState::Rejected,
                            _ => VState::Suspended,
                        };
                        if op == "approve" && !model.vols[v].member {
                            app.post(
                                &format!("/api/v1/teams/{}/members", cast.team_id),
                                &json!({"volunteer_id": model.vols[v].id}),
                                Some(&admin),
                            )
                            .await
                            .expect(201);
                            model.vols[v].member = true;
                        }
                        true
                    }
                    None => false,
                }
            }
            "complete" => {
                let served_on = match rng.below(4) {
                    0 | 1 => today - Duration::days(i64::try_from(rng.below(20)).unwrap()),
                    2 => {
                        NaiveDate::from_ymd_opt(year - 1, 1, 1).unwrap()
                            + Duration::days(i64::try_from(rng.below(365)).unwrap())
                    }
                    _ => {
                        NaiveDate::from_ymd_opt(2023, 1, 1).unwrap()
                            + Duration::days(i64::try_from(rng.below(365)).unwrap())
                    }
                };
                let mut credited: Vec<(usize, i64)> = Vec::new();
                for v in 0..model.vols.len() {
                    let vol = &model.vols[v];
                    if vol.member && vol.state == VState::Approved && rng.below(3) == 0 {
                        let halves = i64::try_from(1 + rng.below(16)).unwrap();
                        if model.on_day(v, served_on) + halves <= 48 && credited.len() < 4 {
                            credited.push((v, halves));
                        }
                    }
                }
                if credited.is_empty() {
                    false
                } else {
                    let town = TOWNSHIPS[rng.below(TOWNSHIPS.len())];
                    let theme = themes[rng.below(themes.len())];
                    let group = groups[rng.below(groups.len())];
                    let attendees = 1 + rng.below(80);
                    let ids: Vec<String> = credited
                        .iter()
                        .map(|(v, _)| model.vols[*v].id.clone())
                        .collect();
                    let hours: Vec<(&str, f64)> = ids
                        .iter()
                        .zip(&credited)
                        .map(|(id, (_, h))| (id.as_str(), *h as f64 / 2.0))
                        .collect();
                    let order = cast
                        .complete_with(
                            &app,
                            json!({"township": town, "theme": theme, "target_group": group}),
                            served_on,
                            u32::try_from(attendees).unwrap(),
                            &hours,
                        )
                        .await;
                    let records = app.records_of(&order).await;
                    assert_eq!(records.len(), credited.len());
                    for (v, halves) in credited {
                        model.recs.push(Rec {
                            id: record_id(&records, &model.vols[v].id),
                            vol: v,
                            halves,
                            served_on,
                            state: RState::Pending,
                            reversed: 0,
                            reversals: 0,
                        });
                    }
                    model.orders.push(Done {
                        township: town,
                        theme,
                        group,
                        served_on,
                        attendees: i64::try_from(attendees).unwrap(),
                    });
                    true
                }
            }
            "confirm" | "dispute" => {
                let from: &[RState] = if op == "confirm" {
                    &[RState::Pending, RState::Disputed]
                } else {
                    &[RState::Pending]
                };
                let candidates: Vec<usize> = (0..model.recs.len())
                    .filter(|r| from.contains(&model.recs[*r].state))
                    // Confirming a disputed record must not overfill its day (see the ledger
                    // tests); keep the sequence within what the rules allow.
                    .filter(|r| {
                        let rec = &model.recs[*r];
                        rec.state != RState::Disputed
                            || model.on_day(rec.vol, rec.served_on) + rec.halves <= 48
                    })
                    .collect();
                match rng.pick(&candidates).copied() {
                    Some(r) => {
                        let token = if rng.below(2) == 0 {
                            &admin
                        } else {
                            &cast.department
                        };
                        let body = if op == "confirm" {
                            json!({})
                        } else {
                            json!({"reason": "核对签到表"})
                        };
                        let reply = app
                            .post(
                                &format!("/api/v1/service-records/{}/{op}", model.recs[r].id),
                                &body,
                                Some(token),
                            )
                            .await
                            .expect(200);
                        model.recs[r].state = if op == "confirm" {
                            RState::Confirmed
                        } else {
                            RState::Disputed
                        };
                        let want = if op == "confirm" {
                            "confirmed"
                        } else {
                            "disputed"
                        };
                        assert_eq!(reply["state"], want);
                        true
                    }
                    None => false,
                }
            }
            "reverse" => {
                let candidates: Vec<usize> = (0..model.recs.len())
                    .filter(|r| {
                        model.recs[*r].state == RState::Confirmed
                            && model.recs[*r].halves > model.recs[*r].reversed
                    })
                    .collect();
                match rng.pick(&candidates).copied() {
                    Some(r) => {
                        let left = model.recs[r].halves - model.recs[r].reversed;
                        let (body, take) = if rng.below(3) == 0 {
                            (json!({"reason": "整条冲正"}), left)
                        } else {
                            let take = i64::try_from(1 + rng.below(usize::try_from(left).unwrap()))
                                .unwrap();
                            (
                                json!({"reason": "部分冲正", "hours": take as f64 / 2.0}),
                                take,
                            )
                        };
                        let rev = decide(&app, &model.recs[r].id, "reverse", body, 201).await;
                        assert_eq!(rev["hours"], -(take as f64) / 2.0);
                        model.recs[r].reversed += take;
                        model.recs[r].reversals += 1;
                        true
                    }
                    None => false,
                }
            }
            "abandon" => {
                // Claimed and then cancelled: never completed, never counted.
                let order = cast.claimed_with(&app, json!({})).await;
                app.act(&order, "cancel", json!({"reason": "天气原因取消"}), &admin)
                    .await
                    .expect(200);
                true
            }
            _ => {
                // Refused actions change nothing.
                let confirmed: Vec<usize> = (0..model.recs.len())
                    .filter(|r| model.recs[*r].state == RState::Confirmed)
                    .collect();
                match rng.pick(&confirmed).copied() {
                    Some(r) => {
                        let rec = &model.recs[r];
                        decide(&app, &rec.id, "confirm", json!({}), 409).await;
                        let too_much = (rec.halves - rec.reversed + 1) as f64 / 2.0;
                        if too_much <= 24.0 {
                            decide(
                                &app,
                                &rec.id,
                                "reverse",
                                json!({"reason": "过多", "hours": too_much}),
                                422,
                            )
                            .await;
                        }
                        true
                    }
                    None => false,
                }
            }
        };
        if done {
            *counts.entry(op).or_default() += 1;
        }
    }
    let total: usize = counts.values().sum();
    assert!(total >= 160, "{total} operations done: {counts:?}");
    for op in [
        "register", "approve", "suspend", "complete", "confirm", "dispute", "reverse",
    ] {
        assert!(
            counts.get(op).copied().unwrap_or(0) >= 3,
            "{op}: {counts:?}"
        );
    }

    // The sequence reached the cases that matter.
    for y in [year, year - 1, 2023] {
        assert!(model.active(None, y) > 0, "someone active in {y}");
    }
    assert!(model.recs.iter().any(|r| r.state == RState::Disputed));
    assert!(model.recs.iter().any(|r| r.state == RState::Pending));
    assert!(
        model
            .recs
            .iter()
            .any(|r| r.reversed > 0 && r.reversed == r.halves)
    );
    assert!(
        model
            .recs
            .iter()
            .any(|r| r.reversed > 0 && r.reversed < r.halves)
    );
    assert!(model.vols.iter().any(|v| v.state == VState::Suspended));
    assert!(model.vols.iter().any(|v| v.state == VState::Pending));

    let db = app.db().await;
    let drift = stats::verify(&db).await.unwrap();
    assert!(drift.is_empty(), "after {counts:?}:\n{drift}");
    let years = [year, year - 1, 2023];
    check_against(&app, &model, &years).await;

    // Tampering is found, and the API indeed reads the totals.
    let backend = db.get_database_backend();
    for sql in [
        "UPDATE stat_totals SET value = value + 1 WHERE metric = 'approved_volunteers' AND township_code = '*'",
        "UPDATE volunteers SET confirmed_halves = confirmed_halves + 1 WHERE state = 'approved'",
        "UPDATE volunteer_years SET confirmed_halves = confirmed_halves + 2",
    ] {
        db.execute_raw(sea_orm::Statement::from_string(backend, sql))
            .await
            .unwrap();
    }
    let drift = stats::verify(&db).await.unwrap();
    assert!(!drift.is_empty());
    assert_eq!(drift.totals.len(), 1, "{drift}");
    let (key, stored, computed) = &drift.totals[0];
    assert_eq!(key.metric.as_str(), "approved_volunteers");
    assert_eq!(key.township, "*");
    assert_eq!(*stored, computed + 1);
    assert_eq!(*computed, model.approved(None));
    let mut approved_ids: Vec<String> = model
        .vols
        .iter()
        .filter(|v| v.state == VState::Approved)
        .map(|v| v.id.clone())
        .collect();
    approved_ids.sort();
    let mut drifted: Vec<String> = drift.volunteers.iter().map(ToString::to_string).collect();
    drifted.sort();
    assert_eq!(drifted, approved_ids);
    assert!(!drift.volunteer_years.is_empty(), "{drift}");
    assert!(drift.to_string().contains("approved_volunteers"));
    assert_eq!(
        volunteer_stats(&app, "").await["approved"],
        model.approved(None) + 1,
        "the figure is the stored total"
    );

    // A rebuild repairs everything.
    stats::rebuild(&db).await.unwrap();
    let drift = stats::verify(&db).await.unwrap();
    assert!(drift.is_empty(), "{drift}");
    check_against(&app, &model, &years).await;
    db.close().await.unwrap();
}

#[tokio::test]
async fn verify_on_a_fresh_database_finds_nothing_and_a_rebuild_changes_nothing() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let order = cast
        .complete_with(&app, json!({}), today(), 12, &[(&cast.volunteer, 2.0)])
        .await;
    let rec = record_id(&app.records_of(&order).await, &cast.volunteer);
    decide(&app, &rec, "confirm", json!({}), 200).await;
    let db = app.db().await;
    assert!(stats::verify(&db).await.unwrap().is_empty());
    let figures = (
        volunteer_stats(&app, "").await,
        indicator_stats(&app, "").await,
    );
    // Totals lost altogether (e.g. a restore without them) come back from the ledger.
    db.execute_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        "DELETE FROM stat_totals",
    ))
    .await
    .unwrap();
    let drift = stats::verify(&db).await.unwrap();
    assert!(drift.totals.len() >= 4, "every counter is missing: {drift}");
    assert_eq!(volunteer_stats(&app, "").await["approved"], 0);
    stats::rebuild(&db).await.unwrap();
    assert!(stats::verify(&db).await.unwrap().is_empty());
    assert_eq!(volunteer_stats(&app, "").await, figures.0);
    assert_eq!(indicator_stats(&app, "").await, figures.1);
    assert_eq!(app.hours_of(&cast.volunteer).await["confirmed_hours"], 2.0);
    db.close().await.unwrap();
}
