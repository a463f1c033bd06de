//! `/console/dashboard`: the association's plan at a glance. Every figure comes from the
//! running totals through the same service functions as `/api/v1/stats/volunteers` and
//! `/stats/indicators` (and the monthly counters beside them), plus the orders waiting at each
//! stage; nothing here scans the ledger. Charts are SVG drawn on the server (`chart`), each with
//! its numbers in text and a link to the matching export (`/console/exports/…`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Datelike;
use kepu_domain::Role;
use kepu_domain::stats::{Period, Unit};
use std::collections::HashMap;

use super::chart::{self, Bar, LineChart, Progress};
use super::i18n::{self, Lang};
use super::page::{Chrome, error_page, field_errors};
use super::session::{page_builder, signed_in};
use crate::error::ApiError;
use crate::service::stats::{self, Scope};
use crate::state::AppState;
use crate::web::{Choice, render};

/// One month of the table under the line charts.
pub struct MonthRow {
    label: String,
    approvals: String,
    hours: String,
}

/// One plan indicator.
pub struct IndicatorRow {
    code: String,
    name: String,
    value: String,
    target: String,
    unit: &'static str,
    period: String,
    progress: Progress,
}

/// Orders waiting at one stage.
pub struct StageRow {
    code: &'static str,
    name: &'static str,
    waiting: u64,
    overdue: u64,
    href: String,
    overdue_href: String,
}

/// The dashboard.
#[derive(Template)]
#[template(path = "console/dashboard.html")]
pub struct DashboardPage {
    c: Chrome,
    townships: Vec<Choice>,
    years: Vec<(i32, bool)>,
    township: String,
    errors: HashMap<String, String>,
    approved: String,
    target: String,
    plan_period: String,
    progress: Progress,
    confirmed_hours: String,
    active: String,
    bars: Vec<Bar>,
    approvals_chart: LineChart,
    hours_chart: LineChart,
    months: Vec<MonthRow>,
    indicators: Vec<IndicatorRow>,
    stages: Vec<StageRow>,
    filter_query: String,
}

impl DashboardPage {
    /// The link to an export with this page's filters.
    fn export(&self, report: &str, format: &str) -> String {
        format!("/console/exports/{report}.{format}{}", self.filter_query)
    }
}

/// A unit's words.
fn unit(lang: Lang, raw: &str) -> &'static str {
    let zh = lang == Lang::Zh;
    match raw.parse::<Unit>() {
        Ok(Unit::Volunteers) => {
            if zh {
                "人（志愿者）"
            } else {
                "volunteers"
            }
        }
        Ok(Unit::Sessions) => {
            if zh {
                "场次"
            } else {
                "sessions"
            }
        }
        Ok(Unit::PersonTimes) => {
            if zh {
                "人次"
            } else {
                "person-times"
            }
        }
        Ok(Unit::People) => {
            if zh {
                "人"
            } else {
                "people"
            }
        }
        Err(_) => "",
    }
}

/// A period in words: `2021–2025`, or "each year (2026)".
fn period_words(lang: Lang, raw: &str, year: i32) -> String {
    match raw.parse::<Period>() {
        Ok(Period::Years(from, to)) => format!("{from}–{to}"),
        Ok(Period::Yearly) => format!("{} ({year})", i18n::text(lang).yearly),
        Err(_) => raw.to_owned(),
    }
}

/// The month axis label of `YYYYMM`: the month's number.
fn month_label(month: i32) -> String {
    (month % 100).to_string()
}

/// `GET /console/dashboard?township=&year=` (association only).
pub async fn show_dashboard(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if signed.role() != Role::AssociationAdmin {
        return signed.forbidden(&req);
    }
    let lang = signed.lang;
    let nav = || Some(signed.nav());
    let q = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let today = state.today();
    // A bad filter is shown beside its field; the figures are then those of the defaults.
    let (scope, errors, status) = match stats::scope(&state, &q).await {
        Ok(s) => (s, HashMap::new(), StatusCode::OK),
        Err(err @ ApiError::Validation(_)) => (
            Scope {
                township: None,
                year: today.year(),
            },
            field_errors(lang, &err),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(err) => return error_page(&req, nav(), &err),
    };
    let township = scope.township.as_deref();
    let figures = async {
        let volunteers = stats::volunteer_stats(&state.db, township, scope.year).await?;
        // The bars show every township, whatever the filter (it picks the one the rest shows).
        let all = match township {
            Some(_) => Some(stats::volunteer_stats(&state.db, None, scope.year).await?),
            None => None,
        };
        let indicators = stats::indicator_stats(&state.db, township, scope.year).await?;
        let months = stats::monthly_stats(
            &state.db,
            township,
            chart::last_month(scope.year, today),
            12,
        )
        .await?;
        let stages = stats::waiting_orders(&state.db, township, state.now()).await?;
        Ok::<_, ApiError>((volunteers, all, indicators, months, stages))
    };
    let (volunteers, all, indicators, months, stages) = match figures.await {
        Ok(f) => f,
        Err(err) => return error_page(&req, nav(), &err),
    };
    let all = all.as_ref().unwrap_or(&volunteers);
    let plan = indicators
        .items
        .iter()
        .find(|i| i.code == "registered_volunteers")
        .or_else(|| indicators.items.iter().find(|i| i.unit == "volunteers"));
    let plan_period = plan.map(|i| i.period.clone()).unwrap_or_default();
    let elapsed = |raw: &str| {
        raw.parse::<Period>()
            .map(|p| chart::elapsed_share(p, scope.year, today))
            .unwrap_or(0.0)
    };
    let filter_query = {
        let mut pairs = Vec::new();
        if let Some(t) = township {
            pairs.push(("township", t.to_owned()));
        }
        pairs.push(("year", scope.year.to_string()));
        format!(
            "?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let stage_query = |state: &str, overdue: bool| {
        let mut pairs = vec![("state", state.to_owned())];
        if let Some(t) = township {
            pairs.push(("township", t.to_owned()));
        }
        if overdue {
            pairs.push(("overdue", "1".into()));
        }
        format!(
            "/console/orders?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    };
    let labels: Vec<String> = months.iter().map(|m| month_label(m.month)).collect();
    let approvals: Vec<f64> = months.iter().map(|m| m.approvals as f64).collect();
    let hours: Vec<f64> = months.iter().map(|m| m.confirmed_hours).collect();
    let mut years: Vec<i32> = ((today.year() - 5)..=today.year()).rev().collect();
    if !years.contains(&scope.year) {
        years.insert(0, scope.year);
    }
    let page = DashboardPage {
        c: signed.chrome(&req, "dashboard"),
        townships: all
            .by_township
            .iter()
            .map(|t| Choice {
                code: t.township.clone(),
                name: t.name_zh.clone(),
            })
            .collect(),
        years: years.into_iter().map(|y| (y, y == scope.year)).collect(),
        township: township.unwrap_or("").to_owned(),
        errors,
        approved: chart::number(volunteers.approved as f64),
        target: chart::number(volunteers.target),
        progress: chart::progress(
            volunteers.approved as f64,
            volunteers.target,
            elapsed(&plan_period),
        ),
        plan_period: period_words(lang, &plan_period, scope.year),
        confirmed_hours: chart::number(volunteers.confirmed_hours),
        active: chart::number(volunteers.active_this_year as f64),
        bars: chart::bars(
            all.by_township
                .iter()
                .map(|t| (t.name_zh.clone(), t.approved as f64))
                .collect(),
        ),
        approvals_chart: chart::line_chart(&approvals, &labels),
        hours_chart: chart::line_chart(&hours, &labels),
        months: months
            .iter()
            .map(|m| MonthRow {
                label: format!("{}-{:02}", m.month / 100, m.month % 100),
                approvals: chart::number(m.approvals as f64),
                hours: chart::number(m.confirmed_hours),
            })
            .collect(),
        indicators: indicators
            .items
            .iter()
            .map(|i| IndicatorRow {
                code: i.code.clone(),
                name: i.name_zh.clone(),
                value: chart::number(i.value as f64),
                target: chart::number(i.target),
                unit: unit(lang, &i.unit),
                period: period_words(lang, &i.period, scope.year),
                progress: chart::progress(i.value as f64, i.target, elapsed(&i.period)),
            })
            .collect(),
        stages: stages
            .iter()
            .map(|s| StageRow {
                code: s.state.as_str(),
                name: i18n::state(lang, s.state),
                waiting: s.waiting,
                overdue: s.overdue,
                href: stage_query(s.state.as_str(), false),
                overdue_href: stage_query(s.state.as_str(), true),
            })
            .collect(),
        filter_query,
    };
    render(page_builder(&signed, &req, status), &page)
}

/// `GET /console/exports/{report}.{format}` (association only): the API's export
/// (`service::export`), for the links beside the dashboard's charts.
pub async fn download_export(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    let signed = match signed_in(&state, &req).await {
        Ok(s) => s,
        Err(page) => return page,
    };
    if signed.role() != Role::AssociationAdmin {
        return signed.forbidden(&req);
    }
    let q = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .unwrap_or_default();
    let (report, format) = path.into_inner();
    match crate::service::export::export(&state, &report, &format, &q).await {
        Ok(file) => crate::web::download(file),
        // A bad filter in a hand-made link: the dashboard shows it beside the field.
        Err(ApiError::Validation(_)) => {
            let query = req.query_string();
            crate::web::see_other(&format!("/console/dashboard?{query}")).finish()
        }
        Err(err) => error_page(&req, Some(signed.nav()), &err),
    }
}
