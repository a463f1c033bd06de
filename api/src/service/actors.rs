//! Turning credentials into a domain [`Actor`].

use kepu_domain::{Actor, Role};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::db::Db;
use crate::entity::{orders, teams};
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;

/// The acting party with the account behind it, if any.
#[derive(Clone, Debug)]
pub struct Acting {
    /// The domain actor.
    pub actor: Actor,
    /// The signed-in account, if any (recorded on events).
    pub user_id: Option<Uuid>,
}

fn scope_missing() -> ApiError {
    ApiError::unauthorized("auth.invalid", "the token lacks the scope its role needs")
}

/// Resolves the caller: a user by their claims (a team leader's team must exist; whether it is
/// active decides claiming), a resident by their token's order (unknown token: 401).
pub async fn resolve(db: &Db, caller: &Caller) -> ApiResult<Acting> {
    match caller {
        Caller::Anonymous => Ok(Acting {
            actor: Actor::Public,
            user_id: None,
        }),
        Caller::Resident { token_hash } => {
            let order_id: Option<Uuid> = orders::Entity::find()
                .select_only()
                .column(orders::Column::Id)
                .filter(orders::Column::ResidentTokenHash.eq(token_hash.as_str()))
                .into_tuple()
                .one(db)
                .await?;
            let order_id = order_id.ok_or_else(|| {
                ApiError::unauthorized("auth.invalid", "the resident token is not valid")
            })?;
            Ok(Acting {
                actor: Actor::Resident {
                    order_id: order_id.into(),
                },
                user_id: None,
            })
        }
        Caller::User(claims) => {
            let actor = match claims.role {
                Role::AssociationAdmin => Actor::AssociationAdmin,
                Role::StationStaff => Actor::StationStaff {
                    station_id: claims.station_id.ok_or_else(scope_missing)?.into(),
                },
                Role::DepartmentStaff => Actor::DepartmentStaff {
                    department_id: claims.department_id.ok_or_else(scope_missing)?.into(),
                },
                Role::TeamLeader => {
                    let team_id = claims.team_id.ok_or_else(scope_missing)?;
                    let active: Option<bool> = teams::Entity::find_by_id(team_id)
                        .select_only()
                        .column(teams::Column::Active)
                        .into_tuple()
                        .one(db)
                        .await?;
                    Actor::TeamLeader {
                        team_id: team_id.into(),
                        team_active: active.ok_or_else(scope_missing)?,
                    }
                }
                Role::Volunteer => Actor::Volunteer {
                    volunteer_id: claims.volunteer_id.ok_or_else(scope_missing)?.into(),
                },
            };
            Ok(Acting {
                actor,
                user_id: Some(claims.sub),
            })
        }
    }
}

/// Only the association may do this: 401 without a user, 403 for other roles.
pub fn require_admin(caller: &Caller) -> ApiResult<&crate::auth::Claims> {
    let claims = caller.user()?;
    if claims.role == Role::AssociationAdmin {
        Ok(claims)
    } else {
        Err(ApiError::Forbidden(
            "only the association may do this".into(),
        ))
    }
}
