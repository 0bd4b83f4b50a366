//! `warren quorum` (issue 32, first part): a quorum queue's members, leader rebalancing, and
//! adding or removing one node's members of chosen queues, each change shown first and
//! checked against the API afterwards. Where the leaders and members are counted is
//! `rabbit::placement`'s.
//!
//! The management API has `POST /api/rebalance/queues` on every version (it starts the
//! broker's rebalance and answers at once), the members' Raft status from 3.13, and adding
//! or removing one queue's member from 3.12; RabbitMQ 3.10 has neither of the last two.

pub mod migrate;

use std::time::{Duration, Instant};

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use crate::broker::api::{Node, Queue, major_minor};
use crate::broker::http::{ManagementApi, Pages, api_path};
use crate::exit::Error;
use crate::output::{self, Render};
use crate::rabbit::placement::{Placement, Replicated};

/// One member of a quorum queue.
#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub node: String,
    pub leader: bool,
    /// On a running node (the API's `online`).
    pub online: bool,
    /// `leader`, `follower`, `candidate`, `noproc`, ...; `None` where the version has no
    /// status endpoint (before 3.13).
    pub raft_state: Option<String>,
    /// `voter`, `promotable`, `non_voter`.
    pub membership: Option<String>,
    pub commit_index: Option<u64>,
    /// How far its commit index trails the leader's.
    pub lag: Option<u64>,
}

/// `warren quorum status`.
#[derive(Debug, Serialize)]
pub struct Status {
    pub queue: String,
    pub vhost: String,
    pub leader: Option<String>,
    pub members: Vec<Member>,
    /// Where the Raft figures come from: `status endpoint`, or `queue object` (none).
    pub source: &'static str,
}

impl Render for Status {
    fn human(&self) -> String {
        let mut t = output::table([
            "node",
            "leader",
            "online",
            "raft state",
            "membership",
            "commit",
            "lag",
        ]);
        let unknown = || "?".to_string();
        for m in &self.members {
            t.add_row(vec![
                m.node.clone(),
                output::yes_no(m.leader).to_string(),
                output::yes_no(m.online).to_string(),
                m.raft_state.clone().unwrap_or_else(unknown),
                m.membership.clone().unwrap_or_else(unknown),
                m.commit_index.map_or_else(unknown, |c| c.to_string()),
                m.lag.map_or_else(unknown, |l| l.to_string()),
            ]);
        }
        let online = self.members.iter().filter(|m| m.online).count();
        let majority = self.members.len() / 2 + 1;
        let verdict = if online >= majority {
            format!(
                "{online} of {} members online (a majority is {majority})",
                self.members.len()
            )
        } else {
            format!(
                "BELOW QUORUM: {online} of {} members online (a majority is {majority})",
                self.members.len()
            )
        };
        let note = if self.source == "queue object" {
            "\n(Raft state, commit index and lag need RabbitMQ 3.13 or later)"
        } else {
            ""
        };
        format!(
            "quorum queue {} (vhost {}), leader {}\n{t}\n{verdict}{note}",
            self.queue,
            self.vhost,
            self.leader.as_deref().unwrap_or("none")
        )
    }
}

/// The broker's version as (major, minor), from the API.
pub async fn version(api: &ManagementApi) -> Result<Option<(u32, u32)>> {
    let overview: crate::broker::api::Overview = api.get("/api/overview").await?;
    Ok(major_minor(&overview.rabbitmq_version))
}

/// The queue, which must be a quorum queue.
async fn quorum_queue(api: &ManagementApi, vhost: &str, name: &str) -> Result<Queue> {
    let q = crate::broker::queue::get(api, vhost, name).await?;
    if q.kind != "quorum" {
        let kind = if q.kind.is_empty() {
            "classic"
        } else {
            &q.kind
        };
        return Err(Error::broker_refused(format!(
            "`{name}` is a {kind} queue: only quorum queues have members"
        ))
        .into());
    }
    Ok(q)
}

pub async fn status(api: &ManagementApi, vhost: &str, name: &str) -> Result<Status> {
    let q = quorum_queue(api, vhost, name).await?;
    let leader = q.leader.clone().filter(|l| !l.is_empty());
    let online = q.online.clone().unwrap_or_default();
    let mut members: Vec<Member> = q
        .members
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|node| Member {
            leader: leader.as_deref() == Some(node.as_str()),
            online: online.contains(&node),
            node,
            raft_state: None,
            membership: None,
            commit_index: None,
            lag: None,
        })
        .collect();
    let mut source = "queue object";
    if version(api).await?.is_some_and(|v| v >= (3, 13)) {
        let path = api_path(&["queues", "quorum", vhost, name, "status"]);
        let rows: Vec<serde_json::Map<String, Value>> = api.get(&path).await?;
        source = "status endpoint";
        let number =
            |row: &serde_json::Map<String, Value>, key: &str| row.get(key).and_then(Value::as_u64);
        let text = |row: &serde_json::Map<String, Value>, key: &str| {
            row.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(String::from)
        };
        let leader_commit = rows
            .iter()
            .find(|r| text(r, "Raft State").as_deref() == Some("leader"))
            .and_then(|r| number(r, "Commit Index"));
        for row in &rows {
            let Some(node) = text(row, "Node Name") else {
                continue;
            };
            let commit = number(row, "Commit Index");
            let member = match members.iter_mut().find(|m| m.node == node) {
                Some(m) => m,
                None => {
                    members.push(Member {
                        node: node.clone(),
                        leader: false,
                        online: online.contains(&node),
                        raft_state: None,
                        membership: None,
                        commit_index: None,
                        lag: None,
                    });
                    members.last_mut().expect("just pushed")
                }
            };
            member.raft_state = text(row, "Raft State");
            member.membership = text(row, "Membership");
            member.commit_index = commit;
            member.lag = leader_commit.zip(commit).map(|(l, c)| l.saturating_sub(c));
        }
    }
    members.sort_by(|a, b| a.node.cmp(&b.node));
    Ok(Status {
        queue: q.name,
        vhost: q.vhost,
        leader,
        members,
        source,
    })
}

/// The cluster's running nodes that take leaders (running, not being drained), and all
/// of them by name.
pub async fn nodes(api: &ManagementApi) -> Result<(Vec<String>, Vec<Node>)> {
    let nodes: Vec<Node> = api.list("/api/nodes", Pages::Whole).await?;
    let running = nodes
        .iter()
        .filter(|n| n.is_running() && n.being_drained != Some(true))
        .map(|n| n.name.clone())
        .collect();
    Ok((running, nodes))
}

/// Every quorum queue (of `vhost`, or all), with its leader and members.
pub async fn quorum_queues(api: &ManagementApi, vhost: Option<&str>) -> Result<Vec<Queue>> {
    let base = match vhost {
        Some(v) => api_path(&["queues", v]),
        None => "/api/queues".to_string(),
    };
    let listed: Vec<Value> = api
        .list(
            &format!("{base}?columns=name,vhost,type,leader,members,online"),
            Pages::Whole,
        )
        .await?;
    let mut queues = Vec::new();
    for q in listed.into_iter().filter(|q| q["type"] == "quorum") {
        queues.push(crate::broker::api::tolerant::<Queue>(q)?);
    }
    Ok(queues)
}

fn placement(queues: &[Queue], running: &[String]) -> Placement {
    Placement::of(
        queues.iter().map(|q| Replicated {
            leader: q.leader.as_deref(),
            members: q.members.as_deref().unwrap_or_default(),
        }),
        running,
    )
}

/// `warren quorum rebalance`.
#[derive(Debug, Serialize)]
pub struct Rebalance {
    pub before: Placement,
    pub after: Option<Placement>,
    /// The most leaders a node should keep: the queues over the running nodes, rounded up.
    pub fair_share: usize,
    /// Leaders that moved (the drop on the nodes that lost some).
    pub moved: Option<usize>,
    /// Nodes still leading more than twice their share afterwards (the audit's Q012).
    pub piled_after: Vec<String>,
    pub dry_run: bool,
    /// Whether every node reached its fair share before the timeout.
    pub settled: bool,
}

impl Render for Rebalance {
    fn human(&self) -> String {
        let mut t = output::table(["node", "leaders before", "leaders after", "members"]);
        for (node, before) in &self.before.leaders {
            let after = self
                .after
                .as_ref()
                .and_then(|a| a.leaders.get(node))
                .map_or("-".to_string(), |n| n.to_string());
            let members = self.before.members.get(node).copied().unwrap_or(0);
            t.add_row(vec![
                node.clone(),
                before.to_string(),
                after,
                members.to_string(),
            ]);
        }
        let tail = if self.dry_run {
            format!(
                "dry run: the broker's rebalance would leave each running node leading at most {} \
                 (it moves the leaders with the shortest logs first); nothing was changed",
                self.fair_share
            )
        } else if !self.piled_after.is_empty() {
            format!("leaders still piled on {}", self.piled_after.join(", "))
        } else {
            format!(
                "{} leader(s) moved; {}",
                self.moved.unwrap_or(0),
                if self.settled {
                    format!("every node leads at most {}", self.fair_share)
                } else {
                    "the broker stopped short of an even spread (members limit where a leader can go)"
                        .to_string()
                }
            )
        };
        format!("{t}\n{tail}")
    }
}

/// Ask the broker to rebalance every quorum queue's leader (all vhosts: the API takes no
/// filter), then read the placement until every node is at its fair share, the placement
/// stops changing for `quiet`, or `timeout` passes.
pub async fn rebalance(api: &ManagementApi, dry_run: bool, timeout: Duration) -> Result<Rebalance> {
    let (running, _) = nodes(api).await?;
    let before = placement(&quorum_queues(api, None).await?, &running);
    let fair_share = before.fair_share(running.len());
    let mut report = Rebalance {
        fair_share,
        after: None,
        moved: None,
        piled_after: Vec::new(),
        dry_run,
        settled: before.most_leaders() <= fair_share,
        before,
    };
    if dry_run {
        return Ok(report);
    }
    api.post("/api/rebalance/queues", &serde_json::json!({}))
        .await?;
    let quiet = Duration::from_secs(5);
    let start = Instant::now();
    let mut last = report.before.clone();
    let mut last_change = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = placement(&quorum_queues(api, None).await?, &running);
        if now.leaders != last.leaders {
            last_change = Instant::now();
        }
        last = now;
        let settled = last.most_leaders() <= fair_share;
        if settled || last_change.elapsed() >= quiet || start.elapsed() >= timeout {
            report.settled = settled;
            break;
        }
    }
    report.moved = Some(
        report
            .before
            .leaders
            .iter()
            .map(|(node, b)| b.saturating_sub(last.leaders.get(node).copied().unwrap_or(0)))
            .sum(),
    );
    report.piled_after = last
        .piled(running.len())
        .into_iter()
        .map(|(n, _)| n.to_string())
        .collect();
    report.after = Some(last);
    Ok(report)
}

/// The migration plan of a live broker's queues (of `vhost`, or all) and policies.
pub async fn migrate_plan(api: &ManagementApi, vhost: Option<&str>) -> Result<migrate::Plan> {
    let (queues, policies) = match vhost {
        Some(v) => (api_path(&["queues", v]), api_path(&["policies", v])),
        None => ("/api/queues".to_string(), "/api/policies".to_string()),
    };
    let queues = format!(
        "{queues}?disable_stats=true&columns=name,vhost,durable,auto_delete,exclusive,arguments"
    );
    let (queues, policies) = tokio::join!(
        api.list::<migrate::QueueDef>(&queues, Pages::Whole),
        api.list::<crate::rabbit::policy::Policy>(&policies, Pages::Whole)
    );
    Ok(migrate::plan(&queues?, &policies?))
}

/// Adding (`grow`) or removing (`shrink`) one node's member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Grow,
    Shrink,
}

/// What happened to one queue.
#[derive(Debug, Serialize)]
pub struct Change {
    pub vhost: String,
    pub queue: String,
    pub members_before: Vec<String>,
    /// `added`, `removed`, `would add`, `would remove`, `refused`, `failed`.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Membership {
    pub node: String,
    pub changes: Vec<Change>,
    pub dry_run: bool,
}

impl Membership {
    pub fn failed(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| matches!(c.outcome, "failed" | "refused"))
            .count()
    }
}

impl Render for Membership {
    fn human(&self) -> String {
        if self.changes.is_empty() {
            return format!("no selected quorum queue to change on {}", self.node);
        }
        let mut t = output::table(["vhost", "queue", "members before", "outcome"]);
        for c in &self.changes {
            let outcome = match &c.reason {
                Some(r) => format!("{}: {r}", c.outcome),
                None => c.outcome.to_string(),
            };
            t.add_row(vec![
                c.vhost.clone(),
                c.queue.clone(),
                c.members_before.len().to_string(),
                outcome,
            ]);
        }
        t.to_string()
    }
}

/// Which selected queues a grow or shrink on `node` changes, and which it must refuse: a
/// shrink leaves at least 3 members and a majority of them online, unless `below_quorum`.
pub fn plan(direction: Direction, node: &str, queues: &[Queue], below_quorum: bool) -> Vec<Change> {
    queues
        .iter()
        .filter_map(|q| {
            let members = q.members.clone().unwrap_or_default();
            let has = members.iter().any(|m| m == node);
            let mut change = Change {
                vhost: q.vhost.clone(),
                queue: q.name.clone(),
                members_before: members.clone(),
                outcome: if direction == Direction::Grow { "would add" } else { "would remove" },
                reason: None,
            };
            match direction {
                Direction::Grow if has => None,
                Direction::Grow => Some(change),
                Direction::Shrink if !has => None,
                Direction::Shrink => {
                    let left = members.len() - 1;
                    let online_left = q
                        .online
                        .as_deref()
                        .unwrap_or_default()
                        .iter()
                        .filter(|m| *m != node && members.contains(m))
                        .count();
                    let why = if left == 0 {
                        Some("it is the queue's only member".to_string())
                    } else if below_quorum {
                        None
                    } else if left < 3 {
                        Some(format!(
                            "it would leave {left} member(s), fewer than 3 (--allow-below-quorum to go ahead)"
                        ))
                    } else if online_left < left / 2 + 1 {
                        Some(format!(
                            "it would leave {online_left} of {left} members online, below a majority \
                             (--allow-below-quorum to go ahead)"
                        ))
                    } else {
                        None
                    };
                    if let Some(why) = why {
                        change.outcome = "refused";
                        change.reason = Some(why);
                    }
                    Some(change)
                }
            }
        })
        .collect()
}

/// Carry out `changes` (those not refused), one queue after another, then read each queue
/// back: a change counts only when the API lists (or no longer lists) the member.
pub async fn apply(api: &ManagementApi, direction: Direction, node: &str, changes: &mut [Change]) {
    for c in changes.iter_mut().filter(|c| c.outcome != "refused") {
        let base = api_path(&["queues", "quorum", &c.vhost, &c.queue, "replicas"]);
        let body = serde_json::json!({ "node": node });
        let done = match direction {
            Direction::Grow => api.post(&format!("{base}/add"), &body).await,
            Direction::Shrink => api.delete_with(&format!("{base}/delete"), &body).await,
        };
        let listed = match done {
            Ok(()) => crate::broker::queue::get(api, &c.vhost, &c.queue)
                .await
                .map(|q| q.members.unwrap_or_default().iter().any(|m| m == node)),
            Err(e) => Err(e),
        };
        (c.outcome, c.reason) = match (direction, listed) {
            (Direction::Grow, Ok(true)) => ("added", None),
            (Direction::Shrink, Ok(false)) => ("removed", None),
            (Direction::Grow, Ok(false)) => (
                "failed",
                Some(format!("{node} is not listed as a member afterwards")),
            ),
            (Direction::Shrink, Ok(true)) => (
                "failed",
                Some(format!("{node} is still listed as a member")),
            ),
            (_, Err(e)) => ("failed", Some(format!("{e:#}"))),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(name: &str, members: &[&str], online: &[&str]) -> Queue {
        Queue {
            name: name.into(),
            vhost: "/".into(),
            kind: "quorum".into(),
            members: Some(members.iter().map(|s| s.to_string()).collect()),
            online: Some(online.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn grow_skips_members_and_shrink_keeps_three_and_a_majority() {
        let queues = [
            q("three", &["a", "b", "c"], &["a", "b", "c"]),
            q("four", &["a", "b", "c", "d"], &["a", "b", "c", "d"]),
            q("four-two-down", &["a", "b", "c", "d"], &["a", "d"]),
            q("only", &["d"], &["d"]),
        ];
        let grow = plan(Direction::Grow, "d", &queues, false);
        assert_eq!(grow.len(), 1);
        assert_eq!(
            (grow[0].queue.as_str(), grow[0].outcome),
            ("three", "would add")
        );
        let shrink = plan(Direction::Shrink, "d", &queues, false);
        let outcomes: Vec<(&str, &str)> = shrink
            .iter()
            .map(|c| (c.queue.as_str(), c.outcome))
            .collect();
        assert_eq!(
            outcomes,
            [
                ("four", "would remove"),
                ("four-two-down", "refused"),
                ("only", "refused")
            ]
        );
        let shrink = plan(Direction::Shrink, "c", &queues, false);
        assert_eq!(shrink[0].outcome, "refused", "{:?}", shrink[0]);
        assert!(
            shrink[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("fewer than 3")
        );
        // --allow-below-quorum lifts both, never the last member.
        let shrink = plan(Direction::Shrink, "d", &queues, true);
        let outcomes: Vec<&str> = shrink.iter().map(|c| c.outcome).collect();
        assert_eq!(outcomes, ["would remove", "would remove", "refused"]);
    }
}
