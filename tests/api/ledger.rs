//! The hours ledger (issue 3): who may confirm, dispute and reverse a service record, the
//! transitions and their conflicts, what a reversal may take back, the audit history, star
//! levels at their boundaries, and racing confirmations and reversals.

use crate::helpers::*;
use chrono::Duration;
use futures::future::join_all;
use kepu_domain::volunteer::StarThresholds;
use serde_json::{Value, json};

/// The record of `volunteer` among `records`.
fn record_for<'a>(records: &'a [Value], volunteer: &str) -> &'a Value {
    records
        .iter()
        .find(|r| r["volunteer_id"] == volunteer)
        .unwrap_or_else(|| panic!("no record for {volunteer} in {records:?}"))
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// POSTs a ledger action on record `id`.
async fn ledger(app: &TestApp, id: &str, action: &str, body: Value, token: Option<&str>) -> Reply {
    app.post(
        &format!("/api/v1/service-records/{id}/{action}"),
        &body,
        token,
    )
    .await
}

/// A record with its history, as the association sees it.
async fn detail(app: &TestApp, id: &str) -> Value {
    app.get(
        &format!("/api/v1/service-records/{id}"),
        Some(&app.admin().await),
    )
    .await
    .expect(200)
}

/// The `action`s of a record's history, oldest first.
fn actions(detail: &Value) -> Vec<String> {
    detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect()
}

/// Asserts a 409 `service_record.invalid_transition` naming `current`.
#[track_caller]
fn conflict(reply: Reply, current: &str, case: &str) {
    assert_eq!(reply.status, 409, "{case}: {}", reply.body);
    assert_eq!(
        reply.body["code"], "service_record.invalid_transition",
        "{case}"
    );
    assert_eq!(reply.body["current_state"], current, "{case}");
}

/// The fields a 422 names.
#[track_caller]
fn invalid_fields(reply: Reply, case: &str) -> Vec<String> {
    assert_eq!(reply.status, 422, "{case}: {}", reply.body);
    assert_eq!(reply.body["code"], "validation.failed", "{case}");
    reply.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_owned())
        .collect()
}

/// (who, token, status of confirm and dispute, of the list, the statuses allowed reading one).
type Refused<'a> = (&'a str, Option<&'a str>, u16, u16, &'a [u16]);

/// The cast plus three more members of its team (four volunteers in all).
async fn cast_of_four(app: &TestApp) -> (Cast, Vec<String>) {
    let cast = Cast::new(app).await;
    let mut volunteers = vec![cast.volunteer.clone()];
    for _ in 0..3 {
        volunteers.push(app.member(&cast.team_id).await);
    }
    (cast, volunteers)
}

#[tokio::test]
async fn only_the_orders_department_and_the_association_decide_and_only_the_association_reverses() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (cast, vols) = cast_of_four(&app).await;
    let other_department = app
        .user(
            "department_staff",
            Some((
                "department_id",
                &app.find_id("departments", "code", "weijian").await,
            )),
        )
        .await;
    let volunteer_account = app
        .user("volunteer", Some(("volunteer_id", &vols[0])))
        .await;
    let hours: Vec<(&str, f64)> = vols.iter().map(|v| (v.as_str(), 2.0)).collect();
    let order = cast
        .complete_with(&app, json!({}), today(), 20, &hours)
        .await;
    let records = app.records_of(&order).await;
    assert_eq!(records.len(), 4, "one record per volunteer");
    for r in &records {
        assert_eq!(r["state"], "pending");
        assert_eq!(r["kind"], "service");
        assert_eq!(r["hours"], 2.0);
        assert_eq!(r["reverses_id"], Value::Null);
    }
    let rec: Vec<String> = vols.iter().map(|v| id(record_for(&records, v))).collect();

    // Everyone who may not decide is refused, and the record stays as filed. Reading one
    // record: another department may not know it exists; other staff are 403 or 404.
    let refused: [Refused; 5] = [
        // (who, token, confirm and dispute, list, read one)
        (
            "another department",
            Some(&other_department),
            404,
            200,
            &[404],
        ),
        ("station staff", Some(&cast.station), 403, 403, &[403, 404]),
        ("team leader", Some(&cast.leader), 403, 403, &[403, 404]),
        (
            "the volunteer",
            Some(&volunteer_account),
            403,
            403,
            &[403, 404],
        ),
        ("anonymous", None, 401, 401, &[401]),
    ];
    for (who, token, decide, list, read) in refused {
        let r = ledger(&app, &rec[0], "confirm", json!({}), token).await;
        assert_eq!(r.status, decide, "{who} confirms: {}", r.body);
        let r = ledger(&app, &rec[0], "dispute", json!({"reason": "不对"}), token).await;
        assert_eq!(r.status, decide, "{who} disputes: {}", r.body);
        let r = app
            .get(&format!("/api/v1/service-records?order_id={order}"), token)
            .await;
        assert_eq!(r.status, list, "{who} lists: {}", r.body);
        if r.status == 200 {
            assert_eq!(r.body["items"], json!([]), "{who} sees none of them");
        }
        let r = app
            .get(&format!("/api/v1/service-records/{}", rec[0]), token)
            .await;
        assert!(
            read.contains(&r.status.as_u16()),
            "{who} reads one: {} {}",
            r.status,
            r.body
        );
    }
    let untouched = detail(&app, &rec[0]).await;
    assert_eq!(untouched["state"], "pending");
    assert_eq!(actions(&untouched), ["filed"], "refusals leave no trace");

    // The order's department and the association confirm and dispute.
    let listed = app
        .get(
            &format!("/api/v1/service-records?order_id={order}"),
            Some(&cast.department),
        )
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 4);
    // Filters and keyset pages.
    let mine = app
        .get(
            &format!("/api/v1/service-records?volunteer_id={}", vols[2]),
            Some(&cast.department),
        )
        .await
        .expect(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["id"], rec[2].as_str());
    let page = app
        .get(
            &format!("/api/v1/service-records?order_id={order}&limit=3"),
            Some(&admin),
        )
        .await
        .expect(200);
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let rest = app
        .get(
            &format!("/api/v1/service-records?order_id={order}&limit=3&cursor={cursor}"),
            Some(&admin),
        )
        .await
        .expect(200);
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["next_cursor"], Value::Null);
    let mut seen: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .map(|r| &r["id"])
        .collect();
    seen.sort_by_key(|v| v.as_str());
    seen.dedup();
    assert_eq!(seen.len(), 4, "every record once");

    let done = ledger(&app, &rec[0], "confirm", json!({}), Some(&cast.department))
        .await
        .expect(200);
    assert_eq!(done["state"], "confirmed");
    assert_eq!(done["id"], rec[0].as_str());
    ledger(&app, &rec[1], "confirm", json!({}), Some(&admin))
        .await
        .expect(200);
    let disputed = ledger(
        &app,
        &rec[2],
        "dispute",
        json!({"reason": "当天未到场"}),
        Some(&cast.department),
    )
    .await
    .expect(200);
    assert_eq!(disputed["state"], "disputed");
    assert_eq!(disputed["reason"], "当天未到场");
    ledger(
        &app,
        &rec[3],
        "dispute",
        json!({"reason": "时长有误"}),
        Some(&admin),
    )
    .await
    .expect(200);

    // Only the association reverses. Department staff never may, so every department hears
    // 403 before any record is looked at.
    let reversers: [(&str, Option<&str>, u16); 7] = [
        ("the order's department", Some(&cast.department), 403),
        ("another department", Some(&other_department), 403),
        ("station staff", Some(&cast.station), 403),
        ("team leader", Some(&cast.leader), 403),
        ("the volunteer", Some(&volunteer_account), 403),
        ("anonymous", None, 401),
        ("the association", Some(&admin), 201),
    ];
    for (who, token, status) in reversers {
        let r = ledger(
            &app,
            &rec[0],
            "reverse",
            json!({"reason": "志愿者反映记错", "hours": 0.5}),
            token,
        )
        .await;
        assert_eq!(r.status, status, "{who} reverses: {}", r.body);
    }
    let hours = app.hours_of(&vols[0]).await;
    assert_eq!(hours["confirmed_hours"], 1.5, "one reversal of 0.5 only");
}

#[tokio::test]
async fn refused_transitions_are_conflicts_naming_the_current_state() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (cast, vols) = cast_of_four(&app).await;
    let hours: Vec<(&str, f64)> = vols.iter().map(|v| (v.as_str(), 3.0)).collect();
    let order = cast
        .complete_with(&app, json!({}), today(), 20, &hours)
        .await;
    let records = app.records_of(&order).await;
    let rec: Vec<String> = vols.iter().map(|v| id(record_for(&records, v))).collect();
    let dept = Some(cast.department.as_str());

    // Pending cannot be reversed.
    conflict(
        ledger(
            &app,
            &rec[0],
            "reverse",
            json!({"reason": "错"}),
            Some(&admin),
        )
        .await,
        "pending",
        "reverse pending",
    );
    // Confirmed is final for confirm and dispute.
    ledger(&app, &rec[0], "confirm", json!({}), dept)
        .await
        .expect(200);
    conflict(
        ledger(&app, &rec[0], "confirm", json!({}), dept).await,
        "confirmed",
        "confirm twice",
    );
    conflict(
        ledger(
            &app,
            &rec[0],
            "dispute",
            json!({"reason": "错"}),
            Some(&admin),
        )
        .await,
        "confirmed",
        "dispute confirmed",
    );
    // Disputed: not again, not reversed, but it can still be confirmed.
    ledger(&app, &rec[1], "dispute", json!({"reason": "错"}), dept)
        .await
        .expect(200);
    conflict(
        ledger(&app, &rec[1], "dispute", json!({"reason": "又错"}), dept).await,
        "disputed",
        "dispute twice",
    );
    conflict(
        ledger(
            &app,
            &rec[1],
            "reverse",
            json!({"reason": "错"}),
            Some(&admin),
        )
        .await,
        "disputed",
        "reverse disputed",
    );
    let confirmed = ledger(&app, &rec[1], "confirm", json!({}), Some(&admin))
        .await
        .expect(200);
    assert_eq!(confirmed["state"], "confirmed");
    assert_eq!(confirmed["hours"], 3.0);
    // A reversal is never itself reversed, confirmed or disputed.
    let reversal = ledger(
        &app,
        &rec[0],
        "reverse",
        json!({"reason": "多记了", "hours": 1}),
        Some(&admin),
    )
    .await
    .expect(201);
    let reversal_id = id(&reversal);
    for (action, body) in [
        ("reverse", json!({"reason": "再冲"})),
        ("confirm", json!({})),
        ("dispute", json!({"reason": "错"})),
    ] {
        conflict(
            ledger(&app, &reversal_id, action, body, Some(&admin)).await,
            "confirmed",
            &format!("{action} a reversal"),
        );
    }

    // Bad input names every bad field and changes nothing.
    for body in [
        json!({}),
        json!({"reason": ""}),
        json!({"reason": "x".repeat(501)}),
    ] {
        assert_eq!(
            invalid_fields(
                ledger(&app, &rec[2], "dispute", body.clone(), dept).await,
                &format!("dispute {body}")
            ),
            ["reason"]
        );
    }
    let both = invalid_fields(
        ledger(
            &app,
            &rec[0],
            "reverse",
            json!({"hours": 0.3}),
            Some(&admin),
        )
        .await,
        "reverse without reason, odd hours",
    );
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both.contains(&"reason".into()) && both.contains(&"hours".into()));
    let malformed = app
        .send(
            app.client
                .post(format!(
                    "{}/api/v1/service-records/{}/dispute",
                    app.address, rec[2]
                ))
                .header("Authorization", format!("Bearer {}", cast.department))
                .header("Content-Type", "application/json")
                .body("{\"reason\": "),
        )
        .await;
    assert_eq!(malformed.status, 400, "malformed JSON: {}", malformed.body);
    assert_eq!(detail(&app, &rec[2]).await["state"], "pending");
    assert_eq!(actions(&detail(&app, &rec[2]).await), ["filed"]);

    // Unknown and malformed ids are 404.
    for bad in ["00000000-0000-7000-8000-000000000000", "not-a-uuid"] {
        ledger(&app, bad, "confirm", json!({}), Some(&admin))
            .await
            .expect(404);
        app.get(&format!("/api/v1/service-records/{bad}"), Some(&admin))
            .await
            .expect(404);
    }
    // The list filters by state and validates its filters.
    let confirmed = app
        .get(
            &format!("/api/v1/service-records?order_id={order}&state=confirmed"),
            Some(&admin),
        )
        .await
        .expect(200);
    let mut ids: Vec<&str> = confirmed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want = vec![rec[0].as_str(), rec[1].as_str(), reversal_id.as_str()];
    want.sort_unstable();
    assert_eq!(ids, want);
    let bad = invalid_fields(
        app.get(
            "/api/v1/service-records?state=lost&volunteer_id=x&order_id=y&limit=0",
            Some(&admin),
        )
        .await,
        "bad filters",
    );
    for f in ["state", "volunteer_id", "order_id", "limit"] {
        assert!(bad.contains(&f.to_owned()), "{f} in {bad:?}");
    }
}

#[tokio::test]
async fn a_reversal_takes_back_at_most_what_remains_and_never_edits_the_original() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let v = cast.volunteer.clone();
    let order = cast
        .complete_with(&app, json!({}), today(), 20, &[(&v, 6.0)])
        .await;
    let original = id(&app.records_of(&order).await[0]);
    ledger(
        &app,
        &original,
        "confirm",
        json!({}),
        Some(&cast.department),
    )
    .await
    .expect(200);
    let before = detail(&app, &original).await;
    assert!(before["decided_by"].is_string());

    // Out of range: nothing, odd steps, more than the record.
    for hours in [json!(0), json!(-1), json!(0.3), json!(6.5), json!(25)] {
        assert_eq!(
            invalid_fields(
                ledger(
                    &app,
                    &original,
                    "reverse",
                    json!({"reason": "错", "hours": hours}),
                    Some(&admin)
                )
                .await,
                &format!("reverse {hours}")
            ),
            ["hours"]
        );
    }
    assert_eq!(app.hours_of(&v).await["confirmed_hours"], 6.0);

    // Part of it.
    let first = ledger(
        &app,
        &original,
        "reverse",
        json!({"reason": "志愿者反映多记了2小时", "hours": 2}),
        Some(&admin),
    )
    .await
    .expect(201);
    assert_eq!(first["kind"], "reversal");
    assert_eq!(first["hours"], -2.0);
    assert_eq!(first["state"], "confirmed");
    assert_eq!(first["reverses_id"], original.as_str());
    assert_eq!(first["reason"], "志愿者反映多记了2小时");
    assert_eq!(first["volunteer_id"], v.as_str());
    assert_eq!(first["order_id"], order.as_str());
    assert_eq!(first["served_on"], before["served_on"]);
    assert_ne!(first["id"], original.as_str());
    // More than remains (4) is refused; the rest, unspecified, is taken back.
    assert_eq!(
        invalid_fields(
            ledger(
                &app,
                &original,
                "reverse",
                json!({"reason": "错", "hours": 4.5}),
                Some(&admin)
            )
            .await,
            "reverse 4.5 of 4"
        ),
        ["hours"]
    );
    let rest = ledger(
        &app,
        &original,
        "reverse",
        json!({"reason": "该次服务取消"}),
        Some(&admin),
    )
    .await
    .expect(201);
    assert_eq!(rest["hours"], -4.0);
    for hours in [json!(0.5), Value::Null] {
        let mut body = json!({"reason": "错"});
        if !hours.is_null() {
            body["hours"] = hours;
        }
        assert_eq!(
            invalid_fields(
                ledger(&app, &original, "reverse", body, Some(&admin)).await,
                "nothing left"
            ),
            ["hours"]
        );
    }

    // The original is exactly as confirmed; its history tells the story.
    let after = detail(&app, &original).await;
    for field in [
        "id",
        "order_id",
        "volunteer_id",
        "team_id",
        "hours",
        "served_on",
        "state",
        "kind",
        "reverses_id",
        "reason",
        "decided_by",
        "decided_at",
        "created_at",
    ] {
        assert_eq!(after[field], before[field], "original's {field} unchanged");
    }
    assert_eq!(after["hours"], 6.0);
    assert_eq!(after["state"], "confirmed");
    assert_eq!(
        actions(&after),
        ["filed", "confirm", "reversed", "reversed"]
    );
    let history = after["history"].as_array().unwrap();
    assert_eq!(history[0]["from_state"], Value::Null);
    assert_eq!(history[0]["to_state"], "pending");
    assert_eq!(history[0]["actor_role"], "team_leader");
    assert_eq!(history[0]["hours"], 6.0);
    assert_eq!(history[1]["from_state"], "pending");
    assert_eq!(history[1]["to_state"], "confirmed");
    assert_eq!(history[1]["actor_role"], "department_staff");
    assert_eq!(history[1]["actor_id"], after["decided_by"]);
    assert_eq!(history[2]["hours"], -2.0);
    assert_eq!(history[2]["reason"], "志愿者反映多记了2小时");
    assert_eq!(history[2]["actor_role"], "association_admin");
    assert_eq!(history[3]["hours"], -4.0);
    assert_eq!(history[3]["reason"], "该次服务取消");
    for pair in history.windows(2) {
        assert!(
            pair[0]["at"].as_str() <= pair[1]["at"].as_str(),
            "oldest first"
        );
    }
    let reversal = detail(&app, &id(&first)).await;
    assert_eq!(actions(&reversal), ["reverse"]);
    assert_eq!(reversal["history"][0]["reason"], "志愿者反映多记了2小时");
    assert_eq!(reversal["history"][0]["actor_role"], "association_admin");

    // Nothing counts now; the three records are all listed.
    let hours = app.hours_of(&v).await;
    assert_eq!(hours["confirmed_hours"], 0.0);
    assert_eq!(hours["pending_hours"], 0.0);
    assert_eq!(hours["star_level"], 0);
    let mut listed: Vec<f64> = hours["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["hours"].as_f64().unwrap())
        .collect();
    listed.sort_by(f64::total_cmp);
    assert_eq!(listed, [-4.0, -2.0, 6.0]);
    // The department sees the reversal records of its order, too.
    let listed = app
        .get(
            &format!("/api/v1/service-records?order_id={order}"),
            Some(&cast.department),
        )
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn dispute_then_confirm_is_audited_with_who_and_why() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let order = cast
        .complete_with(&app, json!({}), today(), 20, &[(&cast.volunteer, 2.5)])
        .await;
    let rec = id(&app.records_of(&order).await[0]);
    let hours = app.hours_of(&cast.volunteer).await;
    assert_eq!(
        (
            hours["pending_hours"].as_f64(),
            hours["confirmed_hours"].as_f64()
        ),
        (Some(2.5), Some(0.0))
    );
    ledger(
        &app,
        &rec,
        "dispute",
        json!({"reason": "签到表上没有"}),
        Some(&cast.department),
    )
    .await
    .expect(200);
    let hours = app.hours_of(&cast.volunteer).await;
    assert_eq!(hours["pending_hours"], 0.0, "disputed is not pending");
    assert_eq!(hours["confirmed_hours"], 0.0, "disputed does not count");
    assert_eq!(hours["records"][0]["state"], "disputed");
    ledger(&app, &rec, "confirm", json!({}), Some(&admin))
        .await
        .expect(200);
    let hours = app.hours_of(&cast.volunteer).await;
    assert_eq!(hours["pending_hours"], 0.0);
    assert_eq!(hours["confirmed_hours"], 2.5);

    let d = detail(&app, &rec).await;
    assert_eq!(actions(&d), ["filed", "dispute", "confirm"]);
    let h = d["history"].as_array().unwrap();
    assert_eq!(
        (h[1]["from_state"].as_str(), h[1]["to_state"].as_str()),
        (Some("pending"), Some("disputed"))
    );
    assert_eq!(h[1]["reason"], "签到表上没有");
    assert_eq!(h[1]["actor_role"], "department_staff");
    assert_eq!(
        (h[2]["from_state"].as_str(), h[2]["to_state"].as_str()),
        (Some("disputed"), Some("confirmed"))
    );
    assert_eq!(h[2]["actor_role"], "association_admin");
    assert_eq!(h[2]["reason"], Value::Null);
    for e in h {
        assert_eq!(e["hours"], 2.5);
        assert!(e["at"].is_string());
    }
    let me = app.get("/api/v1/me", Some(&admin)).await.expect(200);
    assert_eq!(h[2]["actor_id"], me["id"]);
    assert_eq!(d["decided_by"], me["id"]);
    assert_eq!(
        d["reason"],
        Value::Null,
        "a confirmation clears the dispute"
    );
}

/// Splits `hours` into chunks of at most 24 (one per served day).
fn chunks(hours: f64) -> Vec<f64> {
    let mut left = hours;
    let mut out = Vec::new();
    while left > 0.0 {
        let h = left.min(24.0);
        out.push(h);
        left -= h;
    }
    out
}

#[tokio::test]
async fn star_levels_change_exactly_at_the_default_thresholds_and_pending_never_counts() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (cast, vols) = cast_of_four(&app).await;
    let targets = [99.5, 100.0, 299.5, 300.0];
    let stars = [0, 1, 1, 2];
    let plan: Vec<Vec<f64>> = targets.iter().map(|t| chunks(*t)).collect();
    let days = plan.iter().map(Vec::len).max().unwrap();
    let baseline = app
        .get("/api/v1/stats/volunteers", Some(&admin))
        .await
        .expect(200);
    // One order a day, each crediting every volunteer who still has hours to get.
    for day in 0..days {
        let hours: Vec<(&str, f64)> = vols
            .iter()
            .zip(&plan)
            .filter_map(|(v, p)| p.get(day).map(|h| (v.as_str(), *h)))
            .collect();
        let served_on = today() - Duration::days(i64::try_from(day).unwrap());
        cast.complete_with(&app, json!({}), served_on, 10, &hours)
            .await;
    }
    // Pending: nothing counts anywhere.
    for (v, target) in vols.iter().zip(targets) {
        let h = app.hours_of(v).await;
        assert_eq!(h["pending_hours"], target);
        assert_eq!(h["confirmed_hours"], 0.0);
        assert_eq!(h["star_level"], 0);
    }
    let stats = app
        .get("/api/v1/stats/volunteers", Some(&admin))
        .await
        .expect(200);
    assert_eq!(stats["confirmed_hours"], baseline["confirmed_hours"]);
    assert_eq!(stats["active_this_year"], baseline["active_this_year"]);

    // Confirm everything.
    let pending = app
        .get(
            "/api/v1/service-records?state=pending&limit=200",
            Some(&admin),
        )
        .await
        .expect(200);
    let ids: Vec<String> = pending["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(ids.len(), plan.iter().map(Vec::len).sum::<usize>());
    for r in &ids {
        ledger(&app, r, "confirm", json!({}), Some(&cast.department))
            .await
            .expect(200);
    }
    for ((v, target), level) in vols.iter().zip(targets).zip(stars) {
        let h = app.hours_of(v).await;
        assert_eq!(h["confirmed_hours"], target, "{target}");
        assert_eq!(h["pending_hours"], 0.0);
        assert_eq!(h["star_level"], level, "{target} hours");
    }
    // The volunteer and their leader see the same.
    let me = app
        .user("volunteer", Some(("volunteer_id", &vols[3])))
        .await;
    for token in [&me, &cast.leader] {
        let h = app
            .get(
                &format!("/api/v1/volunteers/{}/hours", vols[3]),
                Some(token),
            )
            .await
            .expect(200);
        assert_eq!(h["star_level"], 2);
        assert_eq!(h["confirmed_hours"], 300.0);
    }
    // A new pending record on top of 99.5 does not lift it to a star.
    cast.complete_with(
        &app,
        json!({}),
        today() - Duration::days(30),
        10,
        &[(&vols[0], 0.5)],
    )
    .await;
    let h = app.hours_of(&vols[0]).await;
    assert_eq!(
        (
            h["confirmed_hours"].as_f64(),
            h["pending_hours"].as_f64(),
            h["star_level"].as_u64()
        ),
        (Some(99.5), Some(0.5), Some(0))
    );
    // Reversing half an hour takes 100 and 300 down a level.
    for (v, level) in [(&vols[1], 0), (&vols[3], 1)] {
        let first = app.hours_of(v).await["records"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ledger(
            &app,
            &first,
            "reverse",
            json!({"reason": "多记半小时", "hours": 0.5}),
            Some(&admin),
        )
        .await
        .expect(201);
        assert_eq!(app.hours_of(v).await["star_level"], level);
    }
    let stats = app
        .get("/api/v1/stats/volunteers", Some(&admin))
        .await
        .expect(200);
    assert_eq!(
        stats["confirmed_hours"].as_f64().unwrap() - baseline["confirmed_hours"].as_f64().unwrap(),
        99.5 + 99.5 + 299.5 + 299.5
    );
}

#[tokio::test]
async fn configured_thresholds_are_used_at_every_level() {
    let app = spawn_app_with(|s| {
        s.star_thresholds = StarThresholds::new([1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
    })
    .await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let v = cast.volunteer.clone();
    let order = cast
        .complete_with(&app, json!({}), today(), 10, &[(&v, 24.0)])
        .await;
    let rec = id(&app.records_of(&order).await[0]);
    assert_eq!(app.hours_of(&v).await["star_level"], 0, "24 pending hours");
    ledger(&app, &rec, "confirm", json!({}), Some(&admin))
        .await
        .expect(200);
    assert_eq!(app.hours_of(&v).await["star_level"], 5);
    // Walk down by reversals: 5.0 → 5 stars, 4.5 → 4, 4.0 → 4, … 0.5 → 0.
    let mut left = 24.0;
    let mut take = 19.0;
    while left > 0.0 {
        ledger(
            &app,
            &rec,
            "reverse",
            json!({"reason": "逐步冲正", "hours": take}),
            Some(&admin),
        )
        .await
        .expect(201);
        left -= take;
        take = 0.5;
        let h = app.hours_of(&v).await;
        assert_eq!(h["confirmed_hours"], left);
        let want = [1.0, 2.0, 3.0, 4.0, 5.0]
            .iter()
            .filter(|t| left >= **t)
            .count();
        assert_eq!(h["star_level"], want, "{left} hours");
    }
}

#[tokio::test]
async fn twenty_concurrent_confirmations_count_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let baseline = app
        .get("/api/v1/stats/volunteers", Some(&admin))
        .await
        .expect(200);
    let order = cast
        .complete_with(&app, json!({}), today(), 10, &[(&cast.volunteer, 7.5)])
        .await;
    let rec = id(&app.records_of(&order).await[0]);
    let replies = join_all((0..20).map(|i| {
        let token = if i % 2 == 0 {
            admin.clone()
        } else {
            cast.department.clone()
        };
        let app = &app;
        let rec = rec.clone();
        async move { ledger(app, &rec, "confirm", json!({}), Some(&token)).await }
    }))
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    for r in replies.iter().filter(|r| r.status == 409) {
        assert_eq!(r.body["current_state"], "confirmed");
    }
    let h = app.hours_of(&cast.volunteer).await;
    assert_eq!(h["confirmed_hours"], 7.5);
    assert_eq!(h["pending_hours"], 0.0);
    assert_eq!(actions(&detail(&app, &rec).await), ["filed", "confirm"]);
    let stats = app
        .get("/api/v1/stats/volunteers", Some(&admin))
        .await
        .expect(200);
    assert_eq!(
        stats["confirmed_hours"].as_f64().unwrap() - baseline["confirmed_hours"].as_f64().unwrap(),
        7.5
    );
    assert_eq!(
        stats["active_this_year"].as_i64().unwrap()
            - baseline["active_this_year"].as_i64().unwrap(),
        1
    );
    let db = app.db().await;
    let drift = kepu_api::service::stats::verify(&db).await.unwrap();
    assert!(drift.is_empty(), "{drift}");
    db.close().await.unwrap();
}

#[tokio::test]
async fn racing_confirmations_and_disputes_have_one_winner() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let order = cast
        .complete_with(&app, json!({}), today(), 10, &[(&cast.volunteer, 3.0)])
        .await;
    let rec = id(&app.records_of(&order).await[0]);
    let replies = join_all((0..10).map(|i| {
        let app = &app;
        let rec = rec.clone();
        let (action, body, token) = if i % 2 == 0 {
            ("confirm", json!({}), admin.clone())
        } else {
            (
                "dispute",
                json!({"reason": "存疑"}),
                cast.department.clone(),
            )
        };
        async move { ledger(app, &rec, action, body, Some(&token)).await }
    }))
    .await;
    let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    // A dispute may win and then be confirmed by a later confirm: at most one of each.
    assert!(
        !won.is_empty() && won.len() <= 2,
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(
        replies.iter().all(|r| r.status == 200 || r.status == 409),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let d = detail(&app, &rec).await;
    let h = app.hours_of(&cast.volunteer).await;
    let confirms = actions(&d).iter().filter(|a| *a == "confirm").count();
    let disputes = actions(&d).iter().filter(|a| *a == "dispute").count();
    assert!(confirms <= 1 && disputes <= 1, "{:?}", actions(&d));
    assert_eq!(confirms + disputes, won.len());
    let counted = if d["state"] == "confirmed" { 3.0 } else { 0.0 };
    assert_eq!(h["confirmed_hours"], counted);
    assert_eq!(h["pending_hours"], 0.0);
    let db = app.db().await;
    let drift = kepu_api::service::stats::verify(&db).await.unwrap();
    assert!(drift.is_empty(), "{drift}");
    db.close().await.unwrap();
}

#[tokio::test]
async fn concurrent_reversals_never_take_back_more_than_was_confirmed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let v = cast.volunteer.clone();
    let order = cast
        .complete_with(&app, json!({}), today(), 10, &[(&v, 8.0)])
        .await;
    let rec = id(&app.records_of(&order).await[0]);
    ledger(&app, &rec, "confirm", json!({}), Some(&admin))
        .await
        .expect(200);

    // Twenty reversals of one hour each: exactly eight fit.
    let replies = join_all((0..20).map(|_| {
        let app = &app;
        let (rec, admin) = (rec.clone(), admin.clone());
        async move {
            ledger(
                app,
                &rec,
                "reverse",
                json!({"reason": "并发冲正", "hours": 1}),
                Some(&admin),
            )
            .await
        }
    }))
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        8,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        12,
        "{statuses:?}"
    );
    let h = app.hours_of(&v).await;
    assert_eq!(h["confirmed_hours"], 0.0);
    let reversed: f64 = h["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "reversal")
        .map(|r| r["hours"].as_f64().unwrap())
        .sum();
    assert_eq!(reversed, -8.0);

    // "Everything that remains", ten times at once on a fresh record: one wins.
    let order = cast
        .complete_with(
            &app,
            json!({}),
            today() - Duration::days(1),
            10,
            &[(&v, 5.0)],
        )
        .await;
    let rec = id(&app.records_of(&order).await[0]);
    ledger(&app, &rec, "confirm", json!({}), Some(&admin))
        .await
        .expect(200);
    let replies = join_all((0..10).map(|_| {
        let app = &app;
        let (rec, admin) = (rec.clone(), admin.clone());
        async move {
            ledger(
                app,
                &rec,
                "reverse",
                json!({"reason": "整单冲正"}),
                Some(&admin),
            )
            .await
        }
    }))
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 422).count(),
        9,
        "{statuses:?}"
    );
    assert_eq!(app.hours_of(&v).await["confirmed_hours"], 0.0);
    assert_eq!(
        actions(&detail(&app, &rec).await),
        ["filed", "confirm", "reversed"]
    );
    let db = app.db().await;
    let drift = kepu_api::service::stats::verify(&db).await.unwrap();
    assert!(drift.is_empty(), "{drift}");
    db.close().await.unwrap();
}

/// A volunteer's hours on one served date never pass 24, and a disputed record confirmed
/// later is no exception: confirming it must not push the day over 24 confirmed hours.
#[tokio::test]
async fn confirming_a_disputed_record_keeps_the_day_within_24_hours() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let v = cast.volunteer.clone();
    let day = today() - Duration::days(2);
    let first = cast
        .complete_with(&app, json!({}), day, 10, &[(&v, 20.0)])
        .await;
    let first = id(&app.records_of(&first).await[0]);
    ledger(
        &app,
        &first,
        "dispute",
        json!({"reason": "时长存疑"}),
        Some(&admin),
    )
    .await
    .expect(200);
    // With the first disputed, another 20 hours that day are accepted.
    let second = cast
        .complete_with(&app, json!({}), day, 10, &[(&v, 20.0)])
        .await;
    let second = id(&app.records_of(&second).await[0]);
    ledger(&app, &second, "confirm", json!({}), Some(&admin))
        .await
        .expect(200);
    let reply = ledger(&app, &first, "confirm", json!({}), Some(&admin)).await;
    let confirmed = app.hours_of(&v).await["confirmed_hours"].as_f64().unwrap();
    assert!(
        confirmed <= 24.0,
        "confirming the disputed record answered {} and left {confirmed} confirmed hours on {day}",
        reply.status
    );
    assert!(
        reply.status == 409 || reply.status == 422,
        "{} {}",
        reply.status,
        reply.body
    );
}

/// The daily cap holds under racing completions too: eight orders completed at once, each
/// crediting the same volunteer 20 hours on the same day, may file at most one of them.
#[tokio::test]
async fn racing_completions_never_credit_more_than_24_hours_a_day() {
    let app = spawn_app().await;
    let cast = Cast::new(&app).await;
    let v = cast.volunteer.clone();
    let day = today() - Duration::days(3);
    let mut orders = Vec::new();
    for _ in 0..8 {
        orders.push(cast.claimed_with(&app, json!({})).await);
    }
    let body = json!({"served_on": day.to_string(), "attendees": 10, "summary": "同一天",
        "hours": [{"volunteer_id": v, "hours": 20}]});
    let replies = join_all(
        orders
            .iter()
            .map(|o| app.act(o, "complete", body.clone(), &cast.leader)),
    )
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    let filed = app.hours_of(&v).await["pending_hours"].as_f64().unwrap();
    assert!(
        filed <= 24.0,
        "{filed} hours filed for one day; completions answered {statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn hours_of_an_order_cancelled_after_completion_can_be_disputed_not_confirmed() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let order = cast
        .complete_with(&app, json!({}), today(), 30, &[(&cast.volunteer, 3.0)])
        .await;
    let rec = id(&app.records_of(&order).await[0]);
    app.post(
        &format!("/api/v1/orders/{order}/cancel"),
        &json!({"reason": "重复登记的活动"}),
        Some(&admin),
    )
    .await
    .expect(200);

    let refused = ledger(&app, &rec, "confirm", json!({}), Some(&cast.department)).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.body["code"], "service_record.order_cancelled");
    assert_eq!(refused.body["current_state"], "pending");
    assert_eq!(app.hours_of(&cast.volunteer).await["confirmed_hours"], 0.0);

    ledger(
        &app,
        &rec,
        "dispute",
        json!({"reason": "活动已取消"}),
        Some(&cast.department),
    )
    .await
    .expect(200);
    // The cancelled session left the completed-order counters in the cancel's transaction.
    let db = app.db().await;
    let drift = kepu_api::service::stats::verify(&db).await.unwrap();
    assert!(drift.is_empty(), "{drift}");
    db.close().await.unwrap();
}
