//! Team membership with the volunteer's consent. The association adds a volunteer to a team at
//! once; a team's leader only invites, and the volunteer accepts or declines. Until they accept
//! they are not a member: the leader sees none of their hours or certificates and cannot file
//! hours in their name.

use chrono::{DateTime, Utc};
use kepu_domain::volunteer::VolunteerState;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::Db;
use crate::entity::{team_invitations, team_members, teams, volunteers};
use crate::error::{ApiError, ApiResult};

/// An invitation waiting for the volunteer's answer.
pub const INVITED: &str = "invited";
/// An invitation the volunteer accepted: they are a member.
pub const ACCEPTED: &str = "accepted";
/// An invitation the volunteer declined.
pub const DECLINED: &str = "declined";

/// A member of a team with their confirmed hours.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// The team.
    pub team_id: Uuid,
    /// The volunteer.
    pub volunteer_id: Uuid,
    /// Real name.
    pub real_name: String,
    /// Always `member`.
    pub state: &'static str,
    /// The volunteer's review state (`approved`, `suspended`, …).
    pub volunteer_state: String,
    /// Joined.
    pub joined_at: DateTime<Utc>,
    /// Confirmed hours on record.
    pub confirmed_hours: f64,
}

/// A leader's invitation of a volunteer into their team.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    /// Id, for `/me/invitations/{id}/accept` and `/decline`.
    pub id: Uuid,
    /// The inviting team.
    pub team_id: Uuid,
    /// Its name.
    pub team_name: String,
    /// The invited volunteer.
    pub volunteer_id: Uuid,
    /// `invited`, `accepted` or `declined`.
    pub state: String,
    /// When the (latest) invitation was sent.
    pub invited_at: DateTime<Utc>,
    /// When the volunteer answered.
    pub answered_at: Option<DateTime<Utc>>,
}

impl InvitationView {
    fn new(row: team_invitations::Model, team_name: String) -> Self {
        Self {
            id: row.id,
            team_id: row.team_id,
            team_name,
            volunteer_id: row.volunteer_id,
            state: row.state,
            invited_at: row.created_at,
            answered_at: row.answered_at,
        }
    }
}

fn already_member() -> ApiError {
    ApiError::Conflict {
        code: "team.already_member",
        detail: "the volunteer is already a member of this team".into(),
        current_state: "member".into(),
    }
}

/// The team (404 when unknown) and the volunteer, who must exist and be approved (422 on
/// `volunteer_id` otherwise).
async fn team_and_volunteer(
    db: &Db,
    team: Uuid,
    volunteer: Uuid,
) -> ApiResult<(teams::Model, volunteers::Model)> {
    let t = teams::Entity::find_by_id(team)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let v = volunteers::Entity::find_by_id(volunteer)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::field("volunteer_id", "没有这个志愿者"))?;
    if v.state != VolunteerState::Approved.as_str() {
        return Err(ApiError::field(
            "volunteer_id",
            "只有审核通过的志愿者可以加入服务队",
        ));
    }
    Ok((t, v))
}

/// Adds an approved volunteer to a team at once (the association): 404 unknown team, 422
/// unknown or not approved volunteer, 409 already a member. An open invitation of the same
/// pair is moot afterwards and is removed in the same transaction.
pub async fn add_member(
    db: &Db,
    team: Uuid,
    volunteer: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<MemberView> {
    let (_, v) = team_and_volunteer(db, team, volunteer).await?;
    let txn = db.begin().await?;
    let result = team_members::Entity::insert(team_members::ActiveModel {
        team_id: Set(team),
        volunteer_id: Set(volunteer),
        joined_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await;
    match result {
        Ok(_) => {}
        Err(e) if super::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Err(already_member());
        }
        Err(e) => return Err(e.into()),
    }
    team_invitations::Entity::delete_many()
        .filter(team_invitations::Column::TeamId.eq(team))
        .filter(team_invitations::Column::VolunteerId.eq(volunteer))
        .filter(team_invitations::Column::State.eq(INVITED))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(MemberView {
        team_id: team,
        volunteer_id: v.id,
        real_name: v.real_name,
        state: "member",
        volunteer_state: v.state,
        joined_at: now,
        confirmed_hours: v.confirmed_halves as f64 / 2.0,
    })
}

/// Invites an approved volunteer into `team` (its leader, `invited_by`). The checks are those
/// of [`add_member`]. Inviting again while the invitation is open answers the same invitation;
/// after a decline it opens the invitation again (the volunteer may decline again).
pub async fn invite(
    db: &Db,
    team: Uuid,
    volunteer: Uuid,
    invited_by: Uuid,
    now: DateTime<Utc>,
) -> ApiResult<InvitationView> {
    let (t, _) = team_and_volunteer(db, team, volunteer).await?;
    if is_member(db, team, volunteer).await? {
        return Err(already_member());
    }
    let pair = || {
        team_invitations::Entity::find()
            .filter(team_invitations::Column::TeamId.eq(team))
            .filter(team_invitations::Column::VolunteerId.eq(volunteer))
    };
    // At most two rounds: a concurrent first invitation of the same pair wins the insert, and
    // this request then answers with that one.
    for _ in 0..2 {
        match pair().one(db).await? {
            Some(row) if row.state == INVITED => return Ok(InvitationView::new(row, t.name)),
            Some(row) => {
                // Declined (or accepted and no longer a member): invite again.
                team_invitations::Entity::update_many()
                    .col_expr(team_invitations::Column::State, Expr::value(INVITED))
                    .col_expr(team_invitations::Column::CreatedAt, Expr::value(now))
                    .col_expr(
                        team_invitations::Column::AnsweredAt,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .col_expr(
                        team_invitations::Column::InvitedBy,
                        Expr::value(Some(invited_by)),
                    )
                    .filter(team_invitations::Column::Id.eq(row.id))
                    .filter(team_invitations::Column::State.eq(row.state.as_str()))
                    .exec(db)
                    .await?;
            }
            None => {
                let inserted = team_invitations::Entity::insert(team_invitations::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    team_id: Set(team),
                    volunteer_id: Set(volunteer),
                    invited_by: Set(Some(invited_by)),
                    state: Set(INVITED.into()),
                    created_at: Set(now),
                    answered_at: Set(None),
                })
                .exec_without_returning(db)
                .await;
                match inserted {
                    Ok(_) => {}
                    Err(e) if super::is_unique_violation(&e) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    let row = pair()
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the invitation just written is gone"))?;
    Ok(InvitationView::new(row, t.name))
}

async fn team_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> ApiResult<HashMap<Uuid, String>> {
    Ok(teams::Entity::find()
        .filter(teams::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect())
}

/// The volunteer's open invitations, newest first.
pub async fn invitations(db: &Db, volunteer: Uuid) -> ApiResult<Vec<InvitationView>> {
    let rows = team_invitations::Entity::find()
        .filter(team_invitations::Column::VolunteerId.eq(volunteer))
        .filter(team_invitations::Column::State.eq(INVITED))
        .order_by_desc(team_invitations::Column::CreatedAt)
        .order_by_desc(team_invitations::Column::Id)
        .all(db)
        .await?;
    let names = team_names(db, rows.iter().map(|r| r.team_id)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let name = names.get(&r.team_id).cloned().unwrap_or_default();
            InvitationView::new(r, name)
        })
        .collect())
}

/// The volunteer's answer to invitation `id`: 404 when it is not theirs, 409
/// `invitation.answered` when it was already answered. Accepting needs the volunteer to be
/// approved still (409 `volunteer.not_approved`) and makes them a member in the same
/// transaction.
pub async fn answer(
    db: &Db,
    volunteer: Uuid,
    id: Uuid,
    accept: bool,
    now: DateTime<Utc>,
) -> ApiResult<InvitationView> {
    let find = || {
        team_invitations::Entity::find_by_id(id)
            .filter(team_invitations::Column::VolunteerId.eq(volunteer))
    };
    let row = find().one(db).await?.ok_or(ApiError::NotFound)?;
    let answered = |state: &str| ApiError::Conflict {
        code: "invitation.answered",
        detail: format!("this invitation is already {state}"),
        current_state: state.to_owned(),
    };
    if row.state != INVITED {
        return Err(answered(&row.state));
    }
    if accept {
        let v = volunteers::Entity::find_by_id(volunteer)
            .one(db)
            .await?
            .ok_or(ApiError::NotFound)?;
        if v.state != VolunteerState::Approved.as_str() {
            return Err(ApiError::Conflict {
                code: "volunteer.not_approved",
                detail: "only an approved volunteer can join a team".into(),
                current_state: v.state,
            });
        }
    }
    let to = if accept { ACCEPTED } else { DECLINED };
    let txn = db.begin().await?;
    let changed = team_invitations::Entity::update_many()
        .col_expr(team_invitations::Column::State, Expr::value(to))
        .col_expr(team_invitations::Column::AnsweredAt, Expr::value(Some(now)))
        .filter(team_invitations::Column::Id.eq(id))
        .filter(team_invitations::Column::State.eq(INVITED))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 0 {
        // Answered meanwhile (a second tab, a double tap).
        txn.rollback().await?;
        let now = find().one(db).await?.ok_or(ApiError::NotFound)?;
        return Err(answered(&now.state));
    }
    if accept {
        // Already a member (the association added them meanwhile) is fine.
        team_members::Entity::insert(team_members::ActiveModel {
            team_id: Set(row.team_id),
            volunteer_id: Set(volunteer),
            joined_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([
                team_members::Column::TeamId,
                team_members::Column::VolunteerId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    let row = find()
        .one(&txn)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the invitation just answered is gone"))?;
    let name = team_names(&txn, [row.team_id])
        .await?
        .remove(&row.team_id)
        .unwrap_or_default();
    txn.commit().await?;
    Ok(InvitationView::new(row, name))
}

/// A team's members with their confirmed hours.
pub async fn members(db: &Db, team: Uuid) -> ApiResult<Vec<MemberView>> {
    teams::Entity::find_by_id(team)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let links = team_members::Entity::find()
        .filter(team_members::Column::TeamId.eq(team))
        .all(db)
        .await?;
    // Two queries whatever the team's size: links, then their volunteers with their sums.
    let ids: Vec<Uuid> = links.iter().map(|l| l.volunteer_id).collect();
    let people: HashMap<Uuid, volunteers::Model> = volunteers::Entity::find()
        .filter(volunteers::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    Ok(links
        .into_iter()
        .filter_map(|link| {
            let v = people.get(&link.volunteer_id)?;
            Some(MemberView {
                team_id: team,
                volunteer_id: v.id,
                real_name: v.real_name.clone(),
                state: "member",
                volunteer_state: v.state.clone(),
                joined_at: link.joined_at,
                confirmed_hours: v.confirmed_halves as f64 / 2.0,
            })
        })
        .collect())
}

/// Whether `team` has `volunteer` as a member (an invitation not yet accepted does not count).
pub async fn is_member(db: &Db, team: Uuid, volunteer: Uuid) -> ApiResult<bool> {
    Ok(team_members::Entity::find_by_id((team, volunteer))
        .one(db)
        .await?
        .is_some())
}
