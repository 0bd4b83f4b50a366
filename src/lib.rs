//! warren: a command-line operations toolkit for RabbitMQ. The binary in `main.rs` only
//! parses, runs and maps errors to exit codes; everything else lives in these modules.

pub mod audit;
pub mod broker;
pub mod cli;
pub mod cmd;
pub mod exit;
pub mod flags;
pub mod health;
pub mod input;
pub mod json;
pub mod list;
pub mod message;
pub mod ops;
pub mod output;
pub mod pace;
pub mod perf;
pub mod rabbit;
pub mod replay;
pub mod route;
pub mod show;
pub mod suggest;
pub mod topology;
