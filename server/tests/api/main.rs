//! Integration tests: a real `toex` on port 0 against a real embedded Neo4j, with real
//! GraphQL over HTTP. One test binary; one shared Neo4j per run; each test isolates its
//! data by unique ids. Set `TEST_LOG=1` to see server logs.

mod cases;
mod cluster;
mod config;
mod graphql;
mod hardening;
mod health;
mod helpers;
mod hotspots;
mod http_conformance;
mod import_alerts;
mod ingest;
mod jobs;
mod linkage;
mod models;
mod network;
mod notes;
mod outage;
mod profiles;
mod redaction;
mod security;
mod seized;
mod transcribe;
mod translate;
mod websocket;
mod workspace;
