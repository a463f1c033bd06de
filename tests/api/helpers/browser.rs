//! A browser without JavaScript, for the server-rendered pages (the resident pages and the
//! console): plain GETs and form posts, keeping the cookies the server sets.

use super::TestApp;
use reqwest::StatusCode;
use std::collections::HashMap;

/// A cookie-keeping client speaking to the pages like a browser with JavaScript off.
pub struct Browser<'a> {
    app: &'a TestApp,
    /// The cookies the server set, by name.
    pub cookies: HashMap<String, String>,
}

/// A page: status, headers, HTML.
pub struct Page {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// The HTML.
    pub html: String,
}

impl Page {
    /// The value of the hidden or text input `name`.
    pub fn input(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .html
            .find(&marker)
            .unwrap_or_else(|| panic!("no input {name}"))
            + marker.len();
        let end = self.html[start..].find('"').unwrap() + start;
        self.html[start..end].to_owned()
    }

    /// The text of the error paragraph of `field` (empty when none).
    pub fn error(&self, field: &str) -> String {
        let marker = format!("id=\"e-{field}\">");
        match self.html.find(&marker) {
            Some(i) => {
                let start = i + marker.len();
                let end = self.html[start..].find('<').unwrap() + start;
                self.html[start..end].to_owned()
            }
            None => String::new(),
        }
    }

    pub fn location(&self) -> String {
        self.headers["location"].to_str().unwrap().to_owned()
    }
}

pub fn encode(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: HashMap::new(),
        }
    }

    pub async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = if cookie.is_empty() {
            req
        } else {
            req.header("Cookie", cookie)
        };
        let resp = req.send().await.unwrap();
        for value in resp.headers().get_all("set-cookie") {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.insert(k.to_owned(), v.to_owned());
        }
        Page {
            status: resp.status(),
            headers: resp.headers().clone(),
            html: resp.text().await.unwrap(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let req = self.app.client.get(format!("{}{path}", self.app.address));
        self.send(req).await
    }

    pub async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Page {
        let req = self
            .app
            .client
            .post(format!("{}{path}", self.app.address))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(encode(pairs));
        self.send(req).await
    }
}
