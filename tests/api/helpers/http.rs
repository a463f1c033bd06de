//! Talking HTTP to the test server: requests with an optional JSON body and credentials, and
//! the replies read as JSON ([`Reply`]) or as bytes ([`RawReply`]).

use super::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// A response: status, headers and JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body as JSON.
    pub body: Value,
}

impl Reply {
    /// Panics with the body unless the status is `expected`.
    #[track_caller]
    pub fn expect(self, expected: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            expected,
            "unexpected status; body: {}",
            self.body
        );
        self.body
    }
}

/// A response read as raw bytes: status, headers, body.
#[derive(Debug)]
pub struct RawReply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as sent.
    pub bytes: Vec<u8>,
}

impl RawReply {
    /// A header's value as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.bytes.clone()).expect("a UTF-8 body")
    }

    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

impl TestApp {
    /// Sends a request with an optional JSON body and `Authorization` header value.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        auth: Option<&str>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.address, path));
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(auth) = auth {
            req = req.header("Authorization", auth);
        }
        self.send(req).await
    }

    /// Sends a prepared request and reads the reply as JSON.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Reply {
        let raw = self.send_raw(req).await;
        Reply {
            body: raw.json(),
            status: raw.status,
            headers: raw.headers,
        }
    }

    /// Sends a prepared request and keeps the reply's body as bytes.
    pub async fn send_raw(&self, req: reqwest::RequestBuilder) -> RawReply {
        let resp = req.send().await.expect("request failed");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("read body").to_vec();
        RawReply {
            status,
            headers,
            bytes,
        }
    }

    /// GET with a bearer token (or none).
    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, None, bearer(token).as_deref())
            .await
    }

    /// POST JSON with a bearer token (or none).
    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Reply {
        self.request(Method::POST, path, Some(body), bearer(token).as_deref())
            .await
    }

    /// GET with an optional bearer token and `Accept` header, keeping the body as bytes (files,
    /// HTML pages).
    pub async fn get_raw(&self, path: &str, token: Option<&str>, accept: Option<&str>) -> RawReply {
        let mut req = self.client.get(format!("{}{}", self.address, path));
        if let Some(auth) = bearer(token) {
            req = req.header("Authorization", auth);
        }
        if let Some(accept) = accept {
            req = req.header("Accept", accept);
        }
        self.send_raw(req).await
    }
}

/// The `Authorization` value for a bearer `token`, if any.
fn bearer(token: Option<&str>) -> Option<String> {
    token.map(|t| format!("Bearer {t}"))
}
