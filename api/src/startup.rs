//! Building and running the service: connect, migrate, load defaults, bind, serve.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Compress, DefaultHeaders, Next, from_fn};
use actix_web::{App, Error, HttpResponse, HttpServer, ResponseError, web};
use std::net::TcpListener;
use std::sync::Arc;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{ResidentKeys, TokenKeys};
use crate::config::{Environment, Settings};
use crate::db::Db;
use crate::error::ApiError;
use crate::notify::mailer::Mailer;
use crate::routes::{self, ApiDoc};
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
        if let Some(password) = seed::ensure_defaults(&db, &settings, clock.now()).await? {
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

/// The OpenAPI document, collected from the route table once at start-up, with the error
/// answers every operation can give added by [`document_errors`].
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(utoipa_actix_web::scope("/api/v1").configure(routes::api_v1))
        .configure(routes::operations)
        .service(utoipa_actix_web::scope("/open311/v2").configure(routes::open311_v2))
        .split_for_parts()
        .1;
    document_errors(&mut doc);
    doc
}

/// Operations that never read the database, so never answer 503.
const WITHOUT_DATABASE: [&str; 2] = ["/healthz", "/metrics"];

/// Documents the error answers once, instead of in every annotation. The extractors and the
/// error type give every operation the same ones, so they follow from its shape:
///
/// - a JSON request body: 400 (malformed JSON, wrong types), 413 (over 64 KiB), 422 (invalid
///   values);
/// - an `If-Match` or `Idempotency-Key` header: 400 (malformed header);
/// - a bearer security requirement: 401 (no, invalid or expired token, ended session
///   `auth.revoked`) and 403 (not allowed; `auth.password_change_required` outside the
///   endpoints that let a user change it);
/// - a path parameter: 404 (unknown, or outside the caller's scope);
/// - a database behind it: 503.
///
/// Statuses only some operations give (409, 429, a 422 without a body) stay in their
/// annotations, with descriptions naming the codes. Then every error answer under `/api/v1`
/// and the operational paths is given the `Problem` schema as `application/problem+json`,
/// whatever the annotation said, unless it documents another media type of its own (the HTML
/// page of `/verify/{code}`). Open311's errors keep the standard's bare `[{code, description}]`
/// arrays as `application/json`.
fn document_errors(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{Content, Ref, RefOr, Response};

    for (path, item) in doc.paths.paths.iter_mut() {
        let open311 = path.starts_with("/open311/");
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let json_body = matches!(&operation.request_body,
                Some(RefOr::T(body)) if body.content.contains_key("application/json"));
            let parameters: Vec<_> = operation
                .parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    RefOr::T(p) => Some(p),
                    RefOr::Ref(_) => None,
                })
                .collect();
            let checked_header = parameters.iter().any(|p| {
                p.parameter_in == ParameterIn::Header
                    && ["if-match", "idempotency-key"]
                        .contains(&p.name.to_ascii_lowercase().as_str())
            });
            let path_parameter = parameters
                .iter()
                .any(|p| p.parameter_in == ParameterIn::Path);
            let signed_in = operation.security.iter().flatten().any(|requirement| {
                serde_json::to_value(requirement)
                    .ok()
                    .and_then(|v| v.get("bearer").cloned())
                    .is_some()
            });
            let open_while_password_change =
                crate::extract::OPEN_WHILE_PASSWORD_CHANGE_REQUIRED.contains(&path.as_str());

            let mut implied: Vec<(u16, &str)> = Vec::new();
            if json_body {
                implied.push((400, "malformed JSON, or fields of the wrong JSON type (all listed): `request.malformed_json`, `request.invalid_types`"));
                implied.push((413, "the body is over 64 KiB: `request.too_large`"));
                implied.push((422, "invalid values (all listed): `validation.failed`"));
            }
            if checked_header {
                implied.push((
                    400,
                    "a malformed `If-Match` or `Idempotency-Key`: `request.bad_header`",
                ));
            }
            if signed_in {
                implied.push((401, "not signed in, an invalid or expired token, or an ended session or deactivated account (`auth.revoked`)"));
                if !open_while_password_change {
                    implied.push((403, "not allowed (`auth.forbidden`), or a password change is required first (`auth.password_change_required`)"));
                }
            }
            if path_parameter {
                implied.push((
                    404,
                    "no such resource, or it is outside the caller's scope: `not_found`",
                ));
            }
            if !WITHOUT_DATABASE.contains(&path.as_str()) {
                implied.push((
                    503,
                    "the database cannot be reached; retry shortly: `service.unavailable`",
                ));
            }
            let responses = &mut operation.responses.responses;
            for (status, description) in implied {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| RefOr::T(Response::new(description)));
            }

            for (status, response) in responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if !status.starts_with('4') && !status.starts_with('5') {
                    continue;
                }
                if response.description.is_empty() {
                    response.description = default_description(status).into();
                }
                if open311 {
                    if response.content.is_empty() {
                        response.content.insert(
                            "application/json".into(),
                            RefOr::T(Content::new(Some(
                                utoipa::openapi::schema::ArrayBuilder::new()
                                    .items(Ref::from_schema_name("Open311ErrorItem")),
                            ))),
                        );
                    }
                    continue;
                }
                let own_media_type = response
                    .content
                    .keys()
                    .any(|media| media != "application/json" && !media.ends_with("problem+json"));
                if !own_media_type {
                    response.content.clear();
                    response.content.insert(
                        "application/problem+json".into(),
                        RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
                    );
                }
            }
        }
    }
}

/// What a status means when its annotation does not say.
fn default_description(status: &str) -> &'static str {
    match status {
        "400" => "malformed request",
        "401" => "not signed in, or the credentials are unusable",
        "403" => "not allowed",
        "404" => "not found, or outside the caller's scope",
        "409" => "the state does not allow this; `current_state` says what it is",
        "413" => "the body is over 64 KiB",
        "422" => "invalid input (all listed)",
        "429" => "too many requests; see `Retry-After`",
        "503" => "the database cannot be reached",
        _ => "error",
    }
}

/// The JSON of the OpenAPI document, shared by every worker.
struct OpenApiJson(String);

async fn serve_openapi(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

/// The policy of the API docs page (the vendored Swagger UI under `/api/docs/`). Its
/// `index.html` has no inline script or style: it loads `swagger-ui-bundle.js`,
/// `swagger-ui-standalone-preset.js` and `swagger-initializer.js` (the configuration) from the
/// same place, so `script-src 'self'` suffices and no `eval` is needed (the bundles only fall
/// back to `Function("return this")` where `self` is missing). The one `<style>` element the UI
/// writes is the logo's, `.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}`,
/// allowed by its hash; other styling is the stylesheets and React's style properties (CSSOM,
/// which CSP does not govern). The stylesheet's icons are `data:` images, and the UI fetches the
/// OpenAPI document (and "Try it out" calls) from this origin. Nothing comes from elsewhere, so
/// the page works offline and cannot be framed. Upgrading utoipa-swagger-ui means checking the
/// hash again.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// Gives every answer under `/api/docs` the docs page's policy.
async fn docs_policy(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let docs = req.path() == "/api/docs" || req.path().starts_with("/api/docs/");
    let mut response = next.call(req).await?;
    if docs {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        );
    }
    Ok(response)
}

/// Holds the answer to every request that used the database's writer until what was committed
/// is on disk: on SQLite this is where the commits of concurrent requests share one flush of
/// the log (`db::group_sync`); a request that only read (a lost race's 409, say) answers at
/// once. A flush that fails turns the answer into a 500: the change may not survive a power cut.
async fn durable_answers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let db = req.app_data::<web::Data<AppState>>().map(|s| s.db.clone());
    let (response, wrote) = Db::noting_writes(next.call(req)).await;
    let response = response?.map_into_boxed_body();
    let (Some(db), true) = (db, wrote) else {
        return Ok(response);
    };
    match db.durable().await {
        Ok(()) => Ok(response),
        Err(err) => {
            let failure = ApiError::Internal(anyhow::Error::new(err).context("durable commit"));
            let (req, _) = response.into_parts();
            Ok(ServiceResponse::new(req, failure.error_response()))
        }
    }
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
            .wrap(from_fn(durable_answers))
            .wrap(Compress::default())
            .wrap(from_fn(telemetry::record_metrics))
            .wrap(TracingLogger::default())
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .wrap(from_fn(docs_policy))
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
            .configure(crate::console::pages)
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
