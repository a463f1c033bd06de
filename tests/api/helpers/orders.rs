//! Orders and the actors of their life: submitting, taking actions, and [`Cast`], which drives
//! an order to any state.

use super::{Reply, TestApp, today};
use reqwest::Method;
use serde_json::{Value, json};

impl TestApp {
    /// A valid submit body.
    pub fn order_body() -> Value {
        json!({
            "theme": "farming_herding",
            "description": "请来讲讲羊的疫苗接种",
            "township": "xini",
            "contact_name": "巴特尔",
            "contact_phone": "13812345678",
            "target_group": "farmers_herders",
            "expected_attendees": 30
        })
    }

    /// Submits a valid order; returns the 201 body (with `resident_token`).
    pub async fn submit(&self) -> Value {
        self.post("/api/v1/orders", &Self::order_body(), None)
            .await
            .expect(201)
    }

    /// Takes `action` on order `id` with `body` as bearer `token`.
    pub async fn act(&self, id: &str, action: &str, body: Value, token: &str) -> Reply {
        self.post(&format!("/api/v1/orders/{id}/{action}"), &body, Some(token))
            .await
    }

    /// Takes an action as the resident.
    pub async fn act_as_resident(
        &self,
        id: &str,
        action: &str,
        body: Value,
        resident_token: &str,
    ) -> Reply {
        self.request(
            Method::POST,
            &format!("/api/v1/orders/{id}/{action}"),
            Some(&body),
            Some(&format!("Resident {resident_token}")),
        )
        .await
    }
}

/// The actors of one order's life, ready to act.
pub struct Cast {
    /// Station staff of the order's station.
    pub station: String,
    /// Department staff of 农牧局.
    pub department: String,
    /// The department's id.
    pub department_id: String,
    /// A team and its leader.
    pub team_id: String,
    /// The team's leader.
    pub leader: String,
    /// An approved member of the team.
    pub volunteer: String,
}

impl Cast {
    /// Creates the accounts for one order's life.
    pub async fn new(app: &TestApp) -> Self {
        let station_id = app.xini_station().await;
        let department_id = app.nongmu().await;
        let station = app
            .user("station_staff", Some(("station_id", &station_id)))
            .await;
        let department = app
            .user("department_staff", Some(("department_id", &department_id)))
            .await;
        let (team_id, leader) = app.team().await;
        let volunteer = app.member(&team_id).await;
        Self {
            station,
            department,
            department_id,
            team_id,
            leader,
            volunteer,
        }
    }

    /// Drives a new order to `state` and returns (order id, resident token).
    pub async fn order_in(&self, app: &TestApp, state: &str) -> (String, String) {
        let order = app.submit().await;
        let id = order["id"].as_str().expect("id").to_owned();
        let resident = order["resident_token"].as_str().expect("token").to_owned();
        let steps: &[&str] = match state {
            "submitted" => &[],
            "dispatched" => &["dispatch"],
            "accepted" => &["dispatch", "accept"],
            "claimed" => &["dispatch", "accept", "claim"],
            "completed" => &["dispatch", "accept", "claim", "complete"],
            "closed" => &["dispatch", "accept", "claim", "complete", "rate"],
            "rejected" => &["reject"],
            "cancelled" => &["cancel"],
            other => panic!("unknown state {other}"),
        };
        for action in steps {
            let reply = match *action {
                "dispatch" => {
                    app.act(
                        &id,
                        "dispatch",
                        json!({"department_id": self.department_id}),
                        &self.station,
                    )
                    .await
                }
                "accept" => app.act(&id, "accept", json!({}), &self.department).await,
                "claim" => app.act(&id, "claim", json!({}), &self.leader).await,
                "complete" => {
                    app.act(&id, "complete", self.completion(), &self.leader)
                        .await
                }
                "rate" => {
                    app.act_as_resident(&id, "rate", json!({"score": 5}), &resident)
                        .await
                }
                "reject" => {
                    app.act(&id, "reject", json!({"reason": "重复"}), &self.station)
                        .await
                }
                "cancel" => {
                    app.act(&id, "cancel", json!({"reason": "不需要了"}), &self.station)
                        .await
                }
                _ => unreachable!(),
            };
            reply.expect(200);
        }
        (id, resident)
    }

    /// A valid `complete` body crediting the team's volunteer.
    pub fn completion(&self) -> Value {
        json!({"served_on": today().to_string(), "attendees": 25, "summary": "讲解了疫苗接种", "hours": [{"volunteer_id": self.volunteer, "hours": 0.5}]})
    }

    /// Submits an order (`overrides` replace fields of [`TestApp::order_body`]), drives it to
    /// `completed` with the association dispatching to the cast's department, and files `hours`
    /// (volunteer id, hours) served on `served_on`. Returns the order id.
    pub async fn complete_with(
        &self,
        app: &TestApp,
        overrides: Value,
        served_on: chrono::NaiveDate,
        attendees: u32,
        hours: &[(&str, f64)],
    ) -> String {
        let id = self.claimed_with(app, overrides).await;
        let hours: Vec<Value> = hours
            .iter()
            .map(|(v, h)| json!({"volunteer_id": v, "hours": h}))
            .collect();
        app.act(
            &id,
            "complete",
            json!({"served_on": served_on.to_string(), "attendees": attendees, "summary": "服务完成", "hours": hours}),
            &self.leader,
        )
        .await
        .expect(200);
        id
    }

    /// Submits an order (`overrides` replace fields of [`TestApp::order_body`]) and drives it
    /// to `claimed` by the cast's team; the association dispatches, so any township works.
    pub async fn claimed_with(&self, app: &TestApp, overrides: Value) -> String {
        let admin = app.admin().await;
        let mut body = TestApp::order_body();
        let fields = body.as_object_mut().expect("the submit body is an object");
        for (k, v) in overrides.as_object().expect("overrides are a JSON object") {
            fields.insert(k.clone(), v.clone());
        }
        let order = app.post("/api/v1/orders", &body, None).await.expect(201);
        let id = order["id"].as_str().expect("id").to_owned();
        app.act(
            &id,
            "dispatch",
            json!({"department_id": self.department_id}),
            &admin,
        )
        .await
        .expect(200);
        app.act(&id, "accept", json!({}), &self.department)
            .await
            .expect(200);
        app.act(&id, "claim", json!({}), &self.leader)
            .await
            .expect(200);
        id
    }
}
