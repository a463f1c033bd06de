//! Orders: submit, act, read, list. Every change of state is one conditional update on
//! `(id, state, version)` plus one appended event, in one transaction: of two racing actions
//! exactly one matches the row, the other finds nothing to update and answers 409.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kepu_domain::event::{ChainedEvent, EventContent, GENESIS_HASH, event_time, verify_chain};
use kepu_domain::order::{self, Action, ActionKind, Actor, EventKind, OrderState};
use kepu_domain::routing::{CoverageRule, route};
use kepu_domain::value::{Hours, TrackingCode};
use kepu_domain::{DepartmentId, TeamId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;
use std::collections::HashSet;
use uuid::Uuid;

use super::actors::Acting;
use super::idempotency::{self, Idempotency, Stored};
use super::{ledger, stats};
use crate::auth;
use crate::config::Settings;
use crate::entity::{
    departments, order_events, orders, station_coverage, stations, target_groups, team_members,
    teams, themes, townships, villages, volunteers,
};
use crate::error::{ApiError, ApiResult, Problems};
use crate::extract::Page;
use crate::notify;
use crate::state::AppState;
use crate::views::{OrderView, Paged, SubmittedOrder, facts, order_state, store_claim_scope};
use kepu_domain::stats::Deltas;

/// A new order's validated input.
#[derive(Clone, Debug)]
pub struct NewOrder {
    /// Theme code (checked to exist by [`submit`]).
    pub theme: String,
    /// What is needed.
    pub description: String,
    /// Township code.
    pub township: String,
    /// Village: an id, or a name within the township.
    pub village: Option<String>,
    /// Contact name.
    pub contact_name: String,
    /// Contact phone (validated mobile number).
    pub contact_phone: String,
    /// Contact email.
    pub contact_email: Option<String>,
    /// Target group code.
    pub target_group: Option<String>,
    /// Preferred date.
    pub preferred_date: Option<NaiveDate>,
    /// Expected attendees.
    pub expected_attendees: Option<i32>,
    /// Address.
    pub address: Option<String>,
    /// Latitude and longitude.
    pub location: Option<(f64, f64)>,
    /// Where it came from, when the caller knows better than the actor (Open311); `None`
    /// decides by the actor: staff enter `station` orders, everyone else `web` ones.
    pub channel: Option<Channel>,
}

/// Checks the codes and village of a new order against the reference data; every unknown one
/// is reported at once. Returns the village id.
async fn check_references(db: &impl ConnectionTrait, new: &NewOrder) -> ApiResult<Option<Uuid>> {
    let mut problems = Problems::new();
    if themes::Entity::find_by_id(new.theme.clone())
        .one(db)
        .await?
        .is_none()
    {
        problems.add("theme", "没有这个需求主题");
    }
    let township_known = townships::Entity::find_by_id(new.township.clone())
        .one(db)
        .await?
        .is_some();
    if !township_known {
        problems.add("township", "没有这个苏木镇");
    }
    if let Some(group) = &new.target_group
        && target_groups::Entity::find_by_id(group.clone())
            .one(db)
            .await?
            .is_none()
    {
        problems.add("target_group", "没有这个重点人群");
    }
    let mut village_id = None;
    if let (Some(village), true) = (&new.village, township_known) {
        let by_township = villages::Entity::find()
            .filter(villages::Column::TownshipCode.eq(new.township.as_str()));
        let found = match Uuid::parse_str(village) {
            Ok(id) => {
                by_township
                    .filter(villages::Column::Id.eq(id))
                    .one(db)
                    .await?
            }
            Err(_) => {
                by_township
                    .filter(villages::Column::Name.eq(village.as_str()))
                    .one(db)
                    .await?
            }
        };
        match found {
            Some(v) => village_id = Some(v.id),
            None => problems.add("village", "该苏木镇下没有这个嘎查/村"),
        }
    }
    problems.into_result()?;
    Ok(village_id)
}

/// Picks the station by the coverage rules (data, not code).
async fn route_order(
    db: &impl ConnectionTrait,
    township: &str,
    village: Option<Uuid>,
) -> ApiResult<Uuid> {
    let rules: Vec<CoverageRule> = station_coverage::Entity::find()
        .filter(station_coverage::Column::TownshipCode.eq(township))
        .order_by_asc(station_coverage::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|r| CoverageRule {
            station_id: r.station_id.into(),
            township: r.township_code,
            village_id: r.village_id.map(Into::into),
        })
        .collect();
    let fallback = stations::Entity::find()
        .filter(stations::Column::IsFallback.eq(true))
        .order_by_asc(stations::Column::Id)
        .one(db)
        .await?
        .map(|s| s.id.into());
    route(&rules, fallback, township, village.map(Into::into))
        .map(|s| s.0)
        .ok_or_else(|| ApiError::field("township", "没有阵地覆盖这个苏木镇，请联系科协"))
}

/// Who submitted: the public form, station staff on a resident's behalf, or an Open311 client.
#[derive(Clone, Copy, Debug)]
pub enum Channel {
    /// The public web form or API.
    Web,
    /// Entered by staff.
    Station,
    /// Posted by an Open311 GeoReport v2 client with an API key.
    Open311,
}

/// Submits an order: checks references, routes it, stores it with its first event (and the
/// idempotency record, if any) in one transaction, and returns the 201 body.
pub async fn submit(
    db: &DatabaseConnection,
    settings: &Settings,
    now: DateTime<Utc>,
    acting: &Acting,
    new: NewOrder,
    idem: Option<Idempotency>,
) -> ApiResult<Stored> {
    if let Some(idem) = &idem
        && let Some(stored) = idempotency::lookup(db, idem).await?
    {
        return Ok(stored);
    }
    let sla = &settings.sla;
    let village_id = check_references(db, &new).await?;
    let station_id = route_order(db, &new.township, village_id).await?;
    let channel = new.channel.unwrap_or(match acting.actor {
        Actor::StationStaff { .. } | Actor::AssociationAdmin => Channel::Station,
        _ => Channel::Web,
    });
    let now = event_time(now);
    let id = Uuid::now_v7();
    let resident_token = auth::new_opaque_token();
    let tracking_code = TrackingCode::from_random(auth::random_bytes::<8>());
    let content = EventContent {
        order_id: id.to_string(),
        seq: 1,
        action: ActionKind::Submit.into(),
        from_state: None,
        to_state: OrderState::Submitted,
        actor_id: acting.user_id.map(|u| u.to_string()),
        actor_role: acting.actor.role_name().into(),
        reason: None,
        data: json!({"channel": channel_name(channel), "station_id": station_id}).to_string(),
        at: now,
    };
    let hash = content.hash(GENESIS_HASH);
    let row = orders::ActiveModel {
        id: Set(id),
        tracking_code: Set(tracking_code.to_string()),
        resident_token_hash: Set(auth::token_hash(&resident_token)),
        channel: Set(channel_name(channel).into()),
        state: Set(OrderState::Submitted.as_str().into()),
        version: Set(1),
        head_hash: Set(hash.clone()),
        theme_code: Set(new.theme),
        township_code: Set(new.township),
        village_id: Set(village_id),
        description: Set(new.description),
        target_group_code: Set(new.target_group),
        preferred_date: Set(new.preferred_date),
        expected_attendees: Set(new.expected_attendees),
        address: Set(new.address),
        latitude: Set(new.location.map(|l| l.0)),
        longitude: Set(new.location.map(|l| l.1)),
        contact_name: Set(new.contact_name),
        contact_phone: Set(new.contact_phone),
        contact_email: Set(new.contact_email),
        station_id: Set(station_id),
        department_id: Set(None),
        team_id: Set(None),
        claim_scope: Set(None),
        planned_date: Set(None),
        served_on: Set(None),
        attendees: Set(None),
        summary: Set(None),
        rating_score: Set(None),
        rating_comment: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        state_entered_at: Set(now),
        due_at: Set(sla.due_at(OrderState::Submitted, now)),
        escalated_at: Set(None),
    };

    let txn = db.begin().await?;
    let model = orders::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    insert_event(&txn, &content, GENESIS_HASH, &hash).await?;
    notify::enqueue_for_event(&txn, settings, content.action, &facts(&model), &model, now).await?;
    let view = OrderView::new(model, true, now);
    let body = serde_json::to_string(&SubmittedOrder {
        order: view,
        resident_token,
    })
    .map_err(anyhow::Error::from)?;
    idempotency::commit(txn, db, idem.as_ref(), 201, body).await
}

fn channel_name(channel: Channel) -> &'static str {
    match channel {
        Channel::Web => "web",
        Channel::Station => "station",
        Channel::Open311 => "open311",
    }
}

/// Appends one event to an order's chain (inside the transaction that changes the order).
pub(crate) async fn insert_event(
    db: &impl ConnectionTrait,
    c: &EventContent,
    prev_hash: &str,
    hash: &str,
) -> ApiResult<()> {
    order_events::Entity::insert(order_events::ActiveModel {
        order_id: Set(Uuid::parse_str(&c.order_id).map_err(anyhow::Error::from)?),
        seq: Set(c.seq),
        action: Set(c.action.as_str().into()),
        from_state: Set(c.from_state.map(|s| s.as_str().to_owned())),
        to_state: Set(c.to_state.as_str().into()),
        actor_id: Set(c.actor_id.as_deref().and_then(|a| Uuid::parse_str(a).ok())),
        actor_role: Set(c.actor_role.clone()),
        reason: Set(c.reason.clone()),
        data: Set(c.data.clone()),
        at: Set(c.at),
        prev_hash: Set(prev_hash.into()),
        hash: Set(hash.into()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// An action's validated input.
#[derive(Clone, Debug)]
pub enum ActionInput {
    /// Route to a department.
    Dispatch {
        /// The department.
        department_id: Uuid,
        /// A note for the department.
        note: Option<String>,
    },
    /// Decline.
    Reject {
        /// Why.
        reason: String,
        /// The order this duplicates.
        duplicate_of: Option<Uuid>,
    },
    /// Take and open to teams.
    Accept {
        /// Teams allowed to claim; `None` for all active teams.
        team_ids: Option<Vec<Uuid>>,
        /// A note for the teams.
        note: Option<String>,
    },
    /// Send back to the station.
    Return {
        /// Why.
        reason: String,
    },
    /// Claim for the leader's team.
    Claim {
        /// When the team plans to serve.
        planned_date: Option<NaiveDate>,
        /// A note.
        note: Option<String>,
    },
    /// Give back to the pool.
    Release {
        /// Why.
        reason: String,
    },
    /// Served.
    Complete {
        /// When.
        served_on: NaiveDate,
        /// Person-times served.
        attendees: i32,
        /// What was done.
        summary: String,
        /// Hours per volunteer.
        hours: Vec<(Uuid, Hours)>,
    },
    /// The resident's rating.
    Rate {
        /// 1–5.
        score: u8,
        /// Optional comment.
        comment: Option<String>,
    },
    /// Close without rating.
    Close,
    /// Withdraw or cancel.
    Cancel {
        /// Why (required of staff).
        reason: Option<String>,
    },
}

impl ActionInput {
    fn domain(&self) -> Action {
        match self {
            Self::Dispatch { department_id, .. } => Action::Dispatch {
                department_id: DepartmentId(*department_id),
            },
            Self::Reject { .. } => Action::Reject,
            Self::Accept { team_ids, .. } => Action::Accept {
                team_ids: team_ids
                    .as_ref()
                    .map(|ids| ids.iter().copied().map(TeamId).collect()),
            },
            Self::Return { .. } => Action::Return,
            Self::Claim { .. } => Action::Claim,
            Self::Release { .. } => Action::Release,
            Self::Complete { .. } => Action::Complete,
            Self::Rate { .. } => Action::Rate,
            Self::Close => Action::Close,
            Self::Cancel { reason } => Action::Cancel {
                has_reason: reason.is_some(),
            },
        }
    }

    /// The reason recorded on the event, and the rest of the input as event data.
    fn event_parts(&self, team_id: Option<Uuid>) -> (Option<String>, serde_json::Value) {
        match self {
            Self::Dispatch {
                department_id,
                note,
            } => (None, json!({"department_id": department_id, "note": note})),
            Self::Reject {
                reason,
                duplicate_of,
            } => (Some(reason.clone()), json!({"duplicate_of": duplicate_of})),
            Self::Accept { team_ids, note } => (None, json!({"team_ids": team_ids, "note": note})),
            Self::Return { reason } | Self::Release { reason } => (Some(reason.clone()), json!({})),
            Self::Claim { planned_date, note } => (
                None,
                json!({"team_id": team_id, "planned_date": planned_date, "note": note}),
            ),
            Self::Complete {
                served_on,
                attendees,
                summary,
                hours,
            } => (
                None,
                json!({
                    "served_on": served_on,
                    "attendees": attendees,
                    "summary": summary,
                    "hours": hours.iter().map(|(v, h)| json!({"volunteer_id": v, "hours": h.as_f64()})).collect::<Vec<_>>(),
                }),
            ),
            Self::Rate { score, comment } => (None, json!({"score": score, "comment": comment})),
            Self::Close => (None, json!({})),
            Self::Cancel { reason } => (reason.clone(), json!({})),
        }
    }
}

/// The order if it exists.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Option<orders::Model>> {
    Ok(orders::Entity::find_by_id(id).one(db).await?)
}

/// The order if it exists and the actor may see it; 404 otherwise.
pub async fn find_visible(
    db: &impl ConnectionTrait,
    id: Uuid,
    actor: &Actor,
) -> ApiResult<orders::Model> {
    match find(db, id).await? {
        Some(order) if order::can_view(&facts(&order), actor) => Ok(order),
        _ => Err(ApiError::NotFound),
    }
}

/// Checks input that needs the database (departments, teams, volunteers exist and qualify).
#[allow(
    clippy::collapsible_match,
    reason = "the checks await the database, which a match guard cannot"
)]
async fn check_action_input(
    db: &impl ConnectionTrait,
    order: &orders::Model,
    input: &ActionInput,
    today: NaiveDate,
) -> ApiResult<()> {
    let mut problems = Problems::new();
    match input {
        ActionInput::Dispatch { department_id, .. } => {
            if departments::Entity::find_by_id(*department_id)
                .one(db)
                .await?
                .is_none()
            {
                problems.add("department_id", "没有这个部门");
            }
        }
        ActionInput::Reject {
            duplicate_of: Some(dup),
            ..
        } => {
            if *dup == order.id || find(db, *dup).await?.is_none() {
                problems.add("duplicate_of", "没有这个订单");
            }
        }
        ActionInput::Accept {
            team_ids: Some(ids),
            ..
        } => {
            let unique: HashSet<Uuid> = ids.iter().copied().collect();
            let active = teams::Entity::find()
                .filter(teams::Column::Id.is_in(unique.iter().copied()))
                .filter(teams::Column::Active.eq(true))
                .count(db)
                .await?;
            if active != unique.len() as u64 {
                problems.add("team_ids", "含有不存在或已停用的服务队");
            }
        }
        ActionInput::Claim {
            planned_date: Some(date),
            ..
        } if *date < today => {
            problems.add("planned_date", "计划日期不能早于今天");
        }
        ActionInput::Complete {
            served_on, hours, ..
        } => {
            if *served_on > today {
                problems.add("served_on", "服务日期不能晚于今天");
            }
            check_hours(db, order, *served_on, hours, &mut problems).await?;
        }
        _ => {}
    }
    problems.into_result()
}

/// Each volunteer must be an approved member of the claiming team, listed once, and their
/// hours on `served_on` across all orders may not pass 24. This early check names every bad
/// field at once; `ledger::file_completion` checks the day again inside the transaction, with
/// the volunteer's row held, which is what holds when completions race.
async fn check_hours(
    db: &impl ConnectionTrait,
    order: &orders::Model,
    served_on: NaiveDate,
    hours: &[(Uuid, Hours)],
    problems: &mut Problems,
) -> ApiResult<()> {
    let Some(team_id) = order.team_id else {
        return Ok(());
    };
    let mut seen = HashSet::new();
    for (i, (volunteer_id, h)) in hours.iter().enumerate() {
        let field = format!("hours[{i}].volunteer_id");
        if !seen.insert(*volunteer_id) {
            problems.add(field, "同一志愿者只能填写一次");
            continue;
        }
        let member = team_members::Entity::find_by_id((team_id, *volunteer_id))
            .one(db)
            .await?;
        let approved = volunteers::Entity::find_by_id(*volunteer_id)
            .one(db)
            .await?
            .is_some_and(|v| v.state == kepu_domain::volunteer::VolunteerState::Approved.as_str());
        if member.is_none() || !approved {
            problems.add(field, "不是本服务队已审核通过的队员");
            continue;
        }
        let already = ledger::day_total(db, *volunteer_id, served_on).await?;
        if already + i64::from(h.halves()) > i64::from(Hours::MAX_PER_DAY.halves()) {
            problems.add(
                format!("hours[{i}].hours"),
                format!(
                    "该志愿者当天已登记{}小时，合计不能超过24小时",
                    already as f64 / 2.0
                ),
            );
        }
    }
    Ok(())
}

/// Takes `input` on order `id` as `acting`: the domain decides, the database arbitrates races.
pub async fn act(
    state: &AppState,
    acting: &Acting,
    id: Uuid,
    input: ActionInput,
    if_match: Option<i64>,
) -> ApiResult<orders::Model> {
    let (db, sla, today) = (&state.db, &state.settings.sla, state.today());
    let order = find(db, id).await?.ok_or(ApiError::NotFound)?;
    let before = facts(&order);
    let transition =
        order::decide(&before, &acting.actor, &input.domain()).map_err(ApiError::from_refusal)?;
    if let Some(expected) = if_match
        && expected != order.version
    {
        return Err(ApiError::Conflict {
            code: "order.version_mismatch",
            detail: format!(
                "the order is at version {}, not {expected}; reload it",
                order.version
            ),
            current_state: order.state.clone(),
        });
    }
    check_action_input(db, &order, &input, today).await?;

    let now = event_time(state.now());
    let kind = input.domain().kind();
    let (reason, data) = input.event_parts(transition.after.team_id.map(|t| t.0));
    let content = EventContent {
        order_id: id.to_string(),
        seq: order.version + 1,
        action: kind.into(),
        from_state: Some(transition.from),
        to_state: transition.to,
        actor_id: acting.user_id.map(|u| u.to_string()),
        actor_role: acting.actor.role_name().into(),
        reason,
        data: data.to_string(),
        at: now,
    };
    let hash = content.hash(&order.head_hash);

    let after = &transition.after;
    let mut update = orders::Entity::update_many()
        .col_expr(orders::Column::State, Expr::value(transition.to.as_str()))
        .col_expr(orders::Column::Version, Expr::value(order.version + 1))
        .col_expr(orders::Column::HeadHash, Expr::value(hash.clone()))
        .col_expr(
            orders::Column::DepartmentId,
            Expr::value(after.department_id.map(|d| d.0)),
        )
        .col_expr(
            orders::Column::TeamId,
            Expr::value(after.team_id.map(|t| t.0)),
        )
        .col_expr(
            orders::Column::ClaimScope,
            Expr::value(store_claim_scope(&after.claim_scope)),
        )
        .col_expr(orders::Column::UpdatedAt, Expr::value(now))
        .col_expr(orders::Column::StateEnteredAt, Expr::value(now))
        // A new state is a new deadline: the sweeper may escalate it again.
        .col_expr(
            orders::Column::EscalatedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .col_expr(
            orders::Column::DueAt,
            Expr::value(sla.due_at(transition.to, now)),
        );
    match &input {
        ActionInput::Claim { planned_date, .. } => {
            update = update.col_expr(orders::Column::PlannedDate, Expr::value(*planned_date));
        }
        ActionInput::Complete {
            served_on,
            attendees,
            summary,
            ..
        } => {
            update = update
                .col_expr(orders::Column::ServedOn, Expr::value(*served_on))
                .col_expr(orders::Column::Attendees, Expr::value(*attendees))
                .col_expr(orders::Column::Summary, Expr::value(summary.clone()));
        }
        ActionInput::Rate { score, comment } => {
            update = update
                .col_expr(orders::Column::RatingScore, Expr::value(i16::from(*score)))
                .col_expr(orders::Column::RatingComment, Expr::value(comment.clone()));
        }
        _ => {}
    }
    let update = update
        .filter(orders::Column::Id.eq(id))
        .filter(orders::Column::State.eq(order.state.as_str()))
        .filter(orders::Column::Version.eq(order.version));

    let txn = db.begin().await?;
    let changed = update.exec(&txn).await?.rows_affected;
    if changed == 0 {
        txn.rollback().await?;
        return Err(lost_race(db, id, &acting.actor, kind).await);
    }
    insert_event(&txn, &content, &order.head_hash, &hash).await?;
    if let (
        ActionInput::Complete {
            served_on,
            attendees,
            hours,
            ..
        },
        Some(team_id),
    ) = (&input, order.team_id)
    {
        let completion = ledger::Completion {
            order: &order,
            team_id,
            served_on: *served_on,
            attendees: *attendees,
            hours,
        };
        ledger::file_completion(&txn, completion, acting, now).await?;
    }
    if transition.from == OrderState::Completed && transition.to == OrderState::Cancelled {
        // A cancelled order is no longer a completed session.
        let mut deltas = Deltas::new();
        deltas.completed(
            &order.township_code,
            order.served_on.map_or(0, |d| d.year()),
            &order.theme_code,
            order.target_group_code.as_deref(),
            -1,
            -i64::from(order.attendees.unwrap_or(0)),
        );
        stats::apply(&txn, &deltas).await?;
    }
    let updated = find(&txn, id).await?.ok_or(ApiError::NotFound)?;
    notify::enqueue_for_event(
        &txn,
        &state.settings,
        content.action,
        &transition.after,
        &updated,
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Explains a conditional update that matched nothing: someone else changed the order first.
async fn lost_race(db: &DatabaseConnection, id: Uuid, actor: &Actor, kind: ActionKind) -> ApiError {
    match find(db, id).await {
        Ok(Some(now)) => {
            let state = order_state(&now.state);
            if !order::can_view(&facts(&now), actor) {
                return ApiError::invalid_transition(kind.as_str(), state);
            }
            match kind.target(state) {
                Some(_) => ApiError::Conflict {
                    code: "order.version_mismatch",
                    detail: "the order changed while this request was processed; reload and retry"
                        .into(),
                    current_state: state.to_string(),
                },
                None => ApiError::invalid_transition(kind.as_str(), state),
            }
        }
        Ok(None) => ApiError::NotFound,
        Err(err) => err,
    }
}

/// Filters of the order list.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    /// Only this state.
    pub state: Option<OrderState>,
    /// Only this theme.
    pub theme: Option<String>,
    /// Only this township.
    pub township: Option<String>,
    /// Only overdue (`true`) or only on time (`false`).
    pub overdue: Option<bool>,
    /// The order of the list.
    pub sort: OrderSort,
}

/// How an order list is sorted; each has its own keyset cursor.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderSort {
    /// Newest first (by the time-ordered id).
    #[default]
    Newest,
    /// Earliest deadline first, then by id; orders without a deadline (terminal) last.
    DueAt,
}

/// The cursor of a `due_at` list: the last row's deadline (or none) and id.
fn encode_due_cursor(due_at: Option<DateTime<Utc>>, id: Uuid) -> String {
    use base64::Engine;
    let due = due_at.map_or_else(|| "-".to_owned(), |d| d.timestamp_micros().to_string());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{due}|{id}"))
}

/// Decodes [`encode_due_cursor`]; anything else (a cursor of another sort, say) is a 422.
fn decode_due_cursor(cursor: &str) -> ApiResult<(Option<DateTime<Utc>>, Uuid)> {
    use base64::Engine;
    let bad = || ApiError::field("cursor", "无效的分页游标");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (due, id) = text.split_once('|').ok_or_else(bad)?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    let due = match due {
        "-" => None,
        micros => Some(
            micros
                .parse::<i64>()
                .ok()
                .and_then(DateTime::from_timestamp_micros)
                .ok_or_else(bad)?,
        ),
    };
    Ok((due, id))
}

/// The orders `actor` may see, newest first, one page at a time (keyset on the time-ordered id).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &OrderFilter,
    page: &Page,
    now: DateTime<Utc>,
) -> ApiResult<Paged<OrderView>> {
    let scope = match *actor {
        Actor::AssociationAdmin | Actor::System => Condition::all(),
        Actor::StationStaff { station_id } => {
            Condition::all().add(orders::Column::StationId.eq(station_id.0))
        }
        Actor::DepartmentStaff { department_id } => {
            Condition::all().add(orders::Column::DepartmentId.eq(department_id.0))
        }
        Actor::TeamLeader { team_id, .. } => Condition::any()
            .add(orders::Column::TeamId.eq(team_id.0))
            .add(orders::Column::ClaimScope.eq("*"))
            .add(orders::Column::ClaimScope.like(format!("%{}%", team_id.0))),
        Actor::Public | Actor::Resident { .. } | Actor::Volunteer { .. } => {
            return Err(ApiError::Forbidden("only staff can list orders".into()));
        }
    };
    let mut query = orders::Entity::find().filter(scope);
    if let Some(state) = filter.state {
        query = query.filter(orders::Column::State.eq(state.as_str()));
    }
    if let Some(theme) = &filter.theme {
        query = query.filter(orders::Column::ThemeCode.eq(theme.as_str()));
    }
    if let Some(township) = &filter.township {
        query = query.filter(orders::Column::TownshipCode.eq(township.as_str()));
    }
    match filter.overdue {
        Some(true) => query = query.filter(orders::Column::DueAt.lte(now)),
        Some(false) => {
            query = query.filter(
                Condition::any()
                    .add(orders::Column::DueAt.is_null())
                    .add(orders::Column::DueAt.gt(now)),
            )
        }
        None => {}
    }
    let view = |row: orders::Model| {
        let handling = order::is_handling(&facts(&row), actor);
        OrderView::new(row, handling, now)
    };
    if filter.sort == OrderSort::DueAt {
        if let Some(cursor) = &page.cursor {
            let after = match decode_due_cursor(cursor)? {
                (Some(due), id) => Condition::any()
                    .add(orders::Column::DueAt.gt(due))
                    .add(
                        Condition::all()
                            .add(orders::Column::DueAt.eq(due))
                            .add(orders::Column::Id.gt(id)),
                    )
                    .add(orders::Column::DueAt.is_null()),
                (None, id) => Condition::all()
                    .add(orders::Column::DueAt.is_null())
                    .add(orders::Column::Id.gt(id)),
            };
            query = query.filter(after);
        }
        let mut rows = query
            .order_by(orders::Column::DueAt.is_null(), sea_orm::Order::Asc)
            .order_by_asc(orders::Column::DueAt)
            .order_by_asc(orders::Column::Id)
            .limit(page.limit + 1)
            .all(db)
            .await?;
        let next_cursor = if rows.len() as u64 > page.limit {
            rows.truncate(page.limit as usize);
            rows.last().map(|r| encode_due_cursor(r.due_at, r.id))
        } else {
            None
        };
        return Ok(Paged {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        });
    }
    if let Some(cursor) = &page.cursor {
        query = query.filter(orders::Column::Id.lt(super::decode_cursor(cursor)?));
    }
    let rows = query
        .order_by_desc(orders::Column::Id)
        .limit(page.limit + 1)
        .all(db)
        .await?;
    Ok(super::keyset_page(rows, page.limit, |r| r.id, view))
}

/// An order's events, oldest first.
pub async fn events(db: &impl ConnectionTrait, id: Uuid) -> ApiResult<Vec<order_events::Model>> {
    Ok(order_events::Entity::find()
        .filter(order_events::Column::OrderId.eq(id))
        .order_by_asc(order_events::Column::Seq)
        .all(db)
        .await?)
}

/// Whether the stored events form an unbroken chain that replays to `state`.
pub fn chain_is_valid(events: &[order_events::Model], state: &str) -> bool {
    let chained: Option<Vec<ChainedEvent>> = events
        .iter()
        .map(|e| {
            Some(ChainedEvent {
                content: EventContent {
                    order_id: e.order_id.to_string(),
                    seq: e.seq,
                    action: e.action.parse().ok()?,
                    from_state: match &e.from_state {
                        Some(s) => Some(s.parse().ok()?),
                        None => None,
                    },
                    to_state: e.to_state.parse().ok()?,
                    actor_id: e.actor_id.map(|a| a.to_string()),
                    actor_role: e.actor_role.clone(),
                    reason: e.reason.clone(),
                    data: e.data.clone(),
                    at: e.at,
                },
                prev_hash: e.prev_hash.clone(),
                hash: e.hash.clone(),
            })
        })
        .collect();
    let Some(chained) = chained else {
        return false;
    };
    let steps: Vec<_> = chained
        .iter()
        .map(|c| order::RecordedStep {
            action: c.content.action,
            from: c.content.from_state,
            to: c.content.to_state,
        })
        .collect();
    verify_chain(&chained).is_ok() && order::replay(&steps).is_ok_and(|s| s.as_str() == state)
}

/// Verifies every order's chain; returns the ids of orders whose chain is broken.
pub async fn verify_all(db: &DatabaseConnection) -> ApiResult<(u64, Vec<Uuid>)> {
    let mut broken = Vec::new();
    let mut checked = 0;
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = orders::Entity::find()
            .order_by_asc(orders::Column::Id)
            .limit(500);
        if let Some(a) = after {
            q = q.filter(orders::Column::Id.gt(a));
        }
        let batch = q.all(db).await?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        for o in &batch {
            checked += 1;
            if !chain_is_valid(&events(db, o.id).await?, &o.state) {
                broken.push(o.id);
            }
        }
    }
    Ok((checked, broken))
}

/// The public view of an order: state, theme, township, timeline and who is handling it
/// (organisations only), never personal data.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TrackView {
    /// Tracking code.
    pub tracking_code: String,
    /// Current state.
    pub state: String,
    /// Current state in Chinese.
    pub state_label: String,
    /// Theme code.
    pub theme: String,
    /// Theme in Chinese.
    pub theme_name: String,
    /// Township code.
    pub township: String,
    /// Township in Chinese.
    pub township_name: String,
    /// The station handling it.
    pub station_name: Option<String>,
    /// The department responsible.
    pub department_name: Option<String>,
    /// The team serving it.
    pub team_name: Option<String>,
    /// Posted.
    pub created_at: DateTime<Utc>,
    /// The states it went through, with times.
    pub timeline: Vec<TimelineEntry>,
    /// Whether the resident may still cancel it.
    pub can_cancel: bool,
    /// Whether the resident may rate it now.
    pub can_rate: bool,
}

/// One step of the public timeline.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// The state entered.
    pub state: String,
    /// That state in Chinese.
    pub label: String,
    /// The action that led there.
    pub action: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// The public status of the order with this tracking code.
pub async fn track(db: &DatabaseConnection, code: &TrackingCode) -> ApiResult<TrackView> {
    let order = orders::Entity::find()
        .filter(orders::Column::TrackingCode.eq(code.as_ref()))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let state = order_state(&order.state);
    let timeline = events(db, order.id)
        .await?
        .into_iter()
        // Escalations are internal: they change no state, so the public timeline leaves them out.
        .filter(|e| e.action != EventKind::Escalate.as_str())
        .map(|e| {
            let to = order_state(&e.to_state);
            TimelineEntry {
                state: e.to_state,
                label: to.label_zh().into(),
                action: e.action,
                at: e.at,
            }
        })
        .collect();
    let theme = themes::Entity::find_by_id(order.theme_code.clone())
        .one(db)
        .await?;
    let township = townships::Entity::find_by_id(order.township_code.clone())
        .one(db)
        .await?;
    Ok(TrackView {
        tracking_code: order.tracking_code.clone(),
        state: state.to_string(),
        state_label: state.label_zh().into(),
        theme_name: theme.map(|t| t.name_zh).unwrap_or_default(),
        theme: order.theme_code.clone(),
        township_name: township.map(|t| t.name_zh).unwrap_or_default(),
        township: order.township_code.clone(),
        station_name: stations::Entity::find_by_id(order.station_id)
            .one(db)
            .await?
            .map(|s| s.name),
        department_name: match order.department_id {
            Some(id) => departments::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|d| d.name),
            None => None,
        },
        team_name: match order.team_id {
            Some(id) => teams::Entity::find_by_id(id).one(db).await?.map(|t| t.name),
            None => None,
        },
        created_at: order.created_at,
        timeline,
        can_cancel: matches!(
            state,
            OrderState::Submitted | OrderState::Dispatched | OrderState::Accepted
        ),
        can_rate: state == OrderState::Completed,
    })
}
