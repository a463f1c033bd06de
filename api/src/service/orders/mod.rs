//! Orders: the order-claim model's one resource. Each room holds one part of its life:
//! - [`draft`]: a new order as sent, checked into domain values;
//! - [`submit`]: storing it, routed to a station, with its first event (点单);
//! - [`action`] and [`act`]: the actions that move it on, judged by the domain (派单 … 评单);
//! - [`list`], [`track`] and [`chain`]: reading it — the staff's lists, the public status,
//!   the hash-chained history;
//! - [`read`]: an order as one actor may see it;
//! - [`triage`]: what staff see beside an order to decide on it (duplicates, a suggested
//!   department, the actions open to them, counts per state);
//! - [`row`]: the one mapping from stored rows to domain facts;
//! - [`view`]: what clients see of it.

pub mod act;
pub mod action;
pub mod chain;
pub mod draft;
pub mod list;
pub mod read;
pub mod row;
pub mod submit;
pub mod track;
pub mod triage;
pub mod view;

pub use act::act;
pub use action::ActionInput;
pub use chain::{
    EventHistory, EventView, chain_is_valid, events, history, insert_event, verify_all,
};
pub use draft::{NewOrder, OrderDraft};
pub use list::{OrderFilter, OrderSort, list};
pub use read::{VisibleOrder, find, find_visible};
pub use submit::{Channel, Submitted, submit};
pub use track::{TimelineEntry, TrackView, track};
pub use view::{OrderView, SubmittedOrder};
