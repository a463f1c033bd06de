//! Who the caller is to an order's activity. The order's visibility rules come first, as
//! everywhere (`order::can_view`): a caller who may not see the order gets 404. Of those who may,
//! staff in scope read, the claiming team's leader runs the activity, and the claiming team's
//! members (volunteer accounts) sign up and check in. Every other combination is 403, except
//! volunteers outside the team and other teams' leaders, who do not see it at all (404).

use kepu_domain::order::{self, Actor, OrderFacts, OrderState};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::db::Db;
use crate::entity::{activities, orders, team_members};
use crate::error::{ApiError, ApiResult};
use crate::extract::Caller;
use crate::service::actors::{self, Acting};

/// The caller's part in an order's activity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Staff who may see the order (its station, its department, the association).
    Staff,
    /// The leader of the claiming team.
    Leader {
        /// Their team.
        team_id: Uuid,
    },
    /// A volunteer who is a member of the claiming team.
    Member {
        /// Their volunteer record.
        volunteer_id: Uuid,
    },
}

/// A caller's access to an order's activity.
#[derive(Debug)]
pub struct Access {
    /// The order.
    pub order: orders::Model,
    /// Its state.
    pub state: OrderState,
    /// The caller's part.
    pub role: Role,
    /// The caller as acting party.
    pub acting: Acting,
}

impl Access {
    /// The claiming team (the order is claimed or was, by this team).
    pub fn team_id(&self) -> ApiResult<Uuid> {
        self.order.team_id.ok_or(ApiError::NotFound)
    }

    /// Only the claiming team's leader: 403 for anyone else who may see the activity.
    pub fn leader(&self) -> ApiResult<Uuid> {
        match self.role {
            Role::Leader { team_id } => Ok(team_id),
            _ => Err(ApiError::Forbidden(
                "only the leader of the claiming team runs the activity".into(),
            )),
        }
    }

    /// Only a member of the claiming team: 403 for anyone else who may see the activity.
    pub fn member(&self) -> ApiResult<Uuid> {
        match self.role {
            Role::Member { volunteer_id } => Ok(volunteer_id),
            _ => Err(ApiError::Forbidden(
                "only the claiming team's volunteers sign up and check in".into(),
            )),
        }
    }

    /// The order must still be claimed: 409 with its state otherwise.
    pub fn claimed(&self) -> ApiResult<()> {
        if self.state == OrderState::Claimed {
            Ok(())
        } else {
            Err(super::roster::conflict(
                "activity.order_not_claimed",
                "the activity can change only while the order is claimed",
                self.state.as_str(),
            ))
        }
    }

    /// The activity, if the claiming team has scheduled one: 404 otherwise.
    pub async fn activity(&self, db: &impl ConnectionTrait) -> ApiResult<activities::Model> {
        let team = self.team_id()?;
        activities::Entity::find_by_id(self.order.id)
            .one(db)
            .await?
            .filter(|a| a.team_id == team)
            .ok_or(ApiError::NotFound)
    }
}

/// Resolves the caller's access to order `order_id`'s activity: 401 without a signed-in user,
/// 404 when they may not see it.
pub async fn access(db: &Db, caller: &Caller, order_id: Uuid) -> ApiResult<Access> {
    caller.user()?;
    let acting = actors::resolve(db, caller).await?;
    let order = orders::Entity::find_by_id(order_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)?;
    let facts = OrderFacts::try_from(&order)?;
    let role = match acting.actor {
        Actor::Volunteer { volunteer_id } => {
            let team = order.team_id.ok_or(ApiError::NotFound)?;
            team_members::Entity::find_by_id((team, volunteer_id.0))
                .one(db)
                .await?
                .ok_or(ApiError::NotFound)?;
            Role::Member {
                volunteer_id: volunteer_id.0,
            }
        }
        Actor::TeamLeader { team_id, .. } => {
            if facts.team_id != Some(team_id) {
                return Err(ApiError::NotFound);
            }
            Role::Leader { team_id: team_id.0 }
        }
        ref staff => {
            if !order::can_view(&facts, staff) {
                return Err(ApiError::NotFound);
            }
            Role::Staff
        }
    };
    Ok(Access {
        state: facts.state,
        order,
        role,
        acting,
    })
}
