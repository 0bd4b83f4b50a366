//! RabbitMQ's own rules, pure: which bindings a message reaches (`routing`), which policy
//! applies to a queue or an exchange (`policy`), where dead letters go (`dead_letter`), and
//! where quorum queues' leaders and members live (`placement`).
//! One floor below the features: route, replay, move, topology, audit, show and list use
//! these rules and none of them import another feature for one (ARCHITECTURE.md).

pub mod dead_letter;
pub mod headers;
pub mod placement;
pub mod policy;
pub mod routing;
pub mod version;
