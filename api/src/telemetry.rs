//! Logs (tracing, with a request id per request) and metrics (Prometheus text at `/metrics`).

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tracing_subscriber::EnvFilter;

/// Installs the log subscriber once; `RUST_LOG` overrides the default filter.
pub fn init_logs(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

fn handle() -> &'static Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let handle = PrometheusBuilder::new().install_recorder().ok()?;
        // The recorder keeps every histogram sample until upkeep drains it into the summary;
        // without this thread, a server nobody scrapes grows by every request it answers.
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                }
            })
            .ok()?;
        Some(handle)
    })
}

/// How often histogram samples are folded into their summaries.
const UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Makes sure the metrics recorder is installed (once per process).
pub fn init_metrics() {
    let _ = handle();
}

/// The current metrics in Prometheus text format.
pub fn render_metrics() -> String {
    handle()
        .as_ref()
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// Counts requests and measures their latency by route pattern, method and status.
pub async fn record_metrics(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let response = next.call(req).await?;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("kepu_http_requests_total", &labels).increment(1);
    metrics::histogram!("kepu_http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    Ok(response)
}
