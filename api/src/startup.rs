//! Building and running the service: connect, migrate, load defaults, bind, serve.

use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::TokenKeys;
use crate::config::{Environment, Settings};
use crate::notify::Mailer;
use crate::routes::{self, ApiDoc};
use crate::service::orders::ResidentKeys;
use crate::state::{AppState, Clock, RateLimits, SystemClock};
use crate::{db, seed, telemetry};

/// A built, bound, not yet running service.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
}

impl Application {
    /// Builds the service with the real clock.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// Builds the service with an injected clock (tests move time with it).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        telemetry::init_metrics();
        let db = db::connect(&settings).await?;
        db::migrate(&db).await?;
        // Totals of a database that had data before the ledger migration are filled in once.
        crate::service::stats::ensure_built(&db)
            .await
            .map_err(|e| anyhow::anyhow!("building the running totals: {e}"))?;
        if let Some(password) = seed::ensure_defaults(&db, &settings).await? {
            // Printed once, on the first start, so the operator can sign in.
            println!(
                "\n  First login: username `admin`, password `{password}`\n  (set KEPU_ADMIN_PASSWORD to choose it)\n"
            );
        }
        if settings.jwt_secret.is_none() && settings.environment == Environment::Dev {
            tracing::warn!(
                "KEPU_JWT_SECRET is unset: using a random secret; sessions end when the process stops"
            );
        }
        let keys = TokenKeys::new(settings.jwt_secret.as_deref())?;
        let settings_secret = settings.jwt_secret.clone();
        let listener = TcpListener::bind(&settings.listen)?;
        let port = listener.local_addr()?.port();
        let mailer = Arc::new(Mailer::from_settings(&settings)?);
        let state = AppState {
            db,
            limits: Arc::new(RateLimits::new(settings.rate_limit)),
            settings: Arc::new(settings),
            resident_keys: ResidentKeys::new(settings_secret.as_deref()),
            keys,
            clock,
            mailer,
        };
        let server = serve(listener, state.clone())?;
        crate::jobs::start(&state);
        Ok(Self {
            port,
            server,
            state,
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests reach the database through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests are drained first.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The OpenAPI document, collected from the route table once at start-up.
pub fn openapi() -> utoipa::openapi::OpenApi {
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::api_v1))
        .configure(routes::operations)
        .service(utoipa_actix_web::scope("/open311/v2").configure(routes::open311_v2))
        .split_for_parts()
        .1
}

/// The JSON of the OpenAPI document, shared by every worker.
struct OpenApiJson(String);

async fn serve_openapi(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

fn serve(listener: TcpListener, state: AppState) -> anyhow::Result<Server> {
    let data = web::Data::new(state);
    let doc = openapi();
    let doc_value = serde_json::to_value(&doc)?;
    let doc_json = web::Data::new(OpenApiJson(serde_json::to_string(&doc)?));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(doc_json.clone())
            .wrap(Compress::default())
            .wrap(from_fn(telemetry::record_metrics))
            .wrap(TracingLogger::default())
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .into_utoipa_app()
            .service(
                utoipa_actix_web::scope("/api/v1")
                    .configure(routes::api_v1)
                    .route("/openapi.json", web::get().to(serve_openapi)),
            )
            .configure(routes::operations)
            .service(utoipa_actix_web::scope("/open311/v2").configure(routes::open311_v2))
            .into_app()
            .configure(crate::web::pages)
            .route(
                "/api/docs",
                web::get().to(|| async {
                    HttpResponse::MovedPermanently()
                        .insert_header(("Location", "/api/docs/"))
                        .finish()
                }),
            )
            .service(
                SwaggerUi::new("/api/docs/{_:.*}")
                    .external_url_unchecked("/api/v1/openapi.json", doc_value.clone()),
            )
            .default_service(web::to(routes::not_found))
    })
    .listen(listener)?
    .shutdown_timeout(30)
    .run();
    Ok(server)
}
