//! Background jobs: the outbox worker (`notify::outbox::deliver_due`) and the SLA sweeper
//! (`service::sweeper::sweep`). Each is one round run every interval by the same loop; a round
//! that fails (the database away, say) is logged and the next one tries again. Both are safe in
//! several instances at once, so every instance runs them.

use chrono::{DateTime, Utc};
use std::future::Future;
use std::time::Duration;

use crate::error::ApiResult;
use crate::notify::outbox::{self, DeliveryReport};
use crate::service::sweeper::{self, SweepReport};
use crate::state::AppState;

/// What a round did, logged when it did anything.
trait Round {
    /// Logs the round's work, if there was any.
    fn log(&self);
}

impl Round for DeliveryReport {
    fn log(&self) {
        if self.claimed > 0 {
            tracing::info!(
                sent = self.sent,
                retrying = self.retrying,
                parked = self.parked,
                "outbox delivery"
            );
        }
    }
}

impl Round for SweepReport {
    fn log(&self) {
        if self.escalated + self.closed + self.reminders_sent > 0 || self.check_outs_closed > 0 {
            tracing::info!(
                escalated = self.escalated,
                closed = self.closed,
                check_outs_closed = self.check_outs_closed,
                reminders_sent = self.reminders_sent,
                "sla sweep"
            );
        }
    }
}

/// Starts the outbox worker and the SLA sweeper, each unless its interval is 0 (tests drive
/// both themselves with their own clock).
pub fn start(state: &AppState) {
    let mail = &state.settings.mail;
    if mail.interval_secs > 0 {
        tokio::spawn(every(
            state.clone(),
            "outbox delivery",
            Duration::from_secs(mail.interval_secs),
            |state, now| async move { outbox::deliver_due(&state, now).await },
        ));
    }
    if mail.sweep_interval_secs > 0 {
        tokio::spawn(every(
            state.clone(),
            "sla sweep",
            Duration::from_secs(mail.sweep_interval_secs),
            |state, now| async move { sweeper::sweep(&state, now).await },
        ));
    }
}

/// Runs `round` every `period` at the injected clock's time, for as long as the process lives.
async fn every<R, F, Fut>(state: AppState, name: &'static str, period: Duration, round: F)
where
    R: Round,
    F: Fn(AppState, DateTime<Utc>) -> Fut,
    Fut: Future<Output = ApiResult<R>>,
{
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match round(state.clone(), state.now()).await {
            Ok(report) => report.log(),
            Err(e) => tracing::warn!(error = ?e, job = name, "background round failed"),
        }
    }
}
