//! The `kepu` service: HTTP API, persistence, authentication and the operators' CLI of
//! Kepu Dispatch. The business rules live in `kepu-domain`; this crate decides nothing on
//! its own, it parses input, asks the domain, and persists the answer.

pub mod auth;
pub mod cli;
pub mod config;
pub mod console;
pub mod db;
pub mod entity;
pub mod error;
pub mod extract;
pub mod html;
pub mod jobs;
pub mod notify;
pub mod paging;
pub mod routes;
pub mod seed;
pub mod service;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod web;
