//! Everything about reaching RabbitMQ: settings and their precedence, TLS, AMQP and the
//! management HTTP API. Every command connects through here.

pub mod amqp;
pub mod api;
pub mod failover;
pub mod http;
pub mod publisher;
pub mod queue;
pub mod settings;
pub mod tls;
