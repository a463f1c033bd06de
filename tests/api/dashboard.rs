//! The association's dashboard (`/console/dashboard`): its figures are the API's figures for the
//! same filters (read from the page as a browser gets it), the monthly counters move in the
//! transactions of approvals and confirmations and are proven by `kepu stats verify`, the
//! waiting orders equal what the queue lists, and the exports behind the charts download.

use crate::console::{account, signed_in};
use crate::helpers::*;
use chrono::Datelike;
use kepu_api::service::stats;
use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// The text right after `marker` up to the next `<`.
fn after(html: &str, marker: &str) -> String {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the page"))
        + marker.len();
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].trim().to_owned()
}

/// The text after `inner` inside the element that starts at `outer`.
fn within(html: &str, outer: &str, inner: &str) -> String {
    let start = html
        .find(outer)
        .unwrap_or_else(|| panic!("no {outer} in the page"));
    after(&html[start..], inner)
}

/// A figure as the page writes it.
fn number(v: &Value) -> String {
    let x = v.as_f64().unwrap();
    if x.fract() == 0.0 {
        format!("{}", x as i64)
    } else {
        format!("{x:.1}")
    }
}

async fn admin_console(app: &TestApp) -> Browser<'_> {
    signed_in(app, "admin", ADMIN_PASSWORD).await
}

/// Checks every figure of the dashboard at `query` against the API at the same filters.
async fn check_page_equals_api(app: &TestApp, b: &mut Browser<'_>, query: &str) {
    let page = b.get(&format!("/console/dashboard{query}")).await;
    assert_eq!(page.status, StatusCode::OK, "{query}");
    let html = &page.html;
    let admin = app.admin().await;
    let v = app
        .get(&format!("/api/v1/stats/volunteers{query}"), Some(&admin))
        .await
        .expect(200);
    let all = app
        .get(
            &format!("/api/v1/stats/volunteers?year={}", v["year"]),
            Some(&admin),
        )
        .await
        .expect(200);
    let ind = app
        .get(&format!("/api/v1/stats/indicators{query}"), Some(&admin))
        .await
        .expect(200);
    assert_eq!(after(html, "id=\"approved\">"), number(&v["approved"]));
    assert_eq!(after(html, "id=\"target\">"), number(&v["target"]));
    assert_eq!(
        after(html, "id=\"confirmed-hours\">"),
        number(&v["confirmed_hours"])
    );
    assert_eq!(
        after(html, "id=\"active\">"),
        number(&v["active_this_year"])
    );
    let reached = format!("{:.1}%", v["progress"].as_f64().unwrap() * 100.0);
    assert_eq!(after(html, "id=\"reached\">"), reached);
    // Every township's bar, with its number beside it, sorted descending.
    let mut last = i64::MAX;
    let mut at = 0;
    let mut rows = all["by_township"].as_array().unwrap().clone();
    rows.sort_by_key(|t| -t["approved"].as_i64().unwrap());
    for t in &rows {
        let label = format!(
            "<span class=\"lbl\">{}</span>",
            t["name_zh"].as_str().unwrap()
        );
        let here = html.find(&label).expect("a bar per township");
        assert_eq!(
            within(html, &label, "<span class=\"val\">"),
            number(&t["approved"])
        );
        let n = t["approved"].as_i64().unwrap();
        assert!(n <= last && here >= at, "bars sorted descending");
        (last, at) = (n, here);
    }
    for i in ind["items"].as_array().unwrap() {
        let row = format!("id=\"ind-{}\"", i["code"].as_str().unwrap());
        assert_eq!(
            within(html, &row, "class=\"n v\">"),
            number(&i["value"]),
            "{query}: {}",
            i["code"]
        );
    }
    // Orders waiting per stage equal what the queue's filters list for the association.
    let township = v["township"].as_str().map(|t| format!("&township={t}"));
    for state in ["submitted", "dispatched", "accepted", "claimed"] {
        let row = format!("id=\"stage-{state}\"");
        for (class, overdue) in [("class=\"w\">", ""), ("o\">", "&overdue=true")] {
            let listed = app
                .get(
                    &format!(
                        "/api/v1/orders?state={state}&limit=200{overdue}{}",
                        township.clone().unwrap_or_default()
                    ),
                    Some(&admin),
                )
                .await
                .expect(200);
            assert_eq!(
                within(html, &row, class),
                listed["items"].as_array().unwrap().len().to_string(),
                "{query}: {state} {overdue}"
            );
        }
    }
}

#[tokio::test]
async fn the_dashboard_shows_the_apis_figures_for_the_same_filters() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    // Volunteers in two townships, orders at every stage, one completed with confirmed hours.
    for (town, n) in [("balagong", 3), ("yiheusu", 1)] {
        for _ in 0..n {
            let (id, _) = app.register_in(town).await;
            app.post(
                &format!("/api/v1/volunteers/{id}/approve"),
                &json!({}),
                Some(&app.admin().await),
            )
            .await
            .expect(200);
        }
    }
    let order = cast
        .complete_with(
            &app,
            json!({"target_group": "farmers_herders"}),
            today(),
            25,
            &[(&cast.volunteer, 3.5)],
        )
        .await;
    let record = app
        .records_of(&order)
        .await
        .into_iter()
        .find(|r| r["volunteer_id"] == cast.volunteer.as_str())
        .unwrap();
    app.post(
        &format!(
            "/api/v1/service-records/{}/confirm",
            record["id"].as_str().unwrap()
        ),
        &json!({}),
        Some(&app.admin().await),
    )
    .await
    .expect(200);
    for state in [
        "submitted",
        "submitted",
        "dispatched",
        "accepted",
        "claimed",
    ] {
        cast.order_in(&app, state).await;
    }
    let mut b = admin_console(&app).await;
    let year = today().year();
    for query in [
        "".to_owned(),
        format!("?year={year}"),
        format!("?township=xini&year={year}"),
        "?township=balagong".to_owned(),
        format!("?year={}", year - 1),
    ] {
        check_page_equals_api(&app, &mut b, &query).await;
    }
    // Days later every waiting order is overdue, and the page says so.
    app.clock.advance(chrono::Duration::days(40));
    let mut b = admin_console(&app).await;
    check_page_equals_api(&app, &mut b, "").await;
    let page = b.get("/console/dashboard").await;
    assert!(page.html.contains("class=\"late-tag o\""));

    // The month of today holds the approvals and the hours confirmed.
    let key = format!("{}-{:02}", year, today().month());
    let row = format!("<th scope=\"row\">{key}</th><td>");
    let month = after(&page.html, &row);
    assert_eq!(
        month, "5",
        "the cast's member and four more approved this month"
    );
    assert!(page.html.contains(&format!("{row}5</td><td>3.5</td>")));
}

#[tokio::test]
async fn the_dashboard_and_its_exports_are_for_the_association_only() {
    let app = spawn_app().await;
    let station_id = app.xini_station().await;
    let (station, _) = account(&app, "station_staff", Some(("station_id", &station_id))).await;
    let mut s = signed_in(&app, &station, "password-123").await;
    for path in ["/console/dashboard", "/console/exports/volunteers.csv"] {
        assert_eq!(s.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
    }
    let mut b = admin_console(&app).await;
    // The association's home is the dashboard, and its navigation leads to its pages.
    let home = b.get("/console/").await;
    assert_eq!(home.location(), "/console/dashboard");
    let page = b.get("/console/dashboard").await;
    for link in [
        "/console/dashboard",
        "/console/volunteers",
        "/console/admin",
        "/console/hours",
    ] {
        assert!(page.html.contains(&format!("href=\"{link}\"")), "{link}");
    }
    // A bad filter is shown beside its field, with the figures of the defaults.
    let bad = b
        .get("/console/dashboard?year=twenty&township=atlantis")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!bad.error("year").is_empty());
    assert!(!bad.error("township").is_empty());
    assert!(bad.html.contains("id=\"approved\">"));
    // The links beside the charts download the API's exports.
    for (path, kind) in [
        ("/console/exports/volunteers.csv", "text/csv"),
        ("/console/exports/hours.xlsx", "spreadsheetml"),
        (
            "/console/exports/indicators.csv?township=xini&year=2025",
            "text/csv",
        ),
    ] {
        let file = b.get(path).await;
        assert_eq!(file.status, StatusCode::OK, "{path}");
        let ct = file.headers["content-type"].to_str().unwrap();
        assert!(ct.contains(kind), "{path}: {ct}");
        assert!(
            file.headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
    }
    assert!(page.html.contains("/console/exports/indicators.csv?year="));
    assert_eq!(
        b.get("/console/exports/nothing.csv").await.status,
        StatusCode::NOT_FOUND
    );
    let bad = b.get("/console/exports/indicators.csv?year=1").await;
    assert_eq!(bad.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn monthly_counters_move_with_approvals_and_confirmations_and_are_verified() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let admin = app.admin().await;
    let (pending, _) = app.register_in("balagong").await;
    // A rejection and a suspension are not approvals; lifting a suspension is not a new one.
    let (rejected, _) = app.register_in("balagong").await;
    app.post(
        &format!("/api/v1/volunteers/{rejected}/reject"),
        &json!({"reason": "资料不全"}),
        Some(&admin),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/volunteers/{pending}/approve"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(200);
    for action in ["suspend", "approve"] {
        app.post(
            &format!("/api/v1/volunteers/{pending}/{action}"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(200);
    }
    // Hours served last month, confirmed now, count in the month served.
    let first = today().with_day(1).unwrap();
    let last_month = first - chrono::Duration::days(1);
    let order = cast
        .complete_with(&app, json!({}), last_month, 10, &[(&cast.volunteer, 2.5)])
        .await;
    let record = app
        .records_of(&order)
        .await
        .into_iter()
        .find(|r| r["volunteer_id"] == cast.volunteer.as_str())
        .unwrap();
    let record = record["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/service-records/{record}/confirm"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(200);
    let db = app.db().await;
    let key = |d: chrono::NaiveDate| d.year() * 100 + d.month() as i32;
    let months = stats::monthly_stats(&db, None, key(today()), 12)
        .await
        .unwrap();
    assert_eq!(months.len(), 12);
    let now = months.last().unwrap();
    assert_eq!(now.month, key(today()));
    assert_eq!(now.approvals, 2, "the cast's member and one of balagong");
    assert_eq!(now.confirmed_hours, 0.0);
    let before = &months[10];
    assert_eq!(before.month, key(last_month));
    assert_eq!(before.confirmed_hours, 2.5);
    let balagong = stats::monthly_stats(&db, Some("balagong"), key(today()), 1)
        .await
        .unwrap();
    assert_eq!(balagong[0].approvals, 1);
    assert!(stats::verify(&db).await.unwrap().is_empty());

    // A reversal takes the hours back from the month served.
    app.post(
        &format!("/api/v1/service-records/{record}/reverse"),
        &json!({"hours": 1.0, "reason": "多报"}),
        Some(&admin),
    )
    .await
    .expect(201);
    let months = stats::monthly_stats(&db, None, key(last_month), 1)
        .await
        .unwrap();
    assert_eq!(months[0].confirmed_hours, 1.5);
    assert!(stats::verify(&db).await.unwrap().is_empty());

    // Tampering with a monthly counter is found, and a rebuild repairs it.
    let backend = db.get_database_backend();
    db.execute_raw(sea_orm::Statement::from_string(
        backend,
        "UPDATE stat_totals SET value = value + 3 WHERE metric = 'approvals_by_month' \
         AND township_code = '*'",
    ))
    .await
    .unwrap();
    let drift = stats::verify(&db).await.unwrap();
    assert_eq!(drift.totals.len(), 1, "{drift}");
    assert_eq!(drift.totals[0].0.metric.as_str(), "approvals_by_month");
    assert_eq!(drift.totals[0].1, drift.totals[0].2 + 3);
    stats::rebuild(&db).await.unwrap();
    assert!(stats::verify(&db).await.unwrap().is_empty());
    db.close().await.unwrap();
}

#[tokio::test]
async fn the_monthly_migration_fills_the_hours_counters_from_the_ledger() {
    use kepu_migration::{Migrator, MigratorTrait};
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let order = cast
        .complete_with(&app, json!({}), today(), 10, &[(&cast.volunteer, 3.0)])
        .await;
    let record = app
        .records_of(&order)
        .await
        .into_iter()
        .find(|r| r["volunteer_id"] == cast.volunteer.as_str())
        .unwrap();
    app.post(
        &format!(
            "/api/v1/service-records/{}/confirm",
            record["id"].as_str().unwrap()
        ),
        &json!({}),
        Some(&app.admin().await),
    )
    .await
    .expect(200);
    let db = app.db().await;
    // Back to the schema before the monthly counters, and up again as an upgrade would run.
    Migrator::down(db.writer(), Some(1)).await.unwrap();
    Migrator::up(db.writer(), None).await.unwrap();
    let key = today().year() * 100 + today().month() as i32;
    let months = stats::monthly_stats(&db, None, key, 1).await.unwrap();
    assert_eq!(months[0].confirmed_hours, 3.0, "filled from the ledger");
    assert_eq!(
        months[0].approvals, 0,
        "approvals before the upgrade have no month"
    );
    let drift = stats::verify(&db).await.unwrap();
    assert!(drift.is_empty(), "{drift}");
    db.close().await.unwrap();
}
