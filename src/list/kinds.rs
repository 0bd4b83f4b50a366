//! The kinds `warren list` knows: each one's endpoint, its columns (a name and where the
//! management API keeps the value) and the columns shown by default.

/// One column: its name in warren's output and `--where`, and the management API field it
/// reads (dotted for nested fields, as the API's own `columns=` parameter takes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub field: &'static str,
    /// A statistic: absent from `disable_stats=true` answers, so asking for it keeps stats on.
    pub stats: bool,
}

const fn c(name: &'static str, field: &'static str) -> Column {
    Column {
        name,
        field,
        stats: false,
    }
}

const fn s(name: &'static str, field: &'static str) -> Column {
    Column {
        name,
        field,
        stats: true,
    }
}

/// Where a kind's list comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `/api/{path}` for every vhost, `/api/{path}/{vhost}` for one.
    PerVhost,
    /// `/api/{path}` for every vhost, `/api/vhosts/{vhost}/{path}` for one.
    VhostSubpath,
    /// `/api/{path}`; one vhost is picked out by the `vhost` column.
    FilterByVhost,
    /// `/api/{path}`: not in a vhost (nodes, users, vhosts).
    Global,
}

#[derive(Debug)]
pub struct Kind {
    pub name: &'static str,
    pub path: &'static str,
    pub scope: Scope,
    pub columns: &'static [Column],
    pub default_columns: &'static [&'static str],
    /// The plugin that serves the endpoint, for the error when it is not enabled.
    pub plugin: Option<&'static str>,
}

impl Kind {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_names(&self) -> Vec<&'static str> {
        self.columns.iter().map(|c| c.name).collect()
    }
}

const QUEUES: &[Column] = &[
    c("name", "name"),
    c("vhost", "vhost"),
    c("type", "type"),
    s("state", "state"),
    c("node", "node"),
    c("durable", "durable"),
    c("auto_delete", "auto_delete"),
    c("exclusive", "exclusive"),
    c("arguments", "arguments"),
    s("messages", "messages"),
    s("messages_ready", "messages_ready"),
    s("messages_unacknowledged", "messages_unacknowledged"),
    s("message_bytes", "message_bytes"),
    s("consumers", "consumers"),
    s("consumer_capacity", "consumer_capacity"),
    s("memory", "memory"),
    s("policy", "policy"),
    s("operator_policy", "operator_policy"),
    s("idle_since", "idle_since"),
    s("leader", "leader"),
    s("members", "members"),
    s("online", "online"),
    s("publish_rate", "message_stats.publish_details.rate"),
    s("deliver_rate", "message_stats.deliver_get_details.rate"),
    s("ack_rate", "message_stats.ack_details.rate"),
];

const EXCHANGES: &[Column] = &[
    c("name", "name"),
    c("vhost", "vhost"),
    c("type", "type"),
    c("durable", "durable"),
    c("auto_delete", "auto_delete"),
    c("internal", "internal"),
    c("arguments", "arguments"),
    s("policy", "policy"),
    s("publish_in_rate", "message_stats.publish_in_details.rate"),
    s("publish_out_rate", "message_stats.publish_out_details.rate"),
];

const BINDINGS: &[Column] = &[
    c("vhost", "vhost"),
    c("source", "source"),
    c("destination", "destination"),
    c("destination_type", "destination_type"),
    c("routing_key", "routing_key"),
    c("arguments", "arguments"),
    c("properties_key", "properties_key"),
];

const CONNECTIONS: &[Column] = &[
    c("name", "name"),
    c("vhost", "vhost"),
    c("user", "user"),
    c("node", "node"),
    c("state", "state"),
    c("protocol", "protocol"),
    c("peer_host", "peer_host"),
    c("peer_port", "peer_port"),
    c("client_name", "client_properties.connection_name"),
    c("product", "client_properties.product"),
    c("channels", "channels"),
    c("ssl", "ssl"),
    c("connected_at", "connected_at"),
    c("timeout", "timeout"),
    s("recv_rate", "recv_oct_details.rate"),
    s("send_rate", "send_oct_details.rate"),
    s("recv_oct", "recv_oct"),
    s("send_oct", "send_oct"),
];

const CHANNELS: &[Column] = &[
    c("name", "name"),
    c("vhost", "vhost"),
    c("user", "user"),
    c("node", "node"),
    c("number", "number"),
    c("connection", "connection_details.name"),
    s("state", "state"),
    s("consumer_count", "consumer_count"),
    s("messages_unacknowledged", "messages_unacknowledged"),
    s("messages_unconfirmed", "messages_unconfirmed"),
    s("prefetch_count", "prefetch_count"),
    s("confirm", "confirm"),
    s("transactional", "transactional"),
    s("idle_since", "idle_since"),
];

const CONSUMERS: &[Column] = &[
    c("queue", "queue.name"),
    c("vhost", "queue.vhost"),
    c("consumer_tag", "consumer_tag"),
    c("channel", "channel_details.name"),
    c("connection", "channel_details.connection_name"),
    c("user", "channel_details.user"),
    c("ack_required", "ack_required"),
    c("prefetch_count", "prefetch_count"),
    c("exclusive", "exclusive"),
    c("active", "active"),
    c("activity_status", "activity_status"),
    c("arguments", "arguments"),
];

const VHOSTS: &[Column] = &[
    c("name", "name"),
    c("description", "description"),
    c("tags", "tags"),
    c("default_queue_type", "default_queue_type"),
    c("tracing", "tracing"),
    s("messages", "messages"),
    s("messages_ready", "messages_ready"),
    s("messages_unacknowledged", "messages_unacknowledged"),
    s("cluster_state", "cluster_state"),
];

const USERS: &[Column] = &[c("name", "name"), c("tags", "tags"), c("limits", "limits")];

const PERMISSIONS: &[Column] = &[
    c("user", "user"),
    c("vhost", "vhost"),
    c("configure", "configure"),
    c("write", "write"),
    c("read", "read"),
];

const POLICIES: &[Column] = &[
    c("name", "name"),
    c("vhost", "vhost"),
    c("pattern", "pattern"),
    c("apply_to", "apply-to"),
    c("priority", "priority"),
    c("definition", "definition"),
];

const POLICY_DEFAULTS: &[&str] = &[
    "vhost",
    "name",
    "pattern",
    "apply_to",
    "priority",
    "definition",
];

const NODES: &[Column] = &[
    c("name", "name"),
    c("type", "type"),
    c("running", "running"),
    s("uptime", "uptime"),
    s("mem_used", "mem_used"),
    s("mem_limit", "mem_limit"),
    s("mem_alarm", "mem_alarm"),
    s("disk_free", "disk_free"),
    s("disk_free_limit", "disk_free_limit"),
    s("disk_free_alarm", "disk_free_alarm"),
    s("fd_used", "fd_used"),
    s("fd_total", "fd_total"),
    s("sockets_used", "sockets_used"),
    s("proc_used", "proc_used"),
    s("partitions", "partitions"),
];

const SHOVELS: &[Column] = &[
    c("name", "name"),
    c("vhost", "vhost"),
    c("type", "type"),
    c("state", "state"),
    c("node", "node"),
    c("source", "src_queue"),
    c("source_exchange", "src_exchange"),
    c("destination", "dest_queue"),
    c("destination_exchange", "dest_exchange"),
    c("reason", "reason"),
    c("timestamp", "timestamp"),
];

const FEDERATION_LINKS: &[Column] = &[
    c("upstream", "upstream"),
    c("vhost", "vhost"),
    c("type", "type"),
    c("exchange", "exchange"),
    c("queue", "queue"),
    c("status", "status"),
    c("node", "node"),
    c("error", "error"),
    c("timestamp", "timestamp"),
];

const PARAMETERS: &[Column] = &[
    c("component", "component"),
    c("name", "name"),
    c("vhost", "vhost"),
    c("value", "value"),
];

pub const KINDS: &[Kind] = &[
    Kind {
        name: "queues",
        path: "queues",
        scope: Scope::PerVhost,
        columns: QUEUES,
        default_columns: &["vhost", "name", "type", "state", "messages", "consumers"],
        plugin: None,
    },
    Kind {
        name: "exchanges",
        path: "exchanges",
        scope: Scope::PerVhost,
        columns: EXCHANGES,
        default_columns: &[
            "vhost",
            "name",
            "type",
            "durable",
            "auto_delete",
            "internal",
        ],
        plugin: None,
    },
    Kind {
        name: "bindings",
        path: "bindings",
        scope: Scope::PerVhost,
        columns: BINDINGS,
        default_columns: &[
            "vhost",
            "source",
            "destination",
            "destination_type",
            "routing_key",
        ],
        plugin: None,
    },
    Kind {
        name: "connections",
        path: "connections",
        scope: Scope::VhostSubpath,
        columns: CONNECTIONS,
        default_columns: &["name", "vhost", "user", "client_name", "state", "channels"],
        plugin: None,
    },
    Kind {
        name: "channels",
        path: "channels",
        scope: Scope::VhostSubpath,
        columns: CHANNELS,
        default_columns: &[
            "name",
            "vhost",
            "user",
            "consumer_count",
            "messages_unacknowledged",
            "prefetch_count",
        ],
        plugin: None,
    },
    Kind {
        name: "consumers",
        path: "consumers",
        scope: Scope::PerVhost,
        columns: CONSUMERS,
        default_columns: &[
            "vhost",
            "queue",
            "consumer_tag",
            "connection",
            "ack_required",
            "prefetch_count",
        ],
        plugin: None,
    },
    Kind {
        name: "vhosts",
        path: "vhosts",
        scope: Scope::Global,
        columns: VHOSTS,
        default_columns: &["name", "default_queue_type", "messages", "tracing"],
        plugin: None,
    },
    Kind {
        name: "users",
        path: "users",
        scope: Scope::Global,
        columns: USERS,
        default_columns: &["name", "tags"],
        plugin: None,
    },
    Kind {
        name: "permissions",
        path: "permissions",
        scope: Scope::FilterByVhost,
        columns: PERMISSIONS,
        default_columns: &["user", "vhost", "configure", "write", "read"],
        plugin: None,
    },
    Kind {
        name: "policies",
        path: "policies",
        scope: Scope::PerVhost,
        columns: POLICIES,
        default_columns: POLICY_DEFAULTS,
        plugin: None,
    },
    Kind {
        name: "operator-policies",
        path: "operator-policies",
        scope: Scope::PerVhost,
        columns: POLICIES,
        default_columns: POLICY_DEFAULTS,
        plugin: None,
    },
    Kind {
        name: "nodes",
        path: "nodes",
        scope: Scope::Global,
        columns: NODES,
        default_columns: &[
            "name",
            "running",
            "mem_used",
            "mem_alarm",
            "disk_free_alarm",
            "uptime",
        ],
        plugin: None,
    },
    Kind {
        name: "shovels",
        path: "shovels",
        scope: Scope::PerVhost,
        columns: SHOVELS,
        default_columns: &["vhost", "name", "type", "state", "source", "destination"],
        plugin: Some("rabbitmq_shovel_management"),
    },
    Kind {
        name: "federation-links",
        path: "federation-links",
        scope: Scope::PerVhost,
        columns: FEDERATION_LINKS,
        default_columns: &["vhost", "upstream", "type", "exchange", "queue", "status"],
        plugin: Some("rabbitmq_federation_management"),
    },
    Kind {
        name: "parameters",
        path: "parameters",
        scope: Scope::FilterByVhost,
        columns: PARAMETERS,
        default_columns: &["component", "vhost", "name", "value"],
        plugin: None,
    },
];

/// The kind called `name` (singular accepted), or the error naming the closest one.
pub fn find(name: &str) -> Result<&'static Kind, String> {
    let plural = match name.strip_suffix('y') {
        Some(stem) => format!("{stem}ies"),
        None => format!("{name}s"),
    };
    if let Some(kind) = KINDS.iter().find(|k| k.name == name || k.name == plural) {
        return Ok(kind);
    }
    let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    Err(crate::suggest::unknown("kind", name, &names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_found_by_name_and_a_typo_gets_the_closest() {
        assert_eq!(find("queues").unwrap().name, "queues");
        assert_eq!(find("queue").unwrap().name, "queues");
        assert_eq!(find("policy").unwrap().name, "policies");
        assert_eq!(find("operator-policy").unwrap().name, "operator-policies");
        let err = find("qeueus").unwrap_err();
        assert!(err.contains("did you mean `queues`"), "{err}");
        assert!(err.contains("kinds: queues, exchanges"), "{err}");
    }

    #[test]
    fn every_default_column_is_a_column_and_names_are_unique() {
        for kind in KINDS {
            for d in kind.default_columns {
                assert!(kind.column(d).is_some(), "{}: {d}", kind.name);
            }
            let mut names = kind.column_names();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), kind.columns.len(), "{}", kind.name);
        }
    }
}
