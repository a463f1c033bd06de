//! Order states and action kinds, with the lifecycle table ([`ActionKind::transition`]).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The state of an order. Every order has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// 已点单: posted, waiting for the station.
    Submitted,
    /// 已派单: routed by the station to one department.
    Dispatched,
    /// 已领单: the department took it; open for teams to claim.
    Accepted,
    /// 已接单: one team claimed it and is serving it.
    Claimed,
    /// 已结单: served, hours filed; waiting for the resident's rating.
    Completed,
    /// 已评单: rated, or closed when the rating window ran out. Terminal.
    Closed,
    /// 已驳回: declined by the station. Terminal.
    Rejected,
    /// 已取消: withdrawn by the resident or cancelled by staff. Terminal.
    Cancelled,
}

impl OrderState {
    /// Every state, in lifecycle order.
    pub const ALL: [OrderState; 8] = [
        Self::Submitted,
        Self::Dispatched,
        Self::Accepted,
        Self::Claimed,
        Self::Completed,
        Self::Closed,
        Self::Rejected,
        Self::Cancelled,
    ];

    /// The wire name (`submitted`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Dispatched => "dispatched",
            Self::Accepted => "accepted",
            Self::Claimed => "claimed",
            Self::Completed => "completed",
            Self::Closed => "closed",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
        }
    }

    /// The Chinese label residents and staff see.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Submitted => "已点单",
            Self::Dispatched => "已派单",
            Self::Accepted => "已领单",
            Self::Claimed => "已接单",
            Self::Completed => "已结单",
            Self::Closed => "已评单",
            Self::Rejected => "已驳回",
            Self::Cancelled => "已取消",
        }
    }

    /// Terminal states allow no further action.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Closed | Self::Rejected | Self::Cancelled)
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderState {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(UnknownName)
    }
}

/// A name that is not one of the enumeration's wire names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown name")]
pub struct UnknownName;

/// The name of an action, without its input: what the URL `/orders/{id}/{action}` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Creates the order (`(new) → submitted`).
    Submit,
    /// `submitted → dispatched`.
    Dispatch,
    /// `submitted → rejected`.
    Reject,
    /// `dispatched → accepted`.
    Accept,
    /// `dispatched → submitted`.
    Return,
    /// `accepted → claimed`.
    Claim,
    /// `claimed → accepted`.
    Release,
    /// `claimed → completed`.
    Complete,
    /// `completed → closed`, by the resident.
    Rate,
    /// `completed → closed`, by the sweeper or the association.
    Close,
    /// Any non-terminal state `→ cancelled`.
    Cancel,
}

impl ActionKind {
    /// Every action, submit first.
    pub const ALL: [ActionKind; 11] = [
        Self::Submit,
        Self::Dispatch,
        Self::Reject,
        Self::Accept,
        Self::Return,
        Self::Claim,
        Self::Release,
        Self::Complete,
        Self::Rate,
        Self::Close,
        Self::Cancel,
    ];

    /// The wire name (`dispatch`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Dispatch => "dispatch",
            Self::Reject => "reject",
            Self::Accept => "accept",
            Self::Return => "return",
            Self::Claim => "claim",
            Self::Release => "release",
            Self::Complete => "complete",
            Self::Rate => "rate",
            Self::Close => "close",
            Self::Cancel => "cancel",
        }
    }

    /// The states this action may start from (for anyone allowed to take it at all), and the
    /// state it leads to. `None` for `submit`, which starts from nothing.
    pub fn transition(self) -> (&'static [OrderState], Option<OrderState>) {
        use OrderState::*;
        const NON_TERMINAL: &[OrderState] = &[Submitted, Dispatched, Accepted, Claimed, Completed];
        match self {
            Self::Submit => (&[], Some(Submitted)),
            Self::Dispatch => (&[Submitted], Some(Dispatched)),
            Self::Reject => (&[Submitted], Some(Rejected)),
            Self::Accept => (&[Dispatched], Some(Accepted)),
            Self::Return => (&[Dispatched], Some(Submitted)),
            Self::Claim => (&[Accepted], Some(Claimed)),
            Self::Release => (&[Claimed], Some(Accepted)),
            Self::Complete => (&[Claimed], Some(Completed)),
            Self::Rate | Self::Close => (&[Completed], Some(Closed)),
            Self::Cancel => (NON_TERMINAL, Some(Cancelled)),
        }
    }

    /// The state `from` leads to under this action, if the table allows it.
    pub fn target(self, from: OrderState) -> Option<OrderState> {
        let (froms, to) = self.transition();
        if froms.contains(&from) { to } else { None }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ActionKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or(UnknownName)
    }
}
