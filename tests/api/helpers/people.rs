//! The people of a test: signing in, accounts of each role, teams and their volunteers, and the
//! reference data (stations, departments) their scopes point at.

use super::{ADMIN_PASSWORD, TestApp};
use serde_json::{Value, json};

impl TestApp {
    /// Signs in and returns the access token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let body = self
            .post(
                "/api/v1/auth/login",
                &json!({"username": username, "password": password}),
                None,
            )
            .await
            .expect(200);
        body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// The association admin's token.
    pub async fn admin(&self) -> String {
        self.admin_token
            .get_or_init(|| self.login("admin", ADMIN_PASSWORD))
            .await
            .clone()
    }

    /// Creates an account with `role` and scope field → id, returns its token.
    pub async fn user(&self, role: &str, scope: Option<(&str, &str)>) -> String {
        let username = format!("{role}{}", self.next());
        let mut body = json!({"username": username, "password": "password-123", "role": role, "display_name": "测试用户"});
        if let Some((field, id)) = scope {
            body[field] = json!(id);
        }
        self.post("/api/v1/users", &body, Some(&self.admin().await))
            .await
            .expect(201);
        self.login(&username, "password-123").await
    }

    /// The id of the first item of a reference list whose `field` equals `value`.
    pub async fn find_id(&self, list: &str, field: &str, value: &str) -> String {
        let body = self.get(&format!("/api/v1/{list}"), None).await.expect(200);
        body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|i| i[field] == value))
            .and_then(|i| i["id"].as_str())
            .unwrap_or_else(|| panic!("no {list} with {field} = {value}"))
            .to_owned()
    }

    /// The station covering township `xini` in the default data.
    pub async fn xini_station(&self) -> String {
        let body = self.get("/api/v1/stations", None).await.expect(200);
        body["items"]
            .as_array()
            .and_then(|items| {
                items.iter().find(|s| {
                    s["township_codes"]
                        .as_array()
                        .is_some_and(|t| t.contains(&json!("xini")))
                })
            })
            .and_then(|s| s["id"].as_str())
            .expect("xini station")
            .to_owned()
    }

    /// The 农牧局 department id.
    pub async fn nongmu(&self) -> String {
        self.find_id("departments", "code", "nongmu").await
    }

    /// A new team with a leader; returns (team id, leader token).
    pub async fn team(&self) -> (String, String) {
        let admin = self.admin().await;
        let team = self
            .post(
                "/api/v1/teams",
                &json!({"name": format!("科技志愿服务队{}", self.next())}),
                Some(&admin),
            )
            .await
            .expect(201);
        let id = team["id"].as_str().expect("team id").to_owned();
        let leader = self.user("team_leader", Some(("team_id", &id))).await;
        (id, leader)
    }

    /// Registers a volunteer in `township` (not yet reviewed); returns (id, phone). The phone
    /// signs in with `password-123`.
    pub async fn register_in(&self, township: &str) -> (String, String) {
        let phone = format!("137{:08}", self.next());
        let id = self
            .register(json!({"real_name": "志愿者", "phone": phone, "township": township}))
            .await;
        (id, phone)
    }

    /// Registers, approves and adds a volunteer to `team`; returns the volunteer id.
    pub async fn member(&self, team: &str) -> String {
        let phone = format!("139{:08}", self.next());
        self.member_with(team, "志愿者", &phone, None).await
    }

    /// Registers a volunteer with this name, phone and optional ID number in `xini`, approves
    /// them and adds them to `team`; returns the volunteer id.
    pub async fn member_with(
        &self,
        team: &str,
        real_name: &str,
        phone: &str,
        id_number: Option<&str>,
    ) -> String {
        let mut body = json!({"real_name": real_name, "phone": phone, "township": "xini"});
        if let Some(n) = id_number {
            body["id_number"] = json!(n);
        }
        let id = self.register(body).await;
        let admin = self.admin().await;
        self.post(
            &format!("/api/v1/volunteers/{id}/approve"),
            &json!({}),
            Some(&admin),
        )
        .await
        .expect(200);
        self.post(
            &format!("/api/v1/teams/{team}/members"),
            &json!({"volunteer_id": id}),
            Some(&admin),
        )
        .await
        .expect(201);
        id
    }

    /// Registers a volunteer from `body` with the password `password-123`; returns the id.
    async fn register(&self, mut body: Value) -> String {
        body["password"] = json!("password-123");
        let v = self
            .post("/api/v1/volunteers", &body, None)
            .await
            .expect(201);
        v["id"].as_str().expect("volunteer id").to_owned()
    }
}

/// A valid 18-character ID number: `first17` digits and their ISO 7064 MOD 11-2 check digit.
pub fn id_number(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    assert_eq!(first17.len(), 17, "seventeen digits");
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{first17}{}", char::from(CHECK[(sum % 11) as usize]))
}
