//! The association's review queue in the console (`/console/volunteers`): bulk approval,
//! rejection and suspension with a required reason, each checked through the API, and the
//! dashboard's count moving with them.

use crate::console::{account, signed_in};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

/// The dashboard's approved count.
async fn approved_on_dashboard(b: &mut Browser<'_>) -> String {
    let page = b.get("/console/dashboard").await;
    let marker = "id=\"approved\">";
    let start = page.html.find(marker).unwrap() + marker.len();
    let end = page.html[start..].find('<').unwrap() + start;
    page.html[start..end].to_owned()
}

async fn state_of(app: &TestApp, id: &str) -> String {
    let list = app
        .get("/api/v1/volunteers?limit=200", Some(&app.admin().await))
        .await
        .expect(200);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .map(|v| v["state"].as_str().unwrap().to_owned())
        .unwrap()
}

#[tokio::test]
async fn the_association_approves_in_bulk_and_rejects_and_suspends_with_a_reason() {
    let app = spawn_app().await;
    let id_number = id_number("15062719900307001");
    let first = app
        .post(
            "/api/v1/volunteers",
            &json!({"real_name": "乌云", "phone": "13700001111", "township": "xini",
                "id_number": id_number, "skills": "兽医", "password": "password-123"}),
            None,
        )
        .await
        .expect(201);
    let first = first["id"].as_str().unwrap().to_owned();
    let (second, _) = app.register_in("balagong").await;
    let (third, _) = app.register_in("yiheusu").await;
    let mut b = signed_in(&app, "admin", ADMIN_PASSWORD).await;
    assert_eq!(approved_on_dashboard(&mut b).await, "0");

    // What each applicant entered, the ID number masked as the API masks it.
    let queue = b.get("/console/volunteers").await;
    assert_eq!(queue.status, StatusCode::OK);
    for id in [&first, &second, &third] {
        assert!(queue.html.contains(&format!("value=\"{id}\"")));
    }
    assert!(queue.html.contains("乌云") && queue.html.contains("兽医"));
    assert!(
        !queue.html.contains(&id_number),
        "the full ID number never shows"
    );
    let masked = kepu_domain::value::mask_id_number(&id_number);
    assert!(queue.html.contains(&masked), "{masked}");
    let csrf = queue.input("csrf");

    // Without the form token nothing happens.
    let forged = b
        .post(
            "/console/volunteers/approve",
            &[("volunteer", &first), ("state", "pending")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(state_of(&app, &first).await, "pending");

    // Two approved at once.
    let done = b
        .post(
            "/console/volunteers/approve",
            &[
                ("csrf", &csrf),
                ("state", "pending"),
                ("volunteer", &first),
                ("volunteer", &second),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.location(),
        "/console/volunteers?state=pending&done=2-0"
    );
    assert_eq!(state_of(&app, &first).await, "approved");
    assert_eq!(state_of(&app, &second).await, "approved");
    assert_eq!(approved_on_dashboard(&mut b).await, "2");
    let after = b.get(&done.location()).await;
    assert!(after.html.contains("id=\"notice\""));
    assert!(!after.html.contains(&format!("value=\"{first}\"")));

    // A rejection needs a reason: refused beside the row, nothing changed.
    let path = format!("/console/volunteers/{third}/reject");
    let refused = b.post(&path, &[("csrf", &csrf), ("reason", "  ")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!refused.error(&format!("reason-{third}")).is_empty());
    assert_eq!(state_of(&app, &third).await, "pending");
    let rejected = b
        .post(&path, &[("csrf", &csrf), ("reason", "手机号无法联系")])
        .await;
    assert_eq!(rejected.status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, &third).await, "rejected");
    let list = b.get("/console/volunteers?state=rejected").await;
    assert!(list.html.contains("手机号无法联系"));
    assert_eq!(approved_on_dashboard(&mut b).await, "2");

    // Suspending an approved volunteer also needs a reason, and the count moves back.
    let path = format!("/console/volunteers/{second}/suspend");
    let refused = b.post(&path, &[("csrf", &csrf)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(state_of(&app, &second).await, "approved");
    let suspended = b
        .post(&path, &[("csrf", &csrf), ("reason", "长期未参加活动")])
        .await;
    assert_eq!(suspended.status, StatusCode::SEE_OTHER);
    assert_eq!(state_of(&app, &second).await, "suspended");
    assert_eq!(approved_on_dashboard(&mut b).await, "1");
    // Rejecting one who is no longer pending changes nothing and says so.
    let again = b
        .post(
            &format!("/console/volunteers/{first}/reject"),
            &[("csrf", &csrf), ("reason", "重复")],
        )
        .await;
    assert_eq!(
        again.location(),
        "/console/volunteers?state=pending&done=0-1"
    );
    assert_eq!(state_of(&app, &first).await, "approved");
    // Reinstating from the suspended list.
    let back = b
        .post(
            "/console/volunteers/approve",
            &[
                ("csrf", &csrf),
                ("state", "suspended"),
                ("volunteer", &second),
            ],
        )
        .await;
    assert_eq!(
        back.location(),
        "/console/volunteers?state=suspended&done=1-0"
    );
    assert_eq!(approved_on_dashboard(&mut b).await, "2");
    let none = b
        .post(
            "/console/volunteers/approve",
            &[("csrf", &csrf), ("state", "pending")],
        )
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    for bad in [
        "/console/volunteers/not-an-id/reject",
        &format!("/console/volunteers/{first}/delete"),
    ] {
        let page = b.post(bad, &[("csrf", &csrf), ("reason", "x")]).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{bad}");
    }
}

#[tokio::test]
async fn only_the_association_reviews_volunteers() {
    let app = spawn_app().await;
    let (pending, _) = app.register_in("xini").await;
    let station_id = app.xini_station().await;
    let (station, _) = account(&app, "station_staff", Some(("station_id", &station_id))).await;
    let mut s = signed_in(&app, &station, "password-123").await;
    let page = s.get("/console/orders").await;
    let csrf = page.input("csrf");
    assert_eq!(
        s.get("/console/volunteers").await.status,
        StatusCode::FORBIDDEN
    );
    let post = s
        .post(
            "/console/volunteers/approve",
            &[("csrf", &csrf), ("volunteer", &pending)],
        )
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
    let post = s
        .post(
            &format!("/console/volunteers/{pending}/reject"),
            &[("csrf", &csrf), ("reason", "不行")],
        )
        .await;
    assert_eq!(post.status, StatusCode::FORBIDDEN);
    assert_eq!(state_of(&app, &pending).await, "pending");
}
