//! The load: the cast set up through the API, one whole lifecycle, and the claim race.

use anyhow::{Context, bail};
use futures::future::join_all;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

use super::{ADMIN_PASSWORD, PASSWORD};

/// One JSON call; anything but `expect` is an error with the body.
async fn call(
    client: &Client,
    method: reqwest::Method,
    url: String,
    auth: Option<&str>,
    body: Option<&Value>,
    expect: StatusCode,
) -> anyhow::Result<Value> {
    let mut req = client.request(method, &url);
    if let Some(auth) = auth {
        req = req.header("Authorization", auth);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await?;
    let status = res.status();
    let text = res.text().await?;
    if status != expect {
        bail!("{url} answered {status}, expected {expect}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Who acts in the load.
pub(super) struct Cast {
    station: String,
    department: String,
    department_id: String,
    /// `(team id, leader's bearer, member's volunteer id)`.
    teams: Vec<(String, String, String)>,
}

async fn login(
    client: &Client,
    base: &str,
    username: &str,
    password: &str,
) -> anyhow::Result<String> {
    let reply = call(
        client,
        reqwest::Method::POST,
        format!("{base}/api/v1/auth/login"),
        None,
        Some(&json!({"username": username, "password": password})),
        StatusCode::OK,
    )
    .await?;
    Ok(format!(
        "Bearer {}",
        reply["access_token"].as_str().context("no access token")?
    ))
}

pub(super) async fn setup(client: &Client, base: &str, teams: usize) -> anyhow::Result<Cast> {
    use reqwest::Method;
    let admin = login(client, base, "admin", ADMIN_PASSWORD).await?;
    let post = |path: &str, body: Value, expect: StatusCode| {
        let admin = admin.clone();
        let url = format!("{base}{path}");
        async move { call(client, Method::POST, url, Some(&admin), Some(&body), expect).await }
    };
    let stations = call(
        client,
        Method::GET,
        format!("{base}/api/v1/stations"),
        None,
        None,
        StatusCode::OK,
    )
    .await?;
    let station_id = stations["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["township_codes"] == json!(["xini"]))
        .and_then(|s| s["id"].as_str())
        .context("no station of xini")?
        .to_owned();
    let departments = call(
        client,
        Method::GET,
        format!("{base}/api/v1/departments"),
        None,
        None,
        StatusCode::OK,
    )
    .await?;
    let department_id = departments["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["code"] == "nongmu")
        .and_then(|d| d["id"].as_str())
        .context("no department nongmu")?
        .to_owned();
    post("/api/v1/users", json!({"username": "bench-station", "password": PASSWORD, "role": "station_staff", "display_name": "站", "station_id": station_id}), StatusCode::CREATED).await?;
    post("/api/v1/users", json!({"username": "bench-department", "password": PASSWORD, "role": "department_staff", "display_name": "部门", "department_id": department_id}), StatusCode::CREATED).await?;
    let mut cast = Cast {
        station: login(client, base, "bench-station", PASSWORD).await?,
        department: login(client, base, "bench-department", PASSWORD).await?,
        department_id,
        teams: Vec::with_capacity(teams),
    };
    for t in 0..teams {
        let team = post(
            "/api/v1/teams",
            json!({"name": format!("服务队{t}"), "theme_codes": ["farming_herding"]}),
            StatusCode::CREATED,
        )
        .await?;
        let team_id = team["id"].as_str().context("team id")?.to_owned();
        let leader = format!("bench-leader-{t}");
        post("/api/v1/users", json!({"username": leader, "password": PASSWORD, "role": "team_leader", "display_name": "队长", "team_id": team_id}), StatusCode::CREATED).await?;
        let volunteer = call(
            client,
            Method::POST,
            format!("{base}/api/v1/volunteers"),
            None,
            Some(&json!({"real_name": "志愿者", "phone": format!("139{t:08}"), "township": "xini", "password": PASSWORD})),
            StatusCode::CREATED,
        )
        .await?;
        let volunteer_id = volunteer["id"].as_str().context("volunteer id")?.to_owned();
        post(
            &format!("/api/v1/volunteers/{volunteer_id}/approve"),
            json!({}),
            StatusCode::OK,
        )
        .await?;
        post(
            &format!("/api/v1/teams/{team_id}/members"),
            json!({"volunteer_id": volunteer_id}),
            StatusCode::CREATED,
        )
        .await?;
        let leader = login(client, base, &leader, PASSWORD).await?;
        cast.teams.push((team_id, leader, volunteer_id));
    }
    Ok(cast)
}

fn order_body() -> Value {
    json!({
        "theme": "farming_herding",
        "description": "请来讲讲羊的疫苗接种",
        "township": "xini",
        "contact_name": "巴特尔",
        "contact_phone": "13812345678",
        "expected_attendees": 30
    })
}

/// Latencies of each action, and of whole lifecycles.
#[derive(Default)]
pub(super) struct Timings {
    pub(super) per_action: [Vec<Duration>; 6],
    pub(super) lifecycle: Vec<Duration>,
}

/// One lifecycle by team `t`; `n` is how many this team has run, which spreads the served
/// dates so that no member passes 24 h on a day.
pub(super) async fn lifecycle(
    client: &Client,
    base: &str,
    cast: &Cast,
    t: usize,
    n: usize,
    timings: &mut Timings,
) -> anyhow::Result<()> {
    const POST: reqwest::Method = reqwest::Method::POST;
    let (team_id, leader, member) = &cast.teams[t];
    let started = Instant::now();
    let mut step = |i: usize, since: Instant| timings.per_action[i].push(since.elapsed());

    let t0 = Instant::now();
    let order = call(
        client,
        POST,
        format!("{base}/api/v1/orders"),
        None,
        Some(&order_body()),
        StatusCode::CREATED,
    )
    .await?;
    step(0, t0);
    let id = order["id"].as_str().context("order id")?;
    let resident = format!(
        "Resident {}",
        order["resident_token"].as_str().context("token")?
    );
    let url = |action: &str| format!("{base}/api/v1/orders/{id}/{action}");

    let t0 = Instant::now();
    call(
        client,
        POST,
        url("dispatch"),
        Some(&cast.station),
        Some(&json!({"department_id": cast.department_id})),
        StatusCode::OK,
    )
    .await?;
    step(1, t0);
    let t0 = Instant::now();
    call(
        client,
        POST,
        url("accept"),
        Some(&cast.department),
        Some(&json!({"team_ids": [team_id]})),
        StatusCode::OK,
    )
    .await?;
    step(2, t0);
    let t0 = Instant::now();
    call(
        client,
        POST,
        url("claim"),
        Some(leader),
        Some(&json!({})),
        StatusCode::OK,
    )
    .await?;
    step(3, t0);
    let served_on = today_minus_days((n / 40) as i64);
    let t0 = Instant::now();
    call(
        client,
        POST,
        url("complete"),
        Some(leader),
        Some(&json!({"served_on": served_on, "attendees": 20, "summary": "讲解了疫苗接种", "hours": [{"volunteer_id": member, "hours": 0.5}]})),
        StatusCode::OK,
    )
    .await?;
    step(4, t0);
    let t0 = Instant::now();
    call(
        client,
        POST,
        url("rate"),
        Some(&resident),
        Some(&json!({"score": 5})),
        StatusCode::OK,
    )
    .await?;
    step(5, t0);
    timings.lifecycle.push(started.elapsed());
    Ok(())
}

/// A date `days` before today in Asia/Shanghai (the server's default zone), as `YYYY-MM-DD`.
fn today_minus_days(days: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let day = (now + 8 * 3600) / 86_400 - days;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

pub(super) struct Race {
    pub(super) won: usize,
    pub(super) lost: usize,
    pub(super) latencies: Vec<Duration>,
}

/// One order offered to every team, claimed by every leader at once: exactly one may win.
pub(super) async fn claim_race(client: &Client, base: &str, cast: &Cast) -> anyhow::Result<Race> {
    const POST: reqwest::Method = reqwest::Method::POST;
    let order = call(
        client,
        POST,
        format!("{base}/api/v1/orders"),
        None,
        Some(&order_body()),
        StatusCode::CREATED,
    )
    .await?;
    let id = order["id"].as_str().context("order id")?.to_owned();
    call(
        client,
        POST,
        format!("{base}/api/v1/orders/{id}/dispatch"),
        Some(&cast.station),
        Some(&json!({"department_id": cast.department_id})),
        StatusCode::OK,
    )
    .await?;
    call(
        client,
        POST,
        format!("{base}/api/v1/orders/{id}/accept"),
        Some(&cast.department),
        Some(&json!({})),
        StatusCode::OK,
    )
    .await?;
    let claims = cast.teams.iter().map(|(_, leader, _)| {
        let url = format!("{base}/api/v1/orders/{id}/claim");
        async move {
            let sent = Instant::now();
            let res = client
                .post(url)
                .header("Authorization", leader)
                .json(&json!({}))
                .send()
                .await?;
            let status = res.status();
            res.bytes().await?;
            anyhow::Ok((status, sent.elapsed()))
        }
    });
    let mut race = Race {
        won: 0,
        lost: 0,
        latencies: Vec::new(),
    };
    for result in join_all(claims).await {
        let (status, took) = result?;
        match status {
            StatusCode::OK => race.won += 1,
            StatusCode::CONFLICT => race.lost += 1,
            other => bail!("a claim answered {other}"),
        }
        race.latencies.push(took);
    }
    Ok(race)
}
