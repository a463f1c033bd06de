//! Pure business rules of Kepu Dispatch.
//!
//! Everything here is deterministic and free of I/O: activities and attendance ([`activity`]), the order state machine and who may drive
//! it ([`order`]), validated value types that make bad input unrepresentable ([`value`]), routing
//! of new orders to stations ([`routing`]), deadlines ([`sla`]), the tamper-evident event chain
//! ([`event`]), who is told about what ([`notice`]), volunteers' review states and star levels
//! ([`volunteer`]), the per-account login slow-down ([`login`]), the hours ledger ([`ledger`]) and the running totals and plan indicators
//! ([`stats`]). The `api` crate
//! parses raw input into these types and persists what they decide.

pub mod activity;
pub mod event;
pub mod ids;
pub mod ledger;
pub mod login;
pub mod notice;
pub mod order;
pub mod routing;
pub mod sla;
pub mod stats;
pub mod value;
pub mod volunteer;

pub use ids::*;
pub use order::{
    Action, ActionKind, Actor, ClaimScope, EventKind, OrderFacts, OrderState, Refusal, Role,
};
pub use value::{FieldError, ParseError};
