//! Where quorum queues live: how many leaders and members each node has, and the rule for
//! "leaders piled on one node" (the audit's Q012, and what `warren quorum rebalance` checks
//! afterwards). Pure: the callers read the queues and nodes.

use std::collections::BTreeMap;

use serde::Serialize;

/// One replicated queue as placement sees it.
#[derive(Debug, Clone, Default)]
pub struct Replicated<'a> {
    /// `None`: not listed (statistics off, unknown); `Some("")`: no leader.
    pub leader: Option<&'a str>,
    pub members: &'a [String],
}

/// Leaders and members per node.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Placement {
    /// Running nodes (each listed, with 0 where it has none).
    pub leaders: BTreeMap<String, usize>,
    pub members: BTreeMap<String, usize>,
    /// Queues with a known leader.
    pub led: usize,
    /// Queues whose leader is unknown.
    pub unknown: usize,
}

impl Placement {
    pub fn of<'a>(
        queues: impl IntoIterator<Item = Replicated<'a>>,
        running: &[String],
    ) -> Placement {
        let mut p = Placement::default();
        for node in running {
            p.leaders.insert(node.clone(), 0);
            p.members.insert(node.clone(), 0);
        }
        for q in queues {
            match q.leader {
                Some("") => {}
                Some(leader) => {
                    *p.leaders.entry(leader.to_string()).or_default() += 1;
                    p.led += 1;
                }
                None => p.unknown += 1,
            }
            for m in q.members {
                *p.members.entry(m.clone()).or_default() += 1;
            }
        }
        p
    }

    /// The nodes leading more than twice their share (more than three quarters with two
    /// nodes), with their count; none with fewer than 2 running nodes or fewer than 2 leaders
    /// per running node to judge by.
    pub fn piled(&self, running: usize) -> Vec<(&str, usize)> {
        if running < 2 || self.led + self.unknown < 2 * running {
            return Vec::new();
        }
        let limit = (2.0 / running as f64).min(0.75);
        self.leaders
            .iter()
            .filter(|(_, count)| **count as f64 / self.led.max(1) as f64 > limit)
            .map(|(node, count)| (node.as_str(), *count))
            .collect()
    }

    /// The most leaders one node should have once the broker's rebalance is done: the
    /// queues over the running nodes, rounded up (rabbit_amqqueue:rebalance's target).
    pub fn fair_share(&self, running: usize) -> usize {
        self.led.div_ceil(running.max(1))
    }

    /// The most leaders any node has.
    pub fn most_leaders(&self) -> usize {
        self.leaders.values().copied().max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn counts_leaders_and_members_and_finds_a_pile() {
        let members = nodes(&["a", "b", "c"]);
        let running = nodes(&["a", "b", "c"]);
        let piled: Vec<Replicated> = (0..12)
            .map(|_| Replicated {
                leader: Some("a"),
                members: &members,
            })
            .collect();
        let p = Placement::of(piled, &running);
        assert_eq!(p.leaders["a"], 12);
        assert_eq!(p.leaders["b"], 0);
        assert_eq!(p.members["c"], 12);
        assert_eq!(p.piled(3), vec![("a", 12)]);
        assert_eq!(p.fair_share(3), 4);
        let spread: Vec<Replicated> = ["a", "b", "c", "a", "b", "c"]
            .iter()
            .map(|l| Replicated {
                leader: Some(l),
                members: &members,
            })
            .collect();
        assert!(Placement::of(spread, &running).piled(3).is_empty());
        // Too few to judge by.
        let few = vec![Replicated {
            leader: Some("a"),
            members: &members,
        }];
        assert!(Placement::of(few, &running).piled(3).is_empty());
    }
}
