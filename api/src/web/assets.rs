//! Static assets, compiled into the binary: the resident pages' and the console's stylesheets
//! and scripts under content-hashed
//! names (`/static/app.<hash>.css`), cached by browsers for a year as immutable, and the
//! service worker at `/sw.js` (root scope, always revalidated), which names the current hashed
//! files so that a new release replaces the phone's cached copy. Compression is the `Compress`
//! middleware's (gzip), like every other response.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// One embedded file with its hashed URL.
#[derive(Debug)]
pub struct Asset {
    url: String,
    body: &'static str,
    content_type: &'static str,
}

impl Asset {
    fn new(stem: &str, ext: &str, body: &'static str, content_type: &'static str) -> Self {
        let hash = hex::encode(&Sha256::digest(body.as_bytes())[..6]);
        Self {
            url: format!("/static/{stem}.{hash}.{ext}"),
            body,
            content_type,
        }
    }

    /// Where the page links it.
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Every asset of the pages.
#[derive(Debug)]
pub struct Assets {
    /// The stylesheet.
    pub css: Asset,
    /// The script.
    pub js: Asset,
    /// The console's stylesheet.
    pub console_css: Asset,
    /// The console's script (comfort only: select all).
    pub console_js: Asset,
    /// The service worker, with the shell's URLs filled in.
    pub service_worker: String,
}

/// The assets, hashed once on first use.
pub static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let css = Asset::new(
        "app",
        "css",
        include_str!("../../assets/app.css"),
        "text/css; charset=utf-8",
    );
    let js = Asset::new(
        "app",
        "js",
        include_str!("../../assets/app.js"),
        "text/javascript; charset=utf-8",
    );
    let console_css = Asset::new(
        "console",
        "css",
        include_str!("../../assets/console.css"),
        "text/css; charset=utf-8",
    );
    let console_js = Asset::new(
        "console",
        "js",
        include_str!("../../assets/console.js"),
        "text/javascript; charset=utf-8",
    );
    let shell = serde_json::json!(["/", css.url, js.url]).to_string();
    let version = hex::encode(&Sha256::digest(shell.as_bytes())[..6]);
    let service_worker = include_str!("../../assets/sw.js")
        .replace("__VERSION__", &version)
        .replace("\"__SHELL__\"", &shell);
    Assets {
        css,
        js,
        console_css,
        console_js,
        service_worker,
    }
});

/// `GET /static/{name}`: a hashed asset, cached for a year; an unknown or outdated name is 404.
pub async fn serve_asset(name: web::Path<String>) -> HttpResponse {
    let path = format!("/static/{name}");
    let asset = [
        &ASSETS.css,
        &ASSETS.js,
        &ASSETS.console_css,
        &ASSETS.console_js,
    ]
    .into_iter()
    .find(|a| a.url == path);
    match asset {
        Some(a) => HttpResponse::Ok()
            .insert_header((
                header::CONTENT_TYPE,
                HeaderValue::from_static(a.content_type),
            ))
            .insert_header((
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ))
            .body(a.body),
        None => HttpResponse::NotFound()
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .content_type("text/plain; charset=utf-8")
            .body("not found"),
    }
}

/// `GET /sw.js`: the service worker; revalidated on every check so updates arrive.
pub async fn serve_service_worker() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .body(ASSETS.service_worker.clone())
}
