//! The integration test binary: every test starts the real `kepu` server on port 0 against a
//! fresh database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set) and talks HTTP to it.

// `clippy.toml` allows unwrap/expect inside #[test] functions only; the helpers every test file
// keeps beside its tests (and the `helpers` module) are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod mail_server;

mod accounts;
mod activities;
mod auth;
mod certificates;
mod concurrency;
mod console;
mod console_activities;
mod console_admin;
mod console_volunteer;
mod console_volunteers;
mod conventions;
mod crash;
mod dashboard;
mod deadlines;
mod exports;
mod import;
mod ledger;
mod lifecycle;
mod membership;
mod migrations;
mod notifications;
mod open311;
mod people;
mod permissions;
mod stats;
mod trust;
mod web;
