//! The route table: every endpoint of the service in one place, collected into the OpenAPI
//! document as it is registered.

pub mod activities;
pub mod auth;
pub mod certificates;
pub mod health;
pub mod ledger;
pub mod membership;
pub mod notifications;
pub mod open311;
pub mod orders;
pub mod people;
pub mod reference;
pub mod reports;
pub mod stats;
pub mod users;

use actix_web::HttpResponse;
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{Problem, ProblemField};

/// The OpenAPI document's fixed parts; paths and schemas are collected from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kepu Dispatch API",
        description = "群众点单、阵地派单、部门领单、志愿服务队接单 — the order-claim model of grassroots science popularization.",
        version = "1.0.0"
    ),
    components(schemas(Problem, ProblemField)),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign in, refresh, sign out"),
        (name = "reference", description = "Townships, themes, stations, departments, teams"),
        (name = "orders", description = "The order lifecycle"),
        (name = "people", description = "Accounts, volunteers, team members"),
        (name = "activities", description = "Activities of claimed orders: schedule, sign-up with slots, check-in by code, attendance, calendar"),
        (name = "hours", description = "The volunteer-hours ledger: confirm, dispute, reverse"),
        (name = "stats", description = "Progress toward the plan's targets, exports, certificates"),
        (name = "notifications", description = "The mail outbox: parked messages and retries"),
        (name = "operations", description = "Health and metrics"),
        (name = "open311", description = "Open311 GeoReport v2 under /open311/v2: bare arrays, errors as [{code, description}]"),
    )
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "resident",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                "`Resident <resident_token>` from the submit response",
            ))),
        );
    }
}

/// Registers every `/api/v1` endpoint.
pub fn api_v1(cfg: &mut ServiceConfig) {
    cfg.service(auth::login)
        .service(auth::refresh)
        .service(auth::logout)
        .service(auth::me)
        .service(auth::update_me)
        .service(auth::change_password)
        .service(reference::list_townships)
        .service(reference::create_village)
        .service(reference::list_themes)
        .service(reference::list_target_groups)
        .service(reference::list_stations)
        .service(reference::create_station)
        .service(reference::list_departments)
        .service(reference::create_department)
        .service(reference::list_teams)
        .service(reference::create_team)
        .service(orders::submit_order)
        .service(orders::track_order)
        .service(orders::list_orders)
        .service(orders::get_order)
        .service(orders::list_order_events)
        .service(orders::dispatch_order)
        .service(orders::reject_order)
        .service(orders::accept_order)
        .service(orders::return_order)
        .service(orders::claim_order)
        .service(orders::release_order)
        .service(orders::complete_order)
        .service(orders::rate_order)
        .service(orders::close_order)
        .service(orders::cancel_order)
        .service(activities::schedule_activity)
        .service(activities::get_activity)
        .service(activities::sign_up)
        .service(activities::withdraw)
        .service(activities::issue_code)
        .service(activities::check_in)
        .service(activities::check_out)
        .service(activities::record_attendance)
        .service(activities::my_activities)
        .service(activities::new_calendar)
        .service(people::create_user)
        .service(users::list_users)
        .service(users::reset_password)
        .service(users::deactivate_user)
        .service(users::activate_user)
        .service(people::register_volunteer)
        .service(people::list_volunteers)
        .service(people::approve_volunteer)
        .service(people::reject_volunteer)
        .service(people::suspend_volunteer)
        .service(people::volunteer_hours)
        .service(membership::add_team_member)
        .service(membership::list_team_members)
        .service(membership::list_invitations)
        .service(membership::accept_invitation)
        .service(membership::decline_invitation)
        .service(ledger::list_service_records)
        .service(ledger::get_service_record)
        .service(ledger::confirm_service_record)
        .service(ledger::dispute_service_record)
        .service(ledger::reverse_service_record)
        .service(stats::volunteer_stats)
        .service(stats::indicator_stats)
        .service(certificates::volunteer_certificate)
        .service(reports::export_report)
        .service(notifications::list_notifications)
        .service(notifications::retry_notification);
}

/// Endpoints outside `/api/v1`: operations, and the public certificate check.
pub fn operations(cfg: &mut ServiceConfig) {
    cfg.service(certificates::verify_certificate)
        .service(activities::calendar_feed)
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics);
}

/// Registers the Open311 GeoReport v2 endpoints (mounted under `/open311/v2`).
pub fn open311_v2(cfg: &mut ServiceConfig) {
    cfg.service(open311::discovery)
        .service(open311::services)
        .service(open311::service_definition)
        .service(open311::list_requests)
        .service(open311::create_request)
        .service(open311::get_request);
}

/// The 404 for paths no route matches, as a problem.
pub async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&crate::error::ApiError::NotFound)
}
