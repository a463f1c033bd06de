//! People: accounts, volunteers and their review (team membership is in `membership`).

use chrono::{DateTime, Utc};
use kepu_domain::Role;
use kepu_domain::stats::{Deltas, month_key};
use kepu_domain::volunteer::{Review, VolunteerState};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth;
use crate::db::Db;
use crate::entity::{departments, stations, teams, users, volunteers};
use crate::error::{ApiError, ApiResult, Problems};
use crate::paging::Page;
use crate::paging::Paged;
use crate::service::idempotency::{self, Idempotency};
use crate::service::sessions::UserView;
use crate::service::stats;

/// A new account's validated input.
#[derive(Debug)]
pub struct NewUser {
    /// Login name (lower-case).
    pub username: String,
    /// Password in clear, hashed here.
    pub password: String,
    /// Role.
    pub role: Role,
    /// Display name.
    pub display_name: String,
    /// Email.
    pub email: Option<String>,
    /// Station scope.
    pub station_id: Option<Uuid>,
    /// Department scope.
    pub department_id: Option<Uuid>,
    /// Team scope.
    pub team_id: Option<Uuid>,
    /// Volunteer record.
    pub volunteer_id: Option<Uuid>,
}

/// Creates an account; the scope its role needs must exist (422 otherwise).
pub async fn create_user(db: &Db, new: NewUser, now: DateTime<Utc>) -> ApiResult<UserView> {
    let mut problems = Problems::new();
    let needed: (&str, Option<Uuid>) = match new.role {
        Role::AssociationAdmin => ("", None),
        Role::StationStaff => ("station_id", new.station_id),
        Role::DepartmentStaff => ("department_id", new.department_id),
        Role::TeamLeader => ("team_id", new.team_id),
        Role::Volunteer => ("volunteer_id", new.volunteer_id),
    };
    match needed {
        ("", _) => {}
        (field, None) => problems.add(field, format!("角色 {} 必须指定 {field}", new.role)),
        (field, Some(id)) => {
            let exists = match new.role {
                Role::StationStaff => stations::Entity::find_by_id(id).one(db).await?.is_some(),
                Role::DepartmentStaff => {
                    departments::Entity::find_by_id(id).one(db).await?.is_some()
                }
                Role::TeamLeader => teams::Entity::find_by_id(id).one(db).await?.is_some(),
                _ => volunteers::Entity::find_by_id(id).one(db).await?.is_some(),
            };
            if !exists {
                problems.add(field, "不存在");
            }
        }
    }
    problems.into_result()?;
    let password = new.password;
    let hash = auth::hash_password_async(password).await?;
    let keep = |field: &str, id: Option<Uuid>| if needed.0 == field { id } else { None };
    let row = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(new.username),
        password_hash: Set(hash),
        role: Set(new.role.as_str().into()),
        display_name: Set(new.display_name),
        email: Set(new.email),
        station_id: Set(keep("station_id", new.station_id)),
        department_id: Set(keep("department_id", new.department_id)),
        team_id: Set(keep("team_id", new.team_id)),
        volunteer_id: Set(keep("volunteer_id", new.volunteer_id)),
        active: Set(true),
        notify_non_urgent: Set(true),
        must_change_password: Set(false),
        created_at: Set(now),
    };
    match users::Entity::insert(row).exec_with_returning(db).await {
        Ok(model) => UserView::try_from(model),
        Err(e) if super::is_unique_violation(&e) => {
            Err(ApiError::field("username", "用户名已被使用"))
        }
        Err(e) => Err(e.into()),
    }
}

/// A volunteer as the association sees it (ID number masked).
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct VolunteerView {
    /// Id.
    pub id: Uuid,
    /// Real name.
    pub real_name: String,
    /// Phone, masked.
    pub phone: String,
    /// Township code.
    pub township: String,
    /// Skills.
    pub skills: String,
    /// ID number, masked, if given.
    pub id_number: Option<String>,
    /// Review state.
    pub state: String,
    /// Reason of a rejection or suspension.
    pub review_reason: Option<String>,
    /// Registered.
    pub created_at: chrono::DateTime<Utc>,
    /// Last reviewed or changed.
    pub updated_at: chrono::DateTime<Utc>,
}

impl VolunteerView {
    /// The view of a row; `full` shows the phone unmasked (the association, the volunteer).
    pub fn new(v: volunteers::Model, full: bool) -> Self {
        Self {
            id: v.id,
            real_name: v.real_name,
            phone: if full {
                v.phone
            } else {
                kepu_domain::value::mask_phone(&v.phone)
            },
            township: v.township_code,
            skills: v.skills,
            id_number: v
                .id_number
                .as_deref()
                .map(kepu_domain::value::mask_id_number),
            state: v.state,
            review_reason: v.review_reason,
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// A registration's validated input.
#[derive(Debug)]
pub struct NewVolunteer {
    /// Real name.
    pub real_name: String,
    /// Mobile number; also the login name.
    pub phone: String,
    /// Township code.
    pub township: String,
    /// Skills.
    pub skills: String,
    /// ID number.
    pub id_number: Option<String>,
    /// Email of the volunteer's account, for notifications.
    pub email: Option<String>,
    /// Password.
    pub password: String,
}

/// Registers a volunteer (`pending`) with a volunteer account whose login is the phone number.
/// Whether the phone is already registered is said only when the rest of the registration is
/// valid, so the form is no free "is this number registered?" oracle.
pub async fn register_volunteer(
    db: &Db,
    new: NewVolunteer,
    idem: Option<Idempotency>,
    now: DateTime<Utc>,
) -> ApiResult<VolunteerView> {
    if let Some(idem) = &idem
        && let Some(stored) = idempotency::lookup(db, idem).await?
    {
        return Ok(stored);
    }
    let mut problems = Problems::new();
    if crate::entity::townships::Entity::find_by_id(new.township.clone())
        .one(db)
        .await?
        .is_none()
    {
        problems.add("township", "没有这个苏木镇");
    }
    problems.into_result()?;
    let phone_taken = volunteers::Entity::find()
        .filter(volunteers::Column::Phone.eq(new.phone.as_str()))
        .one(db)
        .await?
        .is_some()
        || users::Entity::find()
            .filter(users::Column::Username.eq(new.phone.as_str()))
            .one(db)
            .await?
            .is_some();
    if phone_taken {
        return Err(ApiError::field("phone", "这个手机号已经注册"));
    }
    let hash = auth::hash_password_async(new.password.clone()).await?;
    let id = Uuid::now_v7();
    let txn = db.begin().await?;
    let inserted = volunteers::Entity::insert(volunteers::ActiveModel {
        id: Set(id),
        real_name: Set(new.real_name.clone()),
        phone: Set(new.phone.clone()),
        township_code: Set(new.township),
        skills: Set(new.skills),
        id_number: Set(new.id_number),
        state: Set(VolunteerState::Pending.as_str().into()),
        review_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        confirmed_halves: Set(0),
        pending_halves: Set(0),
        approved_on: Set(None),
    })
    .exec_with_returning(&txn)
    .await;
    let volunteer = match inserted {
        Ok(v) => v,
        Err(e) if super::is_unique_violation(&e) => {
            txn.rollback().await?;
            if let Some(idem) = &idem
                && let Some(stored) = idempotency::lookup(db, idem).await?
            {
                return Ok(stored);
            }
            return Err(ApiError::field("phone", "这个手机号已经注册"));
        }
        Err(e) => return Err(e.into()),
    };
    users::Entity::insert(users::ActiveModel {
        id: Set(Uuid::now_v7()),
        username: Set(new.phone),
        password_hash: Set(hash),
        role: Set(Role::Volunteer.as_str().into()),
        display_name: Set(new.real_name),
        email: Set(new.email),
        station_id: Set(None),
        department_id: Set(None),
        team_id: Set(None),
        volunteer_id: Set(Some(id)),
        active: Set(true),
        notify_non_urgent: Set(true),
        must_change_password: Set(false),
        created_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    let view = VolunteerView::new(volunteer, true);
    let (view, _replayed) = idempotency::commit(txn, db, idem.as_ref(), 201, view, now).await?;
    Ok(view)
}

/// Applies a review; a review that does not apply to the current state is 409. An approval
/// queues the volunteer's notification in the same transaction.
pub async fn review_volunteer(
    db: &Db,
    settings: &crate::config::Settings,
    id: Uuid,
    review: Review,
    reason: Option<String>,
    at: DateTime<Utc>,
) -> ApiResult<VolunteerView> {
    let v = volunteers::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let from: VolunteerState = v
        .state
        .parse()
        .map_err(|_| anyhow::anyhow!("stored volunteer state {} is unknown", v.state))?;
    let conflict = |current: &str| ApiError::Conflict {
        code: "volunteer.invalid_transition",
        detail: format!("cannot {review:?} a volunteer who is {current}").to_lowercase(),
        current_state: current.to_owned(),
    };
    let to = review.target(from).ok_or_else(|| conflict(from.as_str()))?;
    // The approved count moves in the same transaction as the review.
    let mut deltas = Deltas::new();
    let counted = |s: VolunteerState| i64::from(s == VolunteerState::Approved);
    deltas.approved(&v.township_code, counted(to) - counted(from));
    // An approval of a registration (not the lifting of a suspension) is counted in the month
    // it happens, for the dashboard's monthly chart.
    let first_approval = from == VolunteerState::Pending && to == VolunteerState::Approved;
    let today = at.with_timezone(&settings.timezone).date_naive();
    if first_approval {
        deltas.approved_in_month(&v.township_code, month_key(today), 1);
    }
    let txn = db.begin().await?;
    let mut update = volunteers::Entity::update_many();
    if first_approval {
        update = update.col_expr(volunteers::Column::ApprovedOn, Expr::value(today));
    }
    let changed = update
        .col_expr(volunteers::Column::State, Expr::value(to.as_str()))
        .col_expr(volunteers::Column::ReviewReason, Expr::value(reason))
        .col_expr(volunteers::Column::UpdatedAt, Expr::value(at))
        .filter(volunteers::Column::Id.eq(id))
        .filter(volunteers::Column::State.eq(from.as_str()))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 0 {
        txn.rollback().await?;
        let now = volunteers::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(ApiError::NotFound)?;
        return Err(conflict(&now.state));
    }
    stats::apply(&txn, &deltas).await?;
    let now = volunteers::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound)?;
    if to == VolunteerState::Approved && from == VolunteerState::Pending {
        crate::notify::enqueue_volunteer_approved(&txn, settings, id, &now.real_name, at).await?;
    }
    txn.commit().await?;
    Ok(VolunteerView::new(now, true))
}

/// One volunteer as the association and the volunteer themselves see them (phone in full);
/// 404 when there is none.
pub async fn volunteer(db: &Db, id: Uuid) -> ApiResult<VolunteerView> {
    let v = volunteers::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(VolunteerView::new(v, true))
}

/// Volunteers, newest first, optionally in one state.
pub async fn list_volunteers(
    db: &Db,
    state: Option<VolunteerState>,
    page: &Page,
) -> ApiResult<Paged<VolunteerView>> {
    let mut q = volunteers::Entity::find();
    if let Some(state) = state {
        q = q.filter(volunteers::Column::State.eq(state.as_str()));
    }
    let rows = crate::paging::newest_first(db, q, volunteers::Column::Id, page).await?;
    Ok(crate::paging::keyset_page(
        rows,
        page.limit,
        |v| v.id,
        |v| VolunteerView::new(v, true),
    ))
}
