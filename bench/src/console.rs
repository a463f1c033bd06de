//! Signing in to the console as a browser does, for timing `GET /console/dashboard`: the sign-in
//! form's CSRF cookie and token, then the posted form; the answer's cookies are the session.

use anyhow::{Context, bail};

/// Percent-encodes one form value.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `name=value` pairs of the `Set-Cookie` headers of `res`.
fn cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(str::to_owned)
        .collect()
}

/// Signs in at `base/console/login`; returns the `Cookie` header of the session.
pub async fn sign_in(base: &str, username: &str, password: &str) -> anyhow::Result<String> {
    // The sign-in answers 303 with the session cookie: read it, do not follow.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = client.get(format!("{base}/console/login")).send().await?;
    let mut jar = cookies(&form);
    let html = form.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let start = html
        .find(marker)
        .context("no CSRF token on the sign-in page")?
        + marker.len();
    let end = html[start..].find('"').context("unterminated CSRF token")? + start;
    let body = format!(
        "csrf={}&username={}&password={}&next=%2Fconsole%2Fdashboard",
        encode(&html[start..end]),
        encode(username),
        encode(password)
    );
    let done = client
        .post(format!("{base}/console/login"))
        .header(reqwest::header::COOKIE, jar.join("; "))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .send()
        .await?;
    if done.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("console sign-in answered {}", done.status());
    }
    jar.extend(cookies(&done));
    if !jar.iter().any(|c| c.starts_with("kepu_console=")) {
        bail!("console sign-in set no session cookie");
    }
    Ok(jar.join("; "))
}
