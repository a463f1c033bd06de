//! The application state every handler receives: the database, settings, token keys, rate
//! limits and the clock. Built once at start-up and injected, so tests can swap any part.

use chrono::{DateTime, Utc};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use crate::auth::TokenKeys;
use crate::config::Settings;
use crate::db::Db;
use crate::error::{ApiError, ApiResult};

/// The source of "now", injectable so deadline tests can move time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Which public endpoint family a request counts against; each has its own budget per client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limited {
    /// `POST /auth/login`.
    Login,
    /// `POST /orders`.
    Submit,
    /// `GET /track/{code}`.
    Track,
    /// `POST /volunteers`.
    Register,
}

/// Per-client request budgets for the public endpoints (`KEPU_RATE_LIMIT` a minute each).
pub struct RateLimits {
    limiters: Option<[DefaultKeyedRateLimiter<IpAddr>; 4]>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("enabled", &self.limiters.is_some())
            .finish()
    }
}

impl RateLimits {
    /// Budgets of `per_minute` requests per client; 0 switches limiting off.
    pub fn new(per_minute: u32) -> Self {
        let limiters = NonZeroU32::new(per_minute).map(|n| {
            let quota = Quota::per_minute(n);
            [
                RateLimiter::keyed(quota),
                RateLimiter::keyed(quota),
                RateLimiter::keyed(quota),
                RateLimiter::keyed(quota),
            ]
        });
        Self { limiters }
    }

    /// Counts one request of `client` against `family`; over budget is a 429 with the wait.
    pub fn check(&self, family: Limited, client: IpAddr) -> ApiResult<()> {
        let Some(limiters) = &self.limiters else {
            return Ok(());
        };
        let limiter = &limiters[family as usize];
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::RateLimited {
                retry_after: wait.as_secs().max(1),
            }
        })?;
        if limiter.len() > 100_000 {
            limiter.retain_recent();
        }
        Ok(())
    }
}

/// Shared state of the running service.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// The settings it was started with.
    pub settings: Arc<Settings>,
    /// Access-token keys.
    pub keys: TokenKeys,
    /// Public endpoints' budgets.
    pub limits: Arc<RateLimits>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Where the outbox sends mail.
    pub mailer: Arc<crate::notify::mailer::Mailer>,
    /// Derives the resident tokens of idempotent submits.
    pub resident_keys: crate::auth::ResidentKeys,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(***)")
    }
}

impl AppState {
    /// The current instant by the injected clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today in the deployment's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now()
            .with_timezone(&self.settings.timezone)
            .date_naive()
    }
}
