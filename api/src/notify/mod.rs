//! Email notifications through a transactional outbox.
//!
//! An action that should tell people something calls [`enqueue_for_event`] (or
//! [`enqueue_volunteer_approved`]) inside its own transaction: the messages are rendered and
//! stored as `pending` rows of `notifications`, so they exist exactly when the action does.
//! [`outbox::deliver_due`] sends them later, with retries; see `docs/notifications.md`.

pub mod mailer;
pub mod outbox;
pub mod templates;

use chrono::{DateTime, Utc};
use kepu_domain::notice::{self, Audience, MessageKind};
use kepu_domain::{ClaimScope, EventKind, OrderFacts, Role};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use std::collections::HashSet;
use uuid::Uuid;

pub use mailer::Mailer;

use crate::config::Settings;
use crate::entity::{notifications, orders, teams, users};
use crate::error::ApiResult;
use templates::{Rendered, Subject};

/// One address to write to.
#[derive(Clone, Debug)]
struct Recipient {
    email: String,
    user_id: Option<Uuid>,
}

/// Writes the messages that `event` on `order` (its row after the event, `after` its facts)
/// sends, per the table of [`notice::audience`]. Call inside the transaction of the event.
/// Returns how many messages were queued.
pub async fn enqueue_for_event(
    txn: &impl ConnectionTrait,
    settings: &Settings,
    event: EventKind,
    after: &OrderFacts,
    order: &orders::Model,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let recipients = recipients_for_event(txn, event, after, order).await?;
    enqueue(txn, settings, recipients, after, order, now).await
}

/// Who is told of `event`: each message kind with its addresses, one message per address and
/// kind even when a person is in two audiences. All the audiences' accounts are one query.
async fn recipients_for_event(
    db: &impl ConnectionTrait,
    event: EventKind,
    after: &OrderFacts,
    order: &orders::Model,
) -> ApiResult<Recipients> {
    let audiences = notice::audience(event, after);
    // The accounts of every audience in one query, then sorted into audiences here.
    let conditions: Vec<Condition> = audiences
        .iter()
        .filter_map(|(_, audience)| audience_condition(audience))
        .collect();
    let accounts = if conditions.is_empty() {
        vec![]
    } else {
        let any = conditions
            .into_iter()
            .fold(Condition::any(), Condition::add);
        accounts_where(db, any).await?
    };
    let mut told: HashSet<(MessageKind, String)> = HashSet::new();
    let mut planned = Vec::new();
    for (kind, audience) in audiences {
        let recipients: Vec<Recipient> = match &audience {
            Audience::Resident => resident(order),
            other => addressed(&accounts, other, kind.is_urgent()),
        }
        .into_iter()
        .filter(|r| told.insert((kind, r.email.to_lowercase())))
        .collect();
        if !recipients.is_empty() {
            planned.push((kind, recipients));
        }
    }
    Ok(Recipients(planned))
}

/// The addresses an event's messages go to, by kind ([`recipients_for_event`]).
#[derive(Debug)]
struct Recipients(Vec<(MessageKind, Vec<Recipient>)>);

/// Renders the messages about `order` (its row after the event) for `recipients` and writes
/// them in one statement. Returns how many.
async fn enqueue(
    txn: &impl ConnectionTrait,
    settings: &Settings,
    recipients: Recipients,
    after: &OrderFacts,
    order: &orders::Model,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let mut rows = Vec::new();
    for (kind, to) in recipients.0 {
        let about = Subject::Order(templates::OrderFacts {
            id: order.id,
            tracking_code: &order.tracking_code,
            description: &order.description,
            state: after.state,
            due_at: order.due_at,
        });
        let rendered =
            templates::render(kind, &about, &settings.mail.public_url, settings.timezone);
        rows.extend(
            to.iter()
                .map(|r| row(r, Some(order.id), kind, &rendered, now)),
        );
    }
    let queued = rows.len();
    if queued > 0 {
        notifications::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(queued)
}

/// Queues the approval message to the volunteer's account, if it has an email. Call inside the
/// transaction of the approval.
pub async fn enqueue_volunteer_approved(
    txn: &impl ConnectionTrait,
    settings: &Settings,
    volunteer_id: Uuid,
    real_name: &str,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let (kind, audience) = notice::volunteer_approved(volunteer_id.into());
    let recipients = resolve_users(txn, &audience, kind.is_urgent()).await?;
    let rendered = templates::render(
        kind,
        &Subject::Volunteer { real_name },
        &settings.mail.public_url,
        settings.timezone,
    );
    for r in &recipients {
        insert(txn, r, None, kind, &rendered, now).await?;
    }
    Ok(recipients.len())
}

/// Queues `kind` about an activity (`rendered`) to one volunteer's account, if it is active,
/// has an email and has not switched non-urgent mail off. Call inside the transaction of the
/// change that causes it. Returns how many messages were queued (0 or 1).
pub async fn enqueue_to_volunteer(
    txn: &impl ConnectionTrait,
    volunteer_id: Uuid,
    order_id: Uuid,
    kind: MessageKind,
    rendered: &Rendered,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let recipients = resolve_users(
        txn,
        &Audience::Volunteer(volunteer_id.into()),
        kind.is_urgent(),
    )
    .await?;
    for r in &recipients {
        insert(txn, r, Some(order_id), kind, rendered, now).await?;
    }
    Ok(recipients.len())
}

async fn insert(
    txn: &impl ConnectionTrait,
    to: &Recipient,
    order_id: Option<Uuid>,
    kind: MessageKind,
    rendered: &Rendered,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    notifications::Entity::insert(row(to, order_id, kind, rendered, now))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// A `pending` message to `to`, due now.
fn row(
    to: &Recipient,
    order_id: Option<Uuid>,
    kind: MessageKind,
    rendered: &Rendered,
    now: DateTime<Utc>,
) -> notifications::ActiveModel {
    notifications::ActiveModel {
        id: Set(Uuid::now_v7()),
        recipient: Set(to.email.clone()),
        user_id: Set(to.user_id),
        order_id: Set(order_id),
        kind: Set(kind.as_str().into()),
        subject: Set(rendered.subject.clone()),
        body_text: Set(rendered.text.clone()),
        body_html: Set(rendered.html.clone()),
        state: Set(outbox::PENDING.into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        lock_token: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
    }
}

/// The resident's address from the order, if they left one.
fn resident(order: &orders::Model) -> Vec<Recipient> {
    order
        .contact_email
        .iter()
        .filter(|e| !e.trim().is_empty())
        .map(|e| Recipient {
            email: e.clone(),
            user_id: None,
        })
        .collect()
}

/// Active accounts of an audience that have an email and, unless `urgent`, have not switched
/// non-urgent mail off.
async fn resolve_users(
    db: &impl ConnectionTrait,
    audience: &Audience,
    urgent: bool,
) -> ApiResult<Vec<Recipient>> {
    let Some(condition) = audience_condition(audience) else {
        return Ok(vec![]);
    };
    let accounts = accounts_where(db, condition).await?;
    Ok(addressed(&accounts, audience, urgent))
}

/// Which accounts an audience is, as a query condition; `None` when it has no accounts.
fn audience_condition(audience: &Audience) -> Option<Condition> {
    Some(match audience {
        Audience::StationStaff(s) => Condition::all()
            .add(users::Column::Role.eq(Role::StationStaff.as_str()))
            .add(users::Column::StationId.eq(s.0)),
        Audience::DepartmentStaff(d) => Condition::all()
            .add(users::Column::Role.eq(Role::DepartmentStaff.as_str()))
            .add(users::Column::DepartmentId.eq(d.0)),
        Audience::TeamLeaders(scope) => {
            let mut active = Query::select();
            active
                .column(teams::Column::Id)
                .from(teams::Entity)
                .and_where(teams::Column::Active.eq(true));
            match scope {
                ClaimScope::Closed => return None,
                ClaimScope::AllActiveTeams => {}
                ClaimScope::Teams(list) => {
                    active.and_where(teams::Column::Id.is_in(list.iter().map(|t| t.0)));
                }
            }
            Condition::all()
                .add(users::Column::Role.eq(Role::TeamLeader.as_str()))
                .add(users::Column::TeamId.in_subquery(active))
        }
        Audience::AssociationAdmins => {
            Condition::all().add(users::Column::Role.eq(Role::AssociationAdmin.as_str()))
        }
        Audience::Volunteer(v) => Condition::all()
            .add(users::Column::Role.eq(Role::Volunteer.as_str()))
            .add(users::Column::VolunteerId.eq(v.0)),
        Audience::Resident => return None,
    })
}

/// Whether `user`, one of the accounts [`audience_condition`] found, belongs to `audience`.
/// (A team leader found is in an active team of the scope: the condition's subquery says so.)
fn in_audience(user: &users::Model, audience: &Audience) -> bool {
    let role = |r: Role| user.role == r.as_str();
    match audience {
        Audience::StationStaff(s) => role(Role::StationStaff) && user.station_id == Some(s.0),
        Audience::DepartmentStaff(d) => {
            role(Role::DepartmentStaff) && user.department_id == Some(d.0)
        }
        Audience::TeamLeaders(scope) => {
            role(Role::TeamLeader)
                && match scope {
                    ClaimScope::Closed => false,
                    ClaimScope::AllActiveTeams => true,
                    ClaimScope::Teams(list) => list.iter().any(|t| user.team_id == Some(t.0)),
                }
        }
        Audience::AssociationAdmins => role(Role::AssociationAdmin),
        Audience::Volunteer(v) => role(Role::Volunteer) && user.volunteer_id == Some(v.0),
        Audience::Resident => false,
    }
}

/// Active accounts with an email that match `condition`, in id order.
async fn accounts_where(
    db: &impl ConnectionTrait,
    condition: Condition,
) -> ApiResult<Vec<users::Model>> {
    Ok(users::Entity::find()
        .filter(condition)
        .filter(users::Column::Active.eq(true))
        .filter(users::Column::Email.is_not_null())
        .order_by_asc(users::Column::Id)
        .all(db)
        .await?)
}

/// The addresses of `audience` among `accounts`: those with an email and, unless `urgent`,
/// non-urgent mail on.
fn addressed(accounts: &[users::Model], audience: &Audience, urgent: bool) -> Vec<Recipient> {
    accounts
        .iter()
        .filter(|u| in_audience(u, audience) && (urgent || u.notify_non_urgent))
        .filter_map(|u| {
            u.email
                .as_ref()
                .filter(|e| !e.trim().is_empty())
                .map(|email| Recipient {
                    email: email.clone(),
                    user_id: Some(u.id),
                })
        })
        .collect()
}
