//! From stored rows to domain facts. Rows are written only by this service, so a value the
//! domain does not know (a state, a claim scope) means corrupt data: it becomes an internal
//! error naming the row, which is logged, and never a silent default that would feed a
//! permission decision.

use kepu_domain::order::{ClaimScope, OrderFacts, OrderState};
use uuid::Uuid;

use crate::entity::orders;
use crate::error::ApiError;

/// The error for a stored value the domain does not know.
fn corrupt(order: Uuid, what: &str, value: &str) -> ApiError {
    ApiError::Internal(anyhow::anyhow!(
        "order {order}: stored {what} {value:?} is not one the service writes"
    ))
}

/// Parses a stored order state.
pub fn parse_state(order: Uuid, stored: &str) -> Result<OrderState, ApiError> {
    stored.parse().map_err(|_| corrupt(order, "state", stored))
}

/// Parses a stored claim scope: `NULL` (closed), `*` (every active team) or a JSON list of
/// team ids.
pub fn parse_claim_scope(order: Uuid, stored: Option<&str>) -> Result<ClaimScope, ApiError> {
    match stored {
        None => Ok(ClaimScope::Closed),
        Some("*") => Ok(ClaimScope::AllActiveTeams),
        Some(list) => serde_json::from_str::<Vec<Uuid>>(list)
            .map(|ids| ClaimScope::Teams(ids.into_iter().map(Into::into).collect()))
            .map_err(|_| corrupt(order, "claim scope", list)),
    }
}

/// The stored form of a claim scope (the inverse of [`parse_claim_scope`]).
pub fn store_claim_scope(scope: &ClaimScope) -> Option<String> {
    match scope {
        ClaimScope::Closed => None,
        ClaimScope::AllActiveTeams => Some("*".into()),
        ClaimScope::Teams(teams) => {
            let ids: Vec<String> = teams.iter().map(|t| format!("\"{}\"", t.0)).collect();
            Some(format!("[{}]", ids.join(",")))
        }
    }
}

impl TryFrom<&orders::Model> for OrderFacts {
    type Error = ApiError;

    /// What the rules need of a row.
    fn try_from(order: &orders::Model) -> Result<Self, ApiError> {
        Ok(Self {
            id: order.id.into(),
            state: parse_state(order.id, &order.state)?,
            station_id: order.station_id.into(),
            department_id: order.department_id.map(Into::into),
            team_id: order.team_id.map(Into::into),
            claim_scope: parse_claim_scope(order.id, order.claim_scope.as_deref())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kepu_domain::TeamId;

    #[test]
    fn claim_scopes_round_trip() {
        let id = Uuid::now_v7();
        for scope in [
            ClaimScope::Closed,
            ClaimScope::AllActiveTeams,
            ClaimScope::Teams(vec![TeamId::new(), TeamId::new()]),
            ClaimScope::Teams(vec![]),
        ] {
            let stored = store_claim_scope(&scope);
            assert_eq!(parse_claim_scope(id, stored.as_deref()).unwrap(), scope);
        }
    }

    #[test]
    fn unknown_stored_values_are_errors_not_defaults() {
        let id = Uuid::now_v7();
        assert!(matches!(
            parse_state(id, "archived"),
            Err(ApiError::Internal(_))
        ));
        assert!(matches!(
            parse_claim_scope(id, Some("[not json")),
            Err(ApiError::Internal(_))
        ));
        assert_eq!(parse_state(id, "claimed").unwrap(), OrderState::Claimed);
    }
}
