//! Service certificates (issue 3): who may print one, what it certifies (confirmed hours in the
//! period only, reversals deducted, the star level from all confirmed hours), that asking again
//! gives the same certificate, and the public `/verify/{code}` page, in HTML and JSON, showing
//! no phone or ID number.

use crate::helpers::*;
use chrono::Duration;
use kepu_domain::volunteer::StarThresholds;
use serde_json::json;

const ISSUER: &str = "杭锦旗科学技术协会";
const NAME: &str = "其其格";
const PHONE: &str = "13698761234";

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {text}"))
        + start.len();
    let len = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end} after {start}"));
    &text[from..from + len]
}

/// The verification code and the certificate number on a page.
fn code_and_number(page: &str) -> (String, String) {
    let code = between(page, "验证码：<span class=\"code\">", "<").to_owned();
    let number = between(page, "<dt>证书编号</dt><dd>", "<").to_owned();
    let groups: Vec<&str> = code.split('-').collect();
    assert!(
        groups.len() == 4
            && groups
                .iter()
                .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit())),
        "a code of four groups of four hex digits: {code}"
    );
    assert!(
        number.starts_with("KP") && number.len() == 23 && number.as_bytes()[10] == b'-',
        "a number KPyyyymmdd-serial: {number}"
    );
    (code, number)
}

/// The page shows no personal number, raw or masked.
#[track_caller]
fn no_personal_numbers(page: &str, id: &str, what: &str) {
    for secret in [
        PHONE.to_owned(),
        format!("{}****{}", &PHONE[..3], &PHONE[7..]),
        id.to_owned(),
        format!("{}********{}", &id[..6], &id[14..]),
        id[6..14].to_owned(),
    ] {
        assert!(!page.contains(&secret), "{what} shows {secret}");
    }
}

#[tokio::test]
async fn a_certificate_shows_confirmed_hours_in_its_period_and_its_code_verifies_publicly() {
    // One star from 5 confirmed hours, so the star level (from all hours) differs from what
    // the period alone would give.
    let app = spawn_app_with(|s| {
        s.star_thresholds = StarThresholds::new([5.0, 20.0, 30.0, 40.0, 50.0]).unwrap();
    })
    .await;
    let admin = app.admin().await;
    let cast = Cast::new(&app).await;
    let id = id_number("15062519850615201");
    let v = app.member_with(&cast.team_id, NAME, PHONE, Some(&id)).await;
    let day = today();
    let days = |n: i64| day - Duration::days(n);
    // In the period: 3 h confirmed, 2 h confirmed with 0.5 h reversed, 4 h pending.
    // Before it: 5 h confirmed.
    let mut confirm = Vec::new();
    for (served, hours) in [(days(10), 3.0), (days(3), 2.0), (days(40), 5.0)] {
        let order = cast
            .complete_with(&app, json!({}), served, 10, &[(&v, hours)])
            .await;
        let rec = service_record_of(&app.records_of(&order).await, &v);
        app.ledger_as_admin(&rec, "confirm", json!({}), 200).await;
        confirm.push(rec);
    }
    app.ledger_as_admin(
        &confirm[1],
        "reverse",
        json!({"reason": "多记了半小时", "hours": 0.5}),
        201,
    )
    .await;
    cast.complete_with(&app, json!({}), days(1), 10, &[(&v, 4.0)])
        .await;
    assert_eq!(app.hours_of(&v).await["confirmed_hours"], 9.5);

    let own = app.user("volunteer", Some(("volunteer_id", &v))).await;
    let other_volunteer = app
        .user("volunteer", Some(("volunteer_id", &cast.volunteer)))
        .await;
    let (_, other_leader) = app.team().await;
    let (from, to) = (days(20), day);
    let path = format!("/api/v1/volunteers/{v}/certificate?from={from}&to={to}");

    // Who may open it.
    let reply = app.get_raw(&path, None, None).await;
    assert_eq!(reply.status, 401, "anonymous");
    for (who, token, status) in [
        ("station staff", &cast.station, 403),
        ("department staff", &cast.department, 403),
        ("another team's leader", &other_leader, 404),
        ("another volunteer", &other_volunteer, 404),
    ] {
        let reply = app.get_raw(&path, Some(token), None).await;
        assert_eq!(reply.status, status, "{who}: {}", reply.text());
        no_personal_numbers(&reply.text(), &id, who);
    }
    let unknown = "/api/v1/volunteers/0190a5f0-0000-7000-8000-000000000000/certificate";
    assert_eq!(app.get_raw(unknown, Some(&admin), None).await.status, 404);

    // Bad periods, every bad field named.
    let swapped = format!("from={to}&to={from}");
    for (query, fields) in [
        ("from=2026-13-01&to=yesterday", vec!["from", "to"]),
        ("from=2026-02-30", vec!["from"]),
        (swapped.as_str(), vec!["to"]),
    ] {
        let reply = app
            .get(
                &format!("/api/v1/volunteers/{v}/certificate?{query}"),
                Some(&own),
            )
            .await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
        let mut got: Vec<&str> = reply.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, fields, "{query}");
    }

    // The volunteer, their leader and the association get the same certificate.
    let mut seen = Vec::new();
    for (who, token) in [
        ("the volunteer", &own),
        ("their team leader", &cast.leader),
        ("the association", &admin),
        ("the volunteer again", &own),
    ] {
        let reply = app.get_raw(&path, Some(token), None).await;
        assert_eq!(reply.status, 200, "{who}: {}", reply.text());
        assert_eq!(reply.header("content-type"), "text/html; charset=utf-8");
        assert!(
            reply
                .header("content-security-policy")
                .contains("default-src 'none'"),
            "{who}: a CSP"
        );
        let page = reply.text();
        assert!(page.contains("志愿服务证明"), "{who}");
        assert!(page.contains(NAME), "{who}: the name");
        assert!(page.contains("锡尼镇"), "{who}: the township");
        assert!(
            page.contains("<strong>4.5</strong> 小时"),
            "{who}: 3 + 2 − 0.5 hours in the period, not the pending 4 or the earlier 5: {page}"
        );
        assert!(!page.contains("9.5"), "{who}: not all hours");
        assert!(page.contains("★（1星）"), "{who}: the star level of 9.5 h");
        assert!(page.contains(ISSUER), "{who}: the issuer");
        assert!(
            page.contains(&from.format("%Y年%m月%d日").to_string()),
            "{who}: the period"
        );
        no_personal_numbers(&page, &id, who);
        seen.push(code_and_number(&page));
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "the same period and figures give the same certificate: {seen:?}"
    );
    let (code, number) = seen[0].clone();

    // Every hour ever confirmed, without a period.
    let reply = app
        .get_raw(
            &format!("/api/v1/volunteers/{v}/certificate"),
            Some(&own),
            None,
        )
        .await;
    assert_eq!(reply.status, 200);
    let whole = reply.text();
    assert!(whole.contains("<strong>9.5</strong> 小时"), "{whole}");
    let (whole_code, _) = code_and_number(&whole);
    assert_ne!(whole_code, code, "another period, another certificate");

    // The public check, in HTML.
    let reply = app.get_raw(&format!("/verify/{code}"), None, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply
            .header("content-security-policy")
            .contains("default-src 'none'")
    );
    let page = reply.text();
    assert!(page.contains("真实有效"), "{page}");
    // Public answers never carry a name: the verifier compares number, period and hours.
    assert!(!page.contains(NAME), "{page}");
    for fact in ["锡尼镇", "4.5 小时", "★（1星）", ISSUER, number.as_str()] {
        assert!(page.contains(fact), "the check shows {fact}: {page}");
    }
    no_personal_numbers(&page, &id, "/verify");

    // In JSON, and as typed by hand.
    let typed = code.to_lowercase().replace('-', "%20");
    for c in [code.clone(), typed, code.replace('-', "")] {
        let reply = app
            .get_raw(&format!("/verify/{c}"), None, Some("application/json"))
            .await;
        assert_eq!(reply.status, 200, "{c}: {}", reply.text());
        let body = reply.json();
        assert_eq!(body["genuine"], true, "{c}");
        assert_eq!(body["confirmed_hours"], 4.5, "{c}");
        assert_eq!(body["star_level"], 1, "{c}");
        assert_eq!(body["number"], number.as_str(), "{c}");
        assert!(body.get("volunteer_name").is_none(), "{c}: {body}");
        assert!(!body.to_string().contains(NAME), "{c}: {body}");
        assert_eq!(body["issuer"], ISSUER, "{c}");
        assert_eq!(body["period_from"], from.to_string(), "{c}");
        assert_eq!(body["period_to"], to.to_string(), "{c}");
        no_personal_numbers(&body.to_string(), &id, "/verify JSON");
    }

    // Unknown and malformed codes.
    for bad in ["0000-0000-0000-0000", "not-a-code", "ABCD-EF12"] {
        let reply = app.get_raw(&format!("/verify/{bad}"), None, None).await;
        assert_eq!(reply.status, 404, "{bad}");
        assert!(reply.text().contains("未找到"), "{bad}: says so");
        let reply = app
            .get_raw(&format!("/verify/{bad}"), None, Some("application/json"))
            .await;
        assert_eq!(reply.status, 404, "{bad}");
        assert_eq!(reply.json(), json!({"genuine": false}), "{bad}");
    }

    // A later correction makes a new certificate; the old code still tells what it certified.
    app.ledger_as_admin(
        &confirm[0],
        "reverse",
        json!({"reason": "活动提前结束", "hours": 1.0}),
        201,
    )
    .await;
    let reply = app.get_raw(&path, Some(&own), None).await;
    let page = reply.text();
    assert!(page.contains("<strong>3.5</strong> 小时"), "{page}");
    let (new_code, new_number) = code_and_number(&page);
    assert_ne!((&new_code, &new_number), (&code, &number));
    let old = app
        .get_raw(&format!("/verify/{code}"), None, Some("application/json"))
        .await;
    assert_eq!(old.json()["confirmed_hours"], 4.5);
}

#[tokio::test]
async fn the_issue_date_on_a_certificate_is_the_deployments_date() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (v, _) = app.register_in("xini").await;
    app.post(
        &format!("/api/v1/volunteers/{v}/approve"),
        &json!({}),
        Some(&admin),
    )
    .await
    .expect(200);
    // Move the server's clock to 01:30 in Beijing, when the UTC date is still yesterday's.
    let now = chrono::Utc::now().with_timezone(&chrono_tz_shanghai());
    let target = now.date_naive().and_hms_opt(1, 30, 0).unwrap() + Duration::days(1);
    let offset = target - now.naive_local();
    app.clock.advance(offset);
    let served = app.state.today();
    assert_eq!(served, target.date(), "the server's day in Beijing");
    assert_eq!(
        app.state.now().date_naive(),
        served - Duration::days(1),
        "UTC is still on the day before"
    );
    let reply = app
        .get_raw(
            &format!("/api/v1/volunteers/{v}/certificate"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let page = reply.text();
    let (_, number) = code_and_number(&page);
    let issued = served.format("%Y年%m月%d日").to_string();
    assert_eq!(
        &number[2..10],
        served.format("%Y%m%d").to_string(),
        "the number carries the day of issue"
    );
    assert_eq!(
        between(&page, "<dt>签发日期</dt><dd>", "<"),
        issued,
        "the issue date is the day in the deployment's time zone, as in the number {number}"
    );
    assert!(
        between(&page, "<p class=\"sign\">", "</p>").ends_with(&issued),
        "the signature's date too"
    );
}
