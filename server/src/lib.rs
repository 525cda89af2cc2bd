//! The toex server as a library, so integration tests can start it in-process on port 0.
//! Only this crate knows HTTP.

pub mod access_cli;
pub mod cli;
pub mod commands;
mod graphql_http;
mod media;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod telemetry;
