//! The staff console under `/console/`: server-rendered pages for station clerks, department
//! officers, team leaders and the association, in Chinese first with English. It is another
//! face of the same service layer as the JSON API: every form posts to a handler that parses
//! it into the service's input and calls the same service function the API calls
//! (`service::orders::act`, `submit`, `list`, `service::ledger::decide`,
//! `service::sessions`), so the rules, the errors and the recorded events are the API's.
//!
//! Every page works without JavaScript; `console.js` only adds comfort (select all). Pages
//! carry the resident pages' CSP (no inline script or style, nothing from another host), and
//! every form carries the double-submit CSRF token of `web::session`. How sign-in, the session
//! cookie and the forms fit together is in `docs/console.md`.

mod activities;
mod admin;
mod certificate;
mod chart;
mod dashboard;
mod hours;
pub mod i18n;
mod login;
mod me;
mod me_volunteer;
mod mine;
mod names;
mod new_order;
mod order;
mod page;
mod queue;
mod session;
mod volunteers;

use actix_web::web;

pub use session::Signed;

/// Registers the console's pages.
pub fn pages(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .route("", web::get().to(session::show_home))
            .route("/", web::get().to(session::show_home))
            .route("/login", web::get().to(login::show_login))
            .route("/login", web::post().to(login::post_login))
            .route("/logout", web::post().to(login::post_logout))
            .route("/orders", web::get().to(queue::show_queue))
            .route(
                "/orders/dispatch",
                web::post().to(queue::post_bulk_dispatch),
            )
            .route("/orders/new", web::get().to(new_order::show_new_order))
            .route("/orders/new", web::post().to(new_order::post_new_order))
            .route("/orders/{id}", web::get().to(order::show_order))
            .route("/orders/{id}/{action}", web::post().to(order::post_action))
            .route("/hours", web::get().to(hours::show_hours))
            .route("/hours", web::post().to(hours::post_hours))
            .route("/dashboard", web::get().to(dashboard::show_dashboard))
            .route(
                "/exports/{report}.{format}",
                web::get().to(dashboard::download_export),
            )
            .route("/volunteers", web::get().to(volunteers::show_volunteers))
            .route(
                "/volunteers/approve",
                web::post().to(volunteers::post_approve),
            )
            .route(
                "/volunteers/{id}/{action}",
                web::post().to(volunteers::post_single),
            )
            .configure(admin::pages)
            .route("/me", web::get().to(me::show_me))
            .route("/me", web::post().to(me::post_settings))
            .route("/me/password", web::post().to(me::post_password))
            .route(
                "/me/certificate",
                web::get().to(certificate::show_certificate),
            )
            .route("/me/calendar", web::post().to(me_volunteer::post_calendar))
            .route(
                "/me/invitations/{id}/{answer}",
                web::post().to(me_volunteer::post_invitation),
            )
            .route("/activities", web::get().to(activities::show_activities))
            .route("/activities/{id}", web::get().to(activities::show_activity))
            .route(
                "/activities/{id}/check-in",
                web::get().to(activities::show_check_in),
            )
            .route(
                "/activities/{id}/withdraw",
                web::get().to(activities::show_withdraw),
            )
            .route(
                "/activities/{id}/schedule",
                web::post().to(activities::post_schedule),
            )
            .route(
                "/activities/{id}/code",
                web::post().to(activities::post_code),
            )
            .route(
                "/activities/{id}/attendance",
                web::post().to(activities::post_attendance),
            )
            .route(
                "/activities/{id}/signup",
                web::post().to(activities::post_signup),
            )
            .route(
                "/activities/{id}/withdraw",
                web::post().to(activities::post_withdraw),
            )
            .route(
                "/activities/{id}/{check}",
                web::post().to(activities::post_check),
            )
            .default_service(web::to(session::not_found)),
    );
}
