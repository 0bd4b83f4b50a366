//! Reading doctor's samples: one queue in depth (the management API and a passive declare),
//! and every queue of a vhost (or all) in the cheap totals form, to rank them for `--top`.
//! Reads only: nothing is consumed, peeked or changed.

use std::collections::BTreeSet;

use anyhow::Result;
use serde::Serialize;

use super::{Sample, Source};
use crate::broker::api::{Connection, Consumer, Node, Queue};
use crate::broker::http::{ManagementApi, Pages, api_path};

/// At most this many bound exchanges are read for the routing check.
const MAX_SOURCES: usize = 20;

/// One sample of `queue`: the queue's API view (a missing queue or vhost is an error), its
/// consumers, the vhost's connections, the nodes, the bound exchanges' counters, and the
/// depth by passive declare on `connection`. A read that fails, other than the queue's own,
/// leaves its part unknown.
pub async fn take(
    api: &ManagementApi,
    connection: Option<&lapin::Connection>,
    vhost: &str,
    queue: &str,
    version: &str,
) -> Result<Sample> {
    let info = crate::broker::queue::get(api, vhost, queue);
    let (consumers_path, connections_path) = (
        api_path(&["consumers", vhost]),
        api_path(&["vhosts", vhost, "connections"]),
    );
    let consumers = api.list::<Consumer>(&consumers_path, Pages::Whole);
    let connections = api.list::<Connection>(&connections_path, Pages::Whole);
    let nodes = api.list::<Node>("/api/nodes", Pages::Whole);
    let sources = sources(api, vhost, queue);
    let depth = async {
        match connection {
            Some(c) => Some(crate::broker::queue::depth(c, queue).await),
            None => None,
        }
    };
    let (info, consumers, connections, nodes, sources, depth) =
        tokio::join!(info, consumers, connections, nodes, sources, depth);
    let info = info?;
    let (depth, declare_error) = match depth {
        Some(Ok((ready, _))) => (Some(ready), None),
        Some(Err(e)) => (None, Some(format!("{e:#}"))),
        None => (None, Some("no AMQP connection".to_string())),
    };
    let (nodes, nodes_error) = match nodes {
        Ok(nodes) => (nodes, None),
        Err(e) => (Vec::new(), Some(format!("{e:#}"))),
    };
    Ok(Sample {
        consumers: consumers
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.queue.name == queue)
            .collect(),
        queue: info,
        connections: connections.unwrap_or_default(),
        nodes,
        nodes_error,
        depth,
        declare_error,
        sources: sources.ok(),
        version: version.to_string(),
    })
}

/// The exchanges bound to the queue (the default exchange aside) with their `publish_in`.
async fn sources(api: &ManagementApi, vhost: &str, queue: &str) -> Result<Vec<Source>> {
    let bindings: Vec<crate::broker::api::Binding> = api
        .list(
            &api_path(&["queues", vhost, queue, "bindings"]),
            Pages::Whole,
        )
        .await?;
    let names: BTreeSet<String> = bindings
        .into_iter()
        .map(|b| b.source)
        .filter(|s| !s.is_empty())
        .take(MAX_SOURCES)
        .collect();
    let reads = names.into_iter().map(|exchange| async move {
        let path = api_path(&["exchanges", vhost, &exchange]);
        let info: serde_json::Value = api.get(&path).await?;
        let published_in = info["message_stats"]["publish_in"].as_u64().or_else(|| {
            // Statistics on, nothing received yet: the counter is not listed.
            info["message_stats"].is_object().then_some(0)
        });
        anyhow::Ok(Source {
            exchange,
            published_in,
        })
    });
    futures_util::future::try_join_all(reads).await
}

/// Every queue of `vhost` (`None`: all vhosts) in the cheap form: definitions and totals,
/// without per-queue statistics. That form has no consumer count: it is counted from the
/// consumers' list.
pub async fn totals(api: &ManagementApi, vhost: Option<&str>) -> Result<Vec<Queue>> {
    let (queues, consumers) = match vhost {
        Some(v) => (api_path(&["queues", v]), api_path(&["consumers", v])),
        None => ("/api/queues".to_string(), "/api/consumers".to_string()),
    };
    let path = format!(
        "{queues}?disable_stats=true&enable_queue_totals=true\
         &columns=name,vhost,type,messages,messages_ready,messages_unacknowledged"
    );
    let (queues, consumers) = tokio::join!(
        api.list::<Queue>(&path, Pages::Whole),
        api.list::<Consumer>(&consumers, Pages::Whole)
    );
    let mut queues = queues?;
    let mut count: std::collections::HashMap<(String, String), u64> = Default::default();
    for c in consumers? {
        *count.entry((c.queue.vhost, c.queue.name)).or_default() += 1;
    }
    for q in &mut queues {
        q.consumers = Some(
            count
                .get(&(q.vhost.clone(), q.name.clone()))
                .copied()
                .unwrap_or(0),
        );
    }
    Ok(queues)
}

/// A queue as `--top` ranked it.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    pub vhost: String,
    pub queue: String,
    /// Messages (ready and unacked) at both reads.
    pub messages: [Option<u64>; 2],
    pub unacknowledged: [Option<u64>; 2],
    pub consumers: Option<u64>,
    /// Messages gained between the reads.
    pub growth: Option<i64>,
    /// Why it ranks: `growing`, `holding unacked`, `waiting without consumers`.
    pub why: Vec<&'static str>,
}

impl Ranked {
    pub fn line(&self) -> String {
        let count = |v: Option<u64>| v.map_or("?".to_string(), |n| n.to_string());
        format!(
            "{} (vhost {}): {} -> {} messages, {} unacked, {} consumers: {}",
            self.queue,
            self.vhost,
            count(self.messages[0]),
            count(self.messages[1]),
            count(self.unacknowledged[1]),
            count(self.consumers),
            self.why.join(", ")
        )
    }

    /// Larger is worse: growth first, then unacked held across the window, then messages
    /// waiting with no consumer.
    fn score(&self) -> (i64, u64, u64) {
        let held = match self.unacknowledged {
            [Some(a), Some(b)] => a.min(b),
            _ => 0,
        };
        let waiting = match (self.consumers, self.messages[1]) {
            (Some(0), Some(m)) => m,
            _ => 0,
        };
        (self.growth.unwrap_or(0).max(0), held, waiting)
    }
}

/// The queues of the second read that look sick, worst first, at most `top`. A queue in
/// only one read (declared or deleted in between) is left out.
pub fn rank(before: &[Queue], after: &[Queue], top: usize) -> Vec<Ranked> {
    let earlier: std::collections::HashMap<(&str, &str), &Queue> = before
        .iter()
        .map(|q| ((q.vhost.as_str(), q.name.as_str()), q))
        .collect();
    let mut ranked: Vec<Ranked> = after
        .iter()
        .filter_map(|a| {
            let b = earlier.get(&(a.vhost.as_str(), a.name.as_str()))?;
            let growth = match (b.messages, a.messages) {
                (Some(x), Some(y)) => Some(y as i64 - x as i64),
                _ => None,
            };
            let mut r = Ranked {
                vhost: a.vhost.clone(),
                queue: a.name.clone(),
                messages: [b.messages, a.messages],
                unacknowledged: [b.messages_unacknowledged, a.messages_unacknowledged],
                consumers: a.consumers,
                growth,
                why: Vec::new(),
            };
            let (grew, held, waiting) = r.score();
            for (yes, why) in [
                (grew > 0, "growing"),
                (held > 0, "holding unacked"),
                (waiting > 0, "waiting without consumers"),
            ] {
                if yes {
                    r.why.push(why);
                }
            }
            (!r.why.is_empty()).then_some(r)
        })
        .collect();
    ranked.sort_by(|x, y| {
        y.score()
            .cmp(&x.score())
            .then_with(|| (&x.vhost, &x.queue).cmp(&(&y.vhost, &y.queue)))
    });
    ranked.truncate(top);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str, messages: u64, unacked: u64, consumers: u64) -> Queue {
        Queue {
            name: name.into(),
            vhost: "/".into(),
            messages: Some(messages),
            messages_unacknowledged: Some(unacked),
            consumers: Some(consumers),
            ..Default::default()
        }
    }

    #[test]
    fn ranks_growth_then_held_unacked_then_waiting_and_leaves_healthy_out() {
        let before = [
            q("idle", 0, 0, 1),
            q("busy", 5, 5, 2),
            q("grows-slowly", 10, 0, 1),
            q("grows-fast", 10, 0, 0),
            q("holds", 20, 20, 1),
            q("waits", 7, 0, 0),
            q("shrinks", 50, 0, 1),
        ];
        let after = [
            q("idle", 0, 0, 1),
            q("busy", 5, 0, 2),
            q("grows-slowly", 12, 0, 1),
            q("grows-fast", 110, 0, 0),
            q("holds", 20, 20, 1),
            q("waits", 7, 0, 0),
            q("shrinks", 40, 0, 1),
            q("new", 1000, 0, 0),
        ];
        let names: Vec<String> = rank(&before, &after, 10)
            .into_iter()
            .map(|r| r.queue)
            .collect();
        assert_eq!(names, ["grows-fast", "grows-slowly", "holds", "waits"]);
        assert_eq!(rank(&before, &after, 2).len(), 2);
    }
}
