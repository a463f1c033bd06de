//! The tamper-evident history of an order: each event carries the hash of the one before it.
//!
//! The hash covers every recorded field with a length prefix, so no two different events
//! can hash the same input, and timestamps are cut to microseconds (what every database keeps)
//! so a stored event re-hashes to the same value.

#[cfg(test)]
use crate::order::ActionKind;
use crate::order::{EventKind, OrderState};
use chrono::{DateTime, SubsecRound, Utc};
use sha2::{Digest, Sha256};

/// The `prev_hash` of an order's first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one event, everything the hash covers except the previous hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventContent {
    /// The order, as text.
    pub order_id: String,
    /// Position in the order's history, from 1.
    pub seq: i64,
    /// The action taken, or the escalation noted.
    pub action: EventKind,
    /// The state before; `None` for submit.
    pub from_state: Option<OrderState>,
    /// The state after.
    pub to_state: OrderState,
    /// The acting account, if any.
    pub actor_id: Option<String>,
    /// The actor's role name.
    pub actor_role: String,
    /// A reason, where the action has one.
    pub reason: Option<String>,
    /// The action's other input as canonical JSON text (`{}` when none).
    pub data: String,
    /// When it happened, cut to microseconds.
    pub at: DateTime<Utc>,
}

/// Cuts a timestamp to microseconds, the precision both databases store.
pub fn event_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

impl EventContent {
    /// The hash of this event chained to `prev_hash`, as lower-case hex.
    pub fn hash(&self, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(b"kepu-event-v1");
        field(prev_hash.as_bytes());
        field(self.order_id.as_bytes());
        field(&self.seq.to_be_bytes());
        field(self.action.as_str().as_bytes());
        field(self.from_state.map_or("", OrderState::as_str).as_bytes());
        field(self.to_state.as_str().as_bytes());
        field(self.actor_id.as_deref().unwrap_or("").as_bytes());
        field(self.actor_role.as_bytes());
        field(self.reason.as_deref().unwrap_or("").as_bytes());
        field(self.data.as_bytes());
        field(
            event_time(self.at)
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .as_bytes(),
        );
        hex::encode(h.finalize())
    }
}

/// A stored event: its content and the two hashes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainedEvent {
    /// What happened.
    pub content: EventContent,
    /// The previous event's hash ([`GENESIS_HASH`] for the first).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// Why a chain does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// Event `seq` does not point at the hash of the one before it.
    #[error("event {seq} does not link to the previous event")]
    BrokenLink {
        /// The event's seq.
        seq: i64,
    },
    /// Event `seq`'s content does not hash to its stored hash: it was altered.
    #[error("event {seq} was altered")]
    Altered {
        /// The event's seq.
        seq: i64,
    },
    /// Seqs are not 1, 2, 3, …: an event is missing or inserted.
    #[error("event {seq} is out of sequence")]
    OutOfSequence {
        /// The event's seq.
        seq: i64,
    },
}

/// Verifies an order's events, in seq order: each links to the previous and hashes to its hash.
pub fn verify_chain(events: &[ChainedEvent]) -> Result<(), ChainError> {
    let mut prev = GENESIS_HASH;
    for (i, event) in events.iter().enumerate() {
        let seq = event.content.seq;
        if seq != i as i64 + 1 {
            return Err(ChainError::OutOfSequence { seq });
        }
        if event.prev_hash != prev {
            return Err(ChainError::BrokenLink { seq });
        }
        if event.content.hash(&event.prev_hash) != event.hash {
            return Err(ChainError::Altered { seq });
        }
        prev = &event.hash;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(
        seq: i64,
        action: ActionKind,
        from: Option<OrderState>,
        to: OrderState,
    ) -> EventContent {
        EventContent {
            order_id: "o1".into(),
            seq,
            action: action.into(),
            from_state: from,
            to_state: to,
            actor_id: None,
            actor_role: "public".into(),
            reason: None,
            data: "{}".into(),
            at: event_time(Utc::now()),
        }
    }

    fn chain() -> Vec<ChainedEvent> {
        let steps = [
            content(1, ActionKind::Submit, None, OrderState::Submitted),
            content(
                2,
                ActionKind::Dispatch,
                Some(OrderState::Submitted),
                OrderState::Dispatched,
            ),
            content(
                3,
                ActionKind::Cancel,
                Some(OrderState::Dispatched),
                OrderState::Cancelled,
            ),
        ];
        let mut prev = GENESIS_HASH.to_owned();
        steps
            .into_iter()
            .map(|c| {
                let hash = c.hash(&prev);
                let event = ChainedEvent {
                    content: c,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                event
            })
            .collect()
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify_chain(&chain()), Ok(()));
        assert_eq!(verify_chain(&[]), Ok(()));
    }

    #[test]
    fn any_alteration_is_detected() {
        let mut altered = chain();
        altered[1].content.reason = Some("edited".into());
        assert_eq!(verify_chain(&altered), Err(ChainError::Altered { seq: 2 }));

        let mut relinked = chain();
        relinked[2].prev_hash = GENESIS_HASH.into();
        assert_eq!(
            verify_chain(&relinked),
            Err(ChainError::BrokenLink { seq: 3 })
        );

        let mut dropped = chain();
        dropped.remove(1);
        assert_eq!(
            verify_chain(&dropped),
            Err(ChainError::OutOfSequence { seq: 3 })
        );
    }

    #[test]
    fn field_boundaries_matter() {
        let mut a = content(1, ActionKind::Submit, None, OrderState::Submitted);
        let mut b = a.clone();
        a.actor_role = "ab".into();
        a.reason = Some("c".into());
        b.actor_role = "a".into();
        b.reason = Some("bc".into());
        assert_ne!(a.hash(GENESIS_HASH), b.hash(GENESIS_HASH));
    }
}
