//! sea-orm entities, one module per table. Only the service layer uses them; handlers see
//! domain types and response DTOs.
//!
//! Each table's file says what one of its rows is.

pub mod activities;
pub mod activity_signups;
pub mod calendar_tokens;
pub mod certificates;
pub mod departments;
pub mod idempotency_keys;
pub mod indicators;
pub mod login_failures;
pub mod notifications;
pub mod order_events;
pub mod orders;
pub mod refresh_tokens;
pub mod service_record_events;
pub mod service_records;
pub mod sessions;
pub mod stat_totals;
pub mod station_coverage;
pub mod stations;
pub mod target_groups;
pub mod team_invitations;
pub mod team_members;
pub mod teams;
pub mod themes;
pub mod townships;
pub mod users;
pub mod villages;
pub mod volunteer_years;
pub mod volunteers;
