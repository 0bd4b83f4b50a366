//! RabbitMQ versions, as the rules that differ between them read one.

/// A RabbitMQ version ("4.3.6", "3.10.8-1") as (major, minor); `None` when it doesn't start
/// with two numbers.
pub fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split(['.', '-']);
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}
