//! Team members, and the volunteer's consent: the association adds a volunteer at once, a
//! team's leader invites, and the volunteer accepts or declines at `/me/invitations`.

use actix_web::{HttpResponse, get, post, web};
use kepu_domain::Role;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem, Problems};
use crate::extract::{ApiJson, Caller};
use crate::paging::Paged;
use crate::service::membership::{self as svc, InvitationView, MemberView};
use crate::service::parse_id;
use crate::state::AppState;

/// A volunteer to add to, or invite into, a team.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MemberBody {
    /// An approved volunteer.
    #[schema(required = true)]
    pub volunteer_id: Option<String>,
}

fn team_leader_or_admin(caller: &Caller, team: Uuid) -> ApiResult<Role> {
    let claims = caller.user()?;
    match claims.role {
        Role::AssociationAdmin => Ok(claims.role),
        Role::TeamLeader if claims.team_id == Some(team) => Ok(claims.role),
        Role::TeamLeader => Err(ApiError::NotFound),
        _ => Err(ApiError::Forbidden(
            "only the association and the team's leader manage members".into(),
        )),
    }
}

/// Adds an approved volunteer to a team. The association adds at once (201, `state:
/// "member"`); the team's leader invites (202, `state: "invited"`), and the volunteer becomes
/// a member only when they accept. Inviting again while the invitation is open answers the same
/// invitation (202); inviting a member is 409 `team.already_member`.
#[utoipa::path(tag = "people", request_body = MemberBody, params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses(
        (status = 201, description = "added (association)", body = MemberView),
        (status = 202, description = "invited (the team's leader)", body = InvitationView),
        (status = 400, description = "malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "neither the association nor a team leader", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "unknown team, or another team's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already a member (`team.already_member`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "volunteer_id missing, unknown or not approved", body = Problem, content_type = "application/problem+json")))]
#[post("/teams/{id}/members")]
pub async fn add_team_member(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: ApiJson<MemberBody>,
) -> ApiResult<HttpResponse> {
    let team = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    let role = team_leader_or_admin(&caller, team)?;
    let mut p = Problems::new();
    let raw = p
        .require("volunteer_id", body.body.volunteer_id.as_deref())
        .map(|_| ());
    let volunteer =
        raw.and_then(|_| parse_id(&mut p, "volunteer_id", body.body.volunteer_id.as_deref()));
    let volunteer = p.finish(|| volunteer)?;
    if role == Role::AssociationAdmin {
        let member = svc::add_member(&state.db, team, volunteer, state.now()).await?;
        return Ok(HttpResponse::Created().json(member));
    }
    let leader = caller.user()?.sub;
    let invitation = svc::invite(&state.db, team, volunteer, leader, state.now()).await?;
    Ok(HttpResponse::Accepted().json(invitation))
}

/// A team's members with their confirmed hours (association, the team's leader and members).
/// Invited volunteers who have not accepted are not members.
#[utoipa::path(tag = "people", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = Paged<MemberView>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
#[get("/teams/{id}/members")]
pub async fn list_team_members(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let team = Uuid::parse_str(&path).map_err(|_| ApiError::NotFound)?;
    let claims = caller.user()?;
    let allowed = match (claims.role, claims.volunteer_id) {
        (Role::Volunteer, Some(v)) => svc::is_member(&state.db, team, v).await?,
        _ => team_leader_or_admin(&caller, team).is_ok(),
    };
    if !allowed {
        return Err(match claims.role {
            Role::TeamLeader | Role::Volunteer => ApiError::NotFound,
            _ => ApiError::Forbidden(
                "only the association, the team's leader and members see members".into(),
            ),
        });
    }
    Ok(HttpResponse::Ok().json(Paged::all(svc::members(&state.db, team).await?)))
}

/// The signed-in volunteer's record id; other roles have no invitations (403).
fn volunteer_of(caller: &Caller) -> ApiResult<Uuid> {
    let claims = caller.user()?;
    match (claims.role, claims.volunteer_id) {
        (Role::Volunteer, Some(id)) => Ok(id),
        _ => Err(ApiError::Forbidden(
            "only volunteers are invited into teams".into(),
        )),
    }
}

/// The signed-in volunteer's open invitations into teams, newest first.
#[utoipa::path(tag = "people", security(("bearer" = [])),
    responses((status = 200, body = Paged<InvitationView>),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a volunteer", body = Problem, content_type = "application/problem+json")))]
#[get("/me/invitations")]
pub async fn list_invitations(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<HttpResponse> {
    let volunteer = volunteer_of(&caller)?;
    Ok(HttpResponse::Ok().json(Paged::all(svc::invitations(&state.db, volunteer).await?)))
}

async fn answer(
    state: &AppState,
    caller: &Caller,
    raw_id: &str,
    accept: bool,
) -> ApiResult<HttpResponse> {
    let volunteer = volunteer_of(caller)?;
    let id = Uuid::parse_str(raw_id).map_err(|_| ApiError::NotFound)?;
    let view = svc::answer(&state.db, volunteer, id, accept, state.now()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Accepts an invitation: the volunteer becomes a member of the team (`state: "accepted"`).
#[utoipa::path(tag = "people", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = InvitationView),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a volunteer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such invitation of this volunteer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already answered (`invitation.answered`), or the volunteer is no longer approved (`volunteer.not_approved`); `current_state` says which", body = Problem, content_type = "application/problem+json")))]
#[post("/me/invitations/{id}/accept")]
pub async fn accept_invitation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    answer(&state, &caller, &path, true).await
}

/// Declines an invitation (`state: "declined"`); the leader may invite again later.
#[utoipa::path(tag = "people", params(("id" = Uuid, Path)), security(("bearer" = [])),
    responses((status = 200, body = InvitationView),
        (status = 401, description = "not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "not a volunteer", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such invitation of this volunteer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "already answered (`invitation.answered`)", body = Problem, content_type = "application/problem+json")))]
#[post("/me/invitations/{id}/decline")]
pub async fn decline_invitation(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    answer(&state, &caller, &path, false).await
}
