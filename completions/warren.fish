# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_warren_global_optspecs
    string join \n o/output= q/quiet uri= api-url= user= password-file= vhost= profile= ca-cert= client-cert= client-key= tls-server-name= connect-timeout= h/help V/version
end

function __fish_warren_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_warren_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_warren_using_subcommand
    set -l cmd (__fish_warren_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c warren -n "__fish_warren_needs_command" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_needs_command" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_needs_command" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_needs_command" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_needs_command" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_needs_command" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_needs_command" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_needs_command" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_needs_command" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_needs_command" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_needs_command" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_needs_command" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_needs_command" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_needs_command" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_needs_command" -f -a "status" -d 'Connect over AMQP and HTTP and show the broker, its nodes and listeners'
complete -c warren -n "__fish_warren_needs_command" -f -a "ping" -d 'Connect over AMQP and HTTP and show the broker, its nodes and listeners'
complete -c warren -n "__fish_warren_needs_command" -f -a "publish" -d 'Publish messages with confirms and `mandatory`: a body, stdin, lines, envelope files, a generator'
complete -c warren -n "__fish_warren_needs_command" -f -a "consume" -d 'Consume messages from a queue into JSON Lines or files, acking only what is written'
complete -c warren -n "__fish_warren_needs_command" -f -a "peek" -d 'Show messages on a queue and put them back'
complete -c warren -n "__fish_warren_needs_command" -f -a "tap" -d 'Watch messages flowing through an exchange, through a private bound queue'
complete -c warren -n "__fish_warren_needs_command" -f -a "audit" -d 'Audit a live broker for security and reliability problems (exit 3 on findings)'
complete -c warren -n "__fish_warren_needs_command" -f -a "health" -d 'Fast health checks of a cluster: nodes, alarms, listeners, quorum, certificates (exit 3 when unhealthy)'
complete -c warren -n "__fish_warren_needs_command" -f -a "doctor" -d 'Explain why a queue grows or is stuck: evidence, a fix and the next command (exit 3 on a problem)'
complete -c warren -n "__fish_warren_needs_command" -f -a "quorum" -d 'Quorum queues: members and Raft status, leader rebalancing, growing and shrinking members'
complete -c warren -n "__fish_warren_needs_command" -f -a "topology" -d 'Topology as code: lint, plan, apply, export and convert YAML topology files'
complete -c warren -n "__fish_warren_needs_command" -f -a "replay" -d 'Move dead-lettered messages back where they came from, filtered, without losing one'
complete -c warren -n "__fish_warren_needs_command" -f -a "perf" -d 'Load the broker with producers and consumers; rates and latency percentiles every second'
complete -c warren -n "__fish_warren_needs_command" -f -a "move" -d 'Move a queue\'s messages to another queue, exchange, vhost or broker, without losing one'
complete -c warren -n "__fish_warren_needs_command" -f -a "list" -d 'List queues, exchanges, connections, ...: filtered (--where), sorted, chosen columns'
complete -c warren -n "__fish_warren_needs_command" -f -a "purge" -d 'Remove every ready message of a queue (--export: into a file first, loss-free)'
complete -c warren -n "__fish_warren_needs_command" -f -a "show" -d 'Show one queue, exchange, connection, user or vhost in depth (policy, bindings, ...)'
complete -c warren -n "__fish_warren_needs_command" -f -a "route" -d 'Explain which queues a message would reach, and why; --verify checks with the broker'
complete -c warren -n "__fish_warren_needs_command" -f -a "delete" -d 'Delete queues, exchanges, bindings, vhosts, users, policies or shovels, safely'
complete -c warren -n "__fish_warren_needs_command" -f -a "close" -d 'Close client connections chosen by user, vhost, name, protocol or idle time'
complete -c warren -n "__fish_warren_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c warren -n "__fish_warren_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand status" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand status" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand status" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand status" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand status" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand status" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand status" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand status" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand status" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand status" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand status" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand status" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand status" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand status" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand ping" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand ping" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand ping" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand ping" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand ping" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand ping" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand ping" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand ping" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand ping" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand ping" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand ping" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand ping" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand ping" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand ping" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand ping" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand publish" -s e -l exchange -d 'Exchange (default: the default exchange ""). Given, it replaces an envelope\'s own' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -s k -l routing-key -d 'Routing key. Given, it replaces an envelope\'s own' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l body -d 'The body of one message (or of --count copies)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l file -d 'Envelopes, one JSON object per line (`-` for stdin), as `warren consume` writes them' -r -F
complete -c warren -n "__fish_warren_using_subcommand publish" -l dir -d 'One message per file, in name order; `*.envelope.json` files are envelopes' -r -F
complete -c warren -n "__fish_warren_using_subcommand publish" -l max-file-size -d 'Refuse (exit 4) input larger than SIZE (e.g. 64MiB, 1GiB), read no further: a topology file, or one envelope (a line of --file, a file of --dir)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l max-depth -d 'Refuse (exit 4) input whose lists and maps nest deeper than N levels (1 to 128), before parsing it' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l count -d 'Generate this many messages (or repeat --body this many times)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l size -d 'Body size in bytes of generated messages (at most 128 MiB, RabbitMQ\'s own limit)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -s H -l header -d 'A header: `key=value` (a string) or `key:TYPE=value`, TYPE one of i8 u8 i16 u16 i32 u32 i64 f32 f64 bool timestamp bytes (base64) json (the envelope\'s JSON mapping)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l content-type -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l content-encoding -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l priority -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l correlation-id -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l reply-to -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l expiration -d 'Per-message TTL in milliseconds' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l message-id -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l timestamp -d 'Seconds since the epoch, or `now`' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l type -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l user-id -d 'Must equal the connection\'s user, or the broker closes the channel (406)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l app-id -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l window -d 'Messages awaiting their confirm, at most' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l channels -d 'Channels to publish on, messages dealt to them in turn, each with its own --window. The broker runs a process per channel and per queue: with --queues, more than one channel keeps more of its cores busy' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l queues -d 'Queues to deal the messages to in turn, through the default exchange (e.g. `--queues q1,q2 --channels 2`). Replaces --exchange and --routing-key' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l rate -d 'Messages per second, at most (0.001 to 1000000000)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l confirm-timeout -d 'How long to wait for outstanding confirms at the end (and after Ctrl-C); above 0, a bare number is seconds' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand publish" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand publish" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand publish" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand publish" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand publish" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand publish" -l lines -d 'One message per line of stdin'
complete -c warren -n "__fish_warren_using_subcommand publish" -l transient -d 'Delivery mode 1 (not persisted) instead of the default 2 (persistent)'
complete -c warren -n "__fish_warren_using_subcommand publish" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand publish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand publish" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand consume" -s n -l count -d 'Stop after N messages' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l idle-timeout -d 'Stop when no message arrives for this long (5s, 500ms, 2m; a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l format -d 'How messages are written to stdout [default: jsonl; pretty for peek]' -r -f -a "jsonl\t'One envelope per line (publish --file reads it back exactly)'
raw\t'The bodies only, each followed by a newline'
pretty\t'A readable block per message'"
complete -c warren -n "__fish_warren_using_subcommand consume" -l output-dir -d 'Write one `NNNNNNNNNN.envelope.json` file per message here instead of stdout' -r -F
complete -c warren -n "__fish_warren_using_subcommand consume" -l offset -d 'Where to start reading a stream: first, last, next, an offset N, a time (2026-12-03T10:00:00Z) or an age (30m) [default for a stream: first]' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l match-header -d 'Only messages with this header value (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l match-body-regex -d 'Only messages whose body (as UTF-8, lossy) matches this regular expression' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l match-routing-key -d 'Only messages published with one of these routing keys (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l match-message-id -d 'Only messages with one of these message ids (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l match-jsonpath -d 'Only JSON bodies with this value at this path: `$.order.status=failed` (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l prefetch -d 'Messages in flight at most (basic.qos); never unlimited' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand consume" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand consume" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand consume" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand consume" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand consume" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand consume" -l requeue -d 'Put every message back once the run is over (needs --count)'
complete -c warren -n "__fish_warren_using_subcommand consume" -l reject -d 'Reject every message (nack without requeue): it goes to the queue\'s dead-letter exchange'
complete -c warren -n "__fish_warren_using_subcommand consume" -l no-ack -d 'Let the broker forget each message as it is sent (auto-ack). Faster, but a crash loses what was in flight'
complete -c warren -n "__fish_warren_using_subcommand consume" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand consume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand consume" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand peek" -s n -l count -d 'Stop after N messages' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l idle-timeout -d 'Stop when no message arrives for this long (5s, 500ms, 2m; a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l format -d 'How messages are written to stdout [default: jsonl; pretty for peek]' -r -f -a "jsonl\t'One envelope per line (publish --file reads it back exactly)'
raw\t'The bodies only, each followed by a newline'
pretty\t'A readable block per message'"
complete -c warren -n "__fish_warren_using_subcommand peek" -l output-dir -d 'Write one `NNNNNNNNNN.envelope.json` file per message here instead of stdout' -r -F
complete -c warren -n "__fish_warren_using_subcommand peek" -l offset -d 'Where to start reading a stream: first, last, next, an offset N, a time (2026-12-03T10:00:00Z) or an age (30m) [default for a stream: first]' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l match-header -d 'Only messages with this header value (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l match-body-regex -d 'Only messages whose body (as UTF-8, lossy) matches this regular expression' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l match-routing-key -d 'Only messages published with one of these routing keys (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l match-message-id -d 'Only messages with one of these message ids (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l match-jsonpath -d 'Only JSON bodies with this value at this path: `$.order.status=failed` (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand peek" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand peek" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand peek" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand peek" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand peek" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand peek" -l force -d 'Peek even where it counts against a delivery limit'
complete -c warren -n "__fish_warren_using_subcommand peek" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand peek" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand peek" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand tap" -s b -l binding-key -d 'Binding key: `#` sees everything on a topic exchange; ignored by fanout exchanges' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l bind-header -d 'For headers exchanges: bind with this header (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l x-match -d 'How --bind-header values combine: all or any' -r -f -a "all\t''
any\t''"
complete -c warren -n "__fish_warren_using_subcommand tap" -s n -l count -d 'Stop after N messages' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l idle-timeout -d 'Stop when no message arrives for this long (5s, 500ms, 2m; a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l format -d 'How messages are written to stdout [default: jsonl; pretty for peek]' -r -f -a "jsonl\t'One envelope per line (publish --file reads it back exactly)'
raw\t'The bodies only, each followed by a newline'
pretty\t'A readable block per message'"
complete -c warren -n "__fish_warren_using_subcommand tap" -l output-dir -d 'Write one `NNNNNNNNNN.envelope.json` file per message here instead of stdout' -r -F
complete -c warren -n "__fish_warren_using_subcommand tap" -l offset -d 'Where to start reading a stream: first, last, next, an offset N, a time (2026-12-03T10:00:00Z) or an age (30m) [default for a stream: first]' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l match-header -d 'Only messages with this header value (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l match-body-regex -d 'Only messages whose body (as UTF-8, lossy) matches this regular expression' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l match-routing-key -d 'Only messages published with one of these routing keys (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l match-message-id -d 'Only messages with one of these message ids (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l match-jsonpath -d 'Only JSON bodies with this value at this path: `$.order.status=failed` (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand tap" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand tap" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand tap" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand tap" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand tap" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand tap" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand tap" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand tap" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l fail-on -d 'Exit with code 3 when a finding is at or above this severity' -r -f -a "low\t''
medium\t''
high\t''
critical\t''"
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l rule -d 'Run only this rule (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l skip -d 'Skip this rule (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l set -d 'Change a rule\'s threshold for this run, as ID.NAME=VALUE (repeatable); `warren audit rules` lists the thresholds and their defaults' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l rate-window -d 'How far apart the two reads of the authentication counters are, from which SEC011 computes the recent failed-login rate (0s: one read, and SEC011 is not checked)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l password-list -d 'Also try these passwords (one a line) in the weak-password rule (SEC003), besides its 10,000 common passwords and the variants of each user\'s name. Offline, from the password hashes; a finding never says which password matched' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -s o -l output -d 'Output format: sarif (SARIF 2.1.0, for code scanning) besides table, json and yaml. Same id as the global --output, which it replaces under `audit`; its value reaches `Global::output`' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'
sarif\t'SARIF 2.1.0, for code-scanning tools (`warren audit` only)'"
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l probe -d 'Also run the active probes: a guest:guest login and an EPMD NAMES request (port 4369) as a remote client would send them (for a loopback target, to this machine\'s non-loopback address), a CORS preflight from https://evil.example, and an unauthenticated GET of the metrics endpoint'
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l queue-stats -d 'Read per-queue statistics (messages, consumers, basic.get) even when the broker has more than 2,000 queues; slower, since every page of /api/queues lists every queue'
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -l fail-on-not-checked -d 'Also exit with code 3 when any selected rule is "not checked" (missing permissions, statistics switched off, an endpoint this version lacks): without it such a rule is listed with its reason but doesn\'t fail the run'
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -f -a "run" -d 'Run the audit (the default when no subcommand is given)'
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -f -a "rules" -d 'List the rule catalogue: id, severity, title, fix and documentation link'
complete -c warren -n "__fish_warren_using_subcommand audit; and not __fish_seen_subcommand_from run rules help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l fail-on -d 'Exit with code 3 when a finding is at or above this severity' -r -f -a "low\t''
medium\t''
high\t''
critical\t''"
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l rule -d 'Run only this rule (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l skip -d 'Skip this rule (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l set -d 'Change a rule\'s threshold for this run, as ID.NAME=VALUE (repeatable); `warren audit rules` lists the thresholds and their defaults' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l rate-window -d 'How far apart the two reads of the authentication counters are, from which SEC011 computes the recent failed-login rate (0s: one read, and SEC011 is not checked)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l password-list -d 'Also try these passwords (one a line) in the weak-password rule (SEC003), besides its 10,000 common passwords and the variants of each user\'s name. Offline, from the password hashes; a finding never says which password matched' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -s o -l output -d 'Output format: sarif (SARIF 2.1.0, for code scanning) besides table, json and yaml. Same id as the global --output, which it replaces under `audit`; its value reaches `Global::output`' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'
sarif\t'SARIF 2.1.0, for code-scanning tools (`warren audit` only)'"
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l probe -d 'Also run the active probes: a guest:guest login and an EPMD NAMES request (port 4369) as a remote client would send them (for a loopback target, to this machine\'s non-loopback address), a CORS preflight from https://evil.example, and an unauthenticated GET of the metrics endpoint'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l queue-stats -d 'Read per-queue statistics (messages, consumers, basic.get) even when the broker has more than 2,000 queues; slower, since every page of /api/queues lists every queue'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -l fail-on-not-checked -d 'Also exit with code 3 when any selected rule is "not checked" (missing permissions, statistics switched off, an endpoint this version lacks): without it such a rule is listed with its reason but doesn\'t fail the run'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -s o -l output -d 'Output format: sarif (SARIF 2.1.0, for code scanning) besides table, json and yaml. Same id as the global --output, which it replaces under `audit`; its value reaches `Global::output`' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'
sarif\t'SARIF 2.1.0, for code-scanning tools (`warren audit` only)'"
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from rules" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run the audit (the default when no subcommand is given)'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "rules" -d 'List the rule catalogue: id, severity, title, fix and documentation link'
complete -c warren -n "__fish_warren_using_subcommand audit; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand health" -l within -d '`certificates` fails for a certificate that expires within this span (e.g. 30d, 2w)' -r
complete -c warren -n "__fish_warren_using_subcommand health" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand health" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand health" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand health" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand health" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand health" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand health" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand health" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand health" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand health" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand health" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand health" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand health" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand health" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand doctor" -l window -d 'Time between the two samples (1s to 1m)' -r
complete -c warren -n "__fish_warren_using_subcommand doctor" -l top -d 'Rank the vhost\'s queues and doctor the worst N (5 with --all-vhosts alone)' -r
complete -c warren -n "__fish_warren_using_subcommand doctor" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand doctor" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand doctor" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand doctor" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand doctor" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand doctor" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand doctor" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand doctor" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand doctor" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand doctor" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand doctor" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand doctor" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand doctor" -l all-vhosts -d 'With --top: every virtual host instead of the one of --vhost / the URI'
complete -c warren -n "__fish_warren_using_subcommand doctor" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -f -a "status" -d 'One quorum queue\'s members: leader, online, Raft state, commit index and lag'
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -f -a "rebalance" -d 'Spread the leaders of every quorum queue across the running nodes'
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -f -a "migrate" -d 'Moving from mirrored classic queues (ha-* policies) to quorum queues'
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -f -a "grow" -d 'Add a member on NODE to each selected quorum queue that has none there'
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -f -a "shrink" -d 'Remove the member on NODE from each selected quorum queue'
complete -c warren -n "__fish_warren_using_subcommand quorum; and not __fish_seen_subcommand_from status rebalance migrate grow shrink help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l timeout -d 'How long to watch the leaders move (the broker rebalances in the background)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -l dry-run -d 'Show the leaders per node and the fair share; change nothing'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from rebalance" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -f -a "plan" -d 'Classify every queue an ha-* policy covers, and rewrite those policies (read-only)'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from migrate" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l name -d 'Only queues whose name matches this regular expression' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l all-vhosts -d 'Every virtual host instead of the one of --vhost / the URI'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l dry-run -d 'Show what would change; change nothing'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -s y -l yes -d 'Go ahead without asking (shrink; without a terminal it needs this)'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -l allow-below-quorum -d 'shrink: go ahead where a queue would keep fewer than 3 members or fewer online than a majority'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from grow" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l name -d 'Only queues whose name matches this regular expression' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l all-vhosts -d 'Every virtual host instead of the one of --vhost / the URI'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l dry-run -d 'Show what would change; change nothing'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -s y -l yes -d 'Go ahead without asking (shrink; without a terminal it needs this)'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -l allow-below-quorum -d 'shrink: go ahead where a queue would keep fewer than 3 members or fewer online than a majority'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from shrink" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from help" -f -a "status" -d 'One quorum queue\'s members: leader, online, Raft state, commit index and lag'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from help" -f -a "rebalance" -d 'Spread the leaders of every quorum queue across the running nodes'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Moving from mirrored classic queues (ha-* policies) to quorum queues'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from help" -f -a "grow" -d 'Add a member on NODE to each selected quorum queue that has none there'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from help" -f -a "shrink" -d 'Remove the member on NODE from each selected quorum queue'
complete -c warren -n "__fish_warren_using_subcommand quorum; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -f -a "lint" -d 'Check topology files offline: broken references, invalid combinations, advice'
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -f -a "plan" -d 'Show what `apply` would change on the broker'
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -f -a "apply" -d 'Make the broker match the topology files'
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -f -a "export" -d 'Write live state as topology YAML (the vhost of the connection, or every vhost)'
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -f -a "convert" -d 'Turn a RabbitMQ definitions export (JSON) into topology YAML'
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -f -a "restore" -d 'Put back a backup written by `apply` (or any definitions file): shown, then applied'
complete -c warren -n "__fish_warren_using_subcommand topology; and not __fish_seen_subcommand_from lint plan apply export convert restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -s f -l file -d 'Topology file or directory (of *.yaml / *.yml); repeat to merge several' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l max-file-size -d 'Refuse (exit 4) input larger than SIZE (e.g. 64MiB, 1GiB), read no further: a topology file, or one envelope (a line of --file, a file of --dir)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l max-depth -d 'Refuse (exit 4) input whose lists and maps nest deeper than N levels (1 to 128), before parsing it' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l target-version -d 'The RabbitMQ series the topology is for (e.g. 3.10, 4.0, 4.3): what it refuses is an error, what it deprecates or ignores a warning. plan and apply ask the broker instead' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -l strict -d 'Fail (exit 3) on warnings too'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from lint" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -s f -l file -d 'Topology file or directory (of *.yaml / *.yml); repeat to merge several' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l max-file-size -d 'Refuse (exit 4) input larger than SIZE (e.g. 64MiB, 1GiB), read no further: a topology file, or one envelope (a line of --file, a file of --dir)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l max-depth -d 'Refuse (exit 4) input whose lists and maps nest deeper than N levels (1 to 128), before parsing it' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l detailed-exitcode -d 'Exit 0 when there are no changes and 3 when there are'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -l prune -d 'Include deleting objects of the managed vhosts that the files don\'t declare'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from plan" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -s f -l file -d 'Topology file or directory (of *.yaml / *.yml); repeat to merge several' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l max-file-size -d 'Refuse (exit 4) input larger than SIZE (e.g. 64MiB, 1GiB), read no further: a topology file, or one envelope (a line of --file, a file of --dir)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l max-depth -d 'Refuse (exit 4) input whose lists and maps nest deeper than N levels (1 to 128), before parsing it' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l backup -d 'Write the backup taken before changing anything to this file (default: a timestamped file in $XDG_STATE_HOME/warren/backups/)' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l keep-backups -d 'How many backups to keep in the default directory' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l prune -d 'Delete objects of the managed vhosts that the files don\'t declare (needs --yes)'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -s y -l yes -d 'Go ahead without asking (without a terminal, nothing destructive happens without it)'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l dry-run -d 'Show what would change, with the message counts at stake; change nothing'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l allow-message-loss -d 'Go ahead where messages would be lost: a queue that holds messages, or whose count is unknown'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -l no-backup -d 'Change the broker without writing a backup first'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from apply" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -l all-vhosts -d 'Export every vhost instead of the connection\'s (--vhost or the URI\'s)'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l max-file-size -d 'Refuse (exit 4) input larger than SIZE (e.g. 64MiB, 1GiB), read no further: a topology file, or one envelope (a line of --file, a file of --dir)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l max-depth -d 'Refuse (exit 4) input whose lists and maps nest deeper than N levels (1 to 128), before parsing it' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -l strict -d 'Exit 3 when the file holds anything the model can\'t carry (listed on stderr)'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from convert" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l backup -d 'Write the backup taken before changing anything to this file (default: a timestamped file in $XDG_STATE_HOME/warren/backups/)' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l keep-backups -d 'How many backups to keep in the default directory' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -s y -l yes -d 'Confirm: without it, restore only shows what it would change'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l dry-run -d 'Print the plan and change nothing (exit 0, where no --yes is exit 2)'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -l no-backup -d 'Change the broker without writing a backup first'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from help" -f -a "lint" -d 'Check topology files offline: broken references, invalid combinations, advice'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from help" -f -a "plan" -d 'Show what `apply` would change on the broker'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from help" -f -a "apply" -d 'Make the broker match the topology files'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write live state as topology YAML (the vhost of the connection, or every vhost)'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from help" -f -a "convert" -d 'Turn a RabbitMQ definitions export (JSON) into topology YAML'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Put back a backup written by `apply` (or any definitions file): shown, then applied'
complete -c warren -n "__fish_warren_using_subcommand topology; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand replay" -l target -d 'Where copies go: original, exchange:NAME[:KEY] or queue:NAME' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l redirect -d 'Send messages that died in queue OLD to queue NEW instead (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l reason -d 'Only messages dead-lettered for this reason (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l from-queue -d 'Only messages that died in this queue (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l older-than -d 'Only messages that died at least this long ago (30m, 2h, 1h30m, 1d)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l newer-than -d 'Only messages that died at most this long ago' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l min-deaths -d 'Only messages with at least N recorded deaths' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l max-deaths -d 'Only messages with at most N recorded deaths' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l match-header -d 'Only messages with this header value (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l match-body-regex -d 'Only messages whose body (as UTF-8, lossy) matches this regular expression' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l match-routing-key -d 'Only messages published with one of these routing keys (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l match-message-id -d 'Only messages with one of these message ids (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l match-jsonpath -d 'Only JSON bodies with this value at this path: `$.order.status=failed` (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -s n -l count -d 'Stop after N messages (copy at most N)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l rate -d 'Messages per second, at most (0.001 to 1000000000)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l window -d 'Copies awaiting their confirm (and their source\'s ack), at most: also the most messages that can end up in both places after a crash' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l confirm-timeout -d 'How long to wait for a publisher confirm (above 0; a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l on-failure -d 'What to do with a message whose copy is returned, nacked or has no route: requeue (leave it in the DLQ), park:QUEUE, or abort' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l max-replays -d 'Treat messages replayed N times already as failures (see --on-failure)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l export -d 'Append every replayed copy\'s envelope here, fsynced before the DLQ ack' -r -F
complete -c warren -n "__fish_warren_using_subcommand replay" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand replay" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand replay" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand replay" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand replay" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand replay" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand replay" -l dry-run -d 'Show what would happen (counts by origin, reason and target, a sample); change nothing'
complete -c warren -n "__fish_warren_using_subcommand replay" -l force -d 'Dry-run even a quorum DLQ with a delivery limit'
complete -c warren -n "__fish_warren_using_subcommand replay" -l keep-death-headers -d 'Keep x-death and x-first/last-death-* on the copies (RabbitMQ 4.x ignores a client-set x-death; 3.x counts on from it)'
complete -c warren -n "__fish_warren_using_subcommand replay" -l restore-expiration -d 'Give copies their per-message TTL back (x-death\'s original-expiration)'
complete -c warren -n "__fish_warren_using_subcommand replay" -s y -l yes -d 'Don\'t ask for confirmation'
complete -c warren -n "__fish_warren_using_subcommand replay" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand replay" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand perf" -l producers -d 'Publishing connections, one channel each (at most 500)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l consumers -d 'Consuming connections, one channel each (at most 500)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l rate -d 'Messages per second, all producers together (default: as fast as they can)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l size -d 'Body size in bytes (the first 8 hold the timestamp)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l queue-type -r -f -a "classic\t''
quorum\t''
stream\t''"
complete -c warren -n "__fish_warren_using_subcommand perf" -l queue -d 'The queue to use (default: a new warren-perf-<pid>). An existing queue is kept' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l confirm -d 'Unconfirmed messages per producer, at most; 0 turns publisher confirms off' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l multi-ack -d 'Consumers ack with `multiple` every M messages (and whenever none is waiting)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l prefetch -d 'Messages in flight per consumer (basic.qos)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l duration -d 'How long to run (e.g. 30s, 5m)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand perf" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand perf" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand perf" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand perf" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand perf" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand perf" -l persistent -d 'Persistent messages (delivery mode 2) instead of transient ones'
complete -c warren -n "__fish_warren_using_subcommand perf" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand perf" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand perf" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand move" -l to-vhost -d 'The destination\'s virtual host (default: the source\'s, or the destination broker\'s)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l to-uri -d 'The destination broker\'s AMQP URI (repeatable, one per node)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l to-api-url -d 'The destination broker\'s management API URL (default: from --to-uri)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l to-profile -d 'The destination broker as a profile of the config file' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l to-user -d 'The destination broker\'s user' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l to-password-file -d 'Read the destination user\'s password from this file' -r -F
complete -c warren -n "__fish_warren_using_subcommand move" -l to-ca-cert -d 'CA(s) to trust for the destination\'s TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand move" -l to-client-cert -d 'Client certificate for the destination' -r -F
complete -c warren -n "__fish_warren_using_subcommand move" -l to-client-key -d 'Private key of --to-client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand move" -l to-tls-server-name -d 'Verify the destination\'s certificate against this name' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l match-header -d 'Only messages with this header value (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l match-body-regex -d 'Only messages whose body (as UTF-8, lossy) matches this regular expression' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l match-routing-key -d 'Only messages published with one of these routing keys (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l match-message-id -d 'Only messages with one of these message ids (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l match-jsonpath -d 'Only JSON bodies with this value at this path: `$.order.status=failed` (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -s n -l count -d 'Stop after N messages (copy at most N)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l rate -d 'Messages per second, at most (0.001 to 1000000000)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l window -d 'Copies awaiting their confirm (and their source\'s ack), at most: also the most messages that can end up in both places after a crash' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l confirm-timeout -d 'How long to wait for a publisher confirm (above 0; a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand move" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand move" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand move" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand move" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand move" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand move" -l moved-from -d 'Add `moved-from` (the source queue) and `moved-from-vhost` headers to each copy'
complete -c warren -n "__fish_warren_using_subcommand move" -l dry-run -d 'Show what would move (counts, a sample); change nothing'
complete -c warren -n "__fish_warren_using_subcommand move" -l force -d 'Dry-run even a quorum source with a delivery limit'
complete -c warren -n "__fish_warren_using_subcommand move" -s y -l yes -d 'Don\'t ask for confirmation'
complete -c warren -n "__fish_warren_using_subcommand move" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand move" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand move" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand list" -l name -d 'Only objects whose name matches this regular expression' -r
complete -c warren -n "__fish_warren_using_subcommand list" -l where -d 'Only objects for which this expression holds (see below)' -r
complete -c warren -n "__fish_warren_using_subcommand list" -l sort -d 'Sort by these columns, `-` before one for descending: `-messages,name`' -r
complete -c warren -n "__fish_warren_using_subcommand list" -l columns -d 'The columns to show, in order (`help` lists them)' -r
complete -c warren -n "__fish_warren_using_subcommand list" -s o -l output -d 'Output format: csv and tsv besides table, json and yaml. JSON is an array of flat objects whose keys are the columns' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'
csv\t'Comma-separated values with a header line (`warren list` only)'
tsv\t'Tab-separated values with a header line (`warren list` only)'"
complete -c warren -n "__fish_warren_using_subcommand list" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand list" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand list" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand list" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand list" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand list" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand list" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand list" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand list" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand list" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand list" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand list" -l all-vhosts -d 'Every virtual host instead of the one of --vhost / the URI'
complete -c warren -n "__fish_warren_using_subcommand list" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand list" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand purge" -l export -d 'Append every message to this JSON Lines file (fsynced) before removing it' -r -F
complete -c warren -n "__fish_warren_using_subcommand purge" -l match-header -d 'Only messages with this header value (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -l match-body-regex -d 'Only messages whose body (as UTF-8, lossy) matches this regular expression' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -l match-routing-key -d 'Only messages published with one of these routing keys (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -l match-message-id -d 'Only messages with one of these message ids (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -l match-jsonpath -d 'Only JSON bodies with this value at this path: `$.order.status=failed` (repeatable)' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand purge" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand purge" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand purge" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand purge" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand purge" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand purge" -s y -l yes -d 'Go ahead without asking (without a terminal, nothing destructive happens without it)'
complete -c warren -n "__fish_warren_using_subcommand purge" -l dry-run -d 'Show what would change, with the message counts at stake; change nothing'
complete -c warren -n "__fish_warren_using_subcommand purge" -l allow-message-loss -d 'Go ahead where messages would be lost: a queue that holds messages, or whose count is unknown'
complete -c warren -n "__fish_warren_using_subcommand purge" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand purge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand purge" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand show" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand show" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand show" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand show" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand show" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand show" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand show" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand show" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand show" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand show" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand show" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand show" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand show" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand show" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand route" -s H -l header -d 'A header of the message: `key=value` or `key:TYPE=value`, as `warren publish -H`' -r
complete -c warren -n "__fish_warren_using_subcommand route" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand route" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand route" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand route" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand route" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand route" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand route" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand route" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand route" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand route" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand route" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand route" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand route" -l verify -d 'Also publish one marked message and compare what the broker did'
complete -c warren -n "__fish_warren_using_subcommand route" -s y -l yes -d 'Go ahead with --verify without asking'
complete -c warren -n "__fish_warren_using_subcommand route" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand route" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand route" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand delete" -l name -d 'Every object of the kind whose name matches this regular expression, instead of names (never the default exchange or an amq.* one)' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -l source -d 'Bindings: the source exchange' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -l destination -d 'Bindings: the destination queue (or exchange, see --destination-type)' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -l destination-type -d 'Bindings: what the destination is' -r -f -a "queue\t''
exchange\t''"
complete -c warren -n "__fish_warren_using_subcommand delete" -l routing-key -d 'Bindings: only the binding with this routing key' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand delete" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand delete" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand delete" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand delete" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand delete" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand delete" -l if-empty -d 'Queues: only if they hold no message'
complete -c warren -n "__fish_warren_using_subcommand delete" -l if-unused -d 'Queues: only if they have no consumer. Exchanges: only if they are no binding\'s source'
complete -c warren -n "__fish_warren_using_subcommand delete" -s y -l yes -d 'Go ahead without asking (without a terminal, nothing destructive happens without it)'
complete -c warren -n "__fish_warren_using_subcommand delete" -l dry-run -d 'Show what would change, with the message counts at stake; change nothing'
complete -c warren -n "__fish_warren_using_subcommand delete" -l allow-message-loss -d 'Go ahead where messages would be lost: a queue that holds messages, or whose count is unknown'
complete -c warren -n "__fish_warren_using_subcommand delete" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand delete" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -f -a "connections" -d 'Close the client connections every given selector matches (at least one is needed)'
complete -c warren -n "__fish_warren_using_subcommand close; and not __fish_seen_subcommand_from connections help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l by-user -d 'Only connections of this user' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l in-vhost -d 'The old scope flag (deprecated: see `crate::cli::DEPRECATED`): the same as --vhost here' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l client-name -d 'Only connections whose client-given name (client_properties.connection_name) matches this regular expression' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l name -d 'Only the connection of this exact name (repeatable), as `warren list connections` shows it' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l idle-longer-than -d 'Only connections idle for longer than this (30m, 1h, 2d)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l protocol -d 'Only connections of this protocol, e.g. "AMQP 0-9-1", "MQTT 3.1.1" (any case)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l reason -d 'The reason the clients are given (sent as X-Reason; printable ASCII)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l delay -d 'Pause this long between two closes (200ms, 1s; 0 to 10m; a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l delay-ms -d 'The old spelling of --delay, in milliseconds (deprecated: see `crate::cli::DEPRECATED`)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l all-vhosts -d 'Connections to every vhost instead of the one of --vhost / the URI'
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -l dry-run -d 'List the connections that would be closed; close nothing'
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -s y -l yes -d 'Don\'t ask for confirmation'
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from connections" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from help" -f -a "connections" -d 'Close the client connections every given selector matches (at least one is needed)'
complete -c warren -n "__fish_warren_using_subcommand close; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand completions" -s o -l output -d 'Output format (`warren audit` also takes sarif)' -r -f -a "table\t'Human-readable tables'
json\t'One JSON document'
yaml\t'One YAML document'"
complete -c warren -n "__fish_warren_using_subcommand completions" -l uri -d 'AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`). Repeat for the nodes of a cluster: they are tried in order. Never put a password here' -r
complete -c warren -n "__fish_warren_using_subcommand completions" -l api-url -d 'Management API base URL `http[s]://host:port`; repeatable like --uri. Default: derived from the first URI\'s host (port 15672, or 15671 for amqps)' -r
complete -c warren -n "__fish_warren_using_subcommand completions" -l user -d 'User name (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand completions" -l password-file -d 'Read the password from this file (its first line). There is no password flag, so that a password never shows in `ps`' -r -F
complete -c warren -n "__fish_warren_using_subcommand completions" -l vhost -d 'Virtual host (overrides the one in the URI)' -r
complete -c warren -n "__fish_warren_using_subcommand completions" -l profile -d 'Named profile from $XDG_CONFIG_HOME/warren/config.yaml' -r
complete -c warren -n "__fish_warren_using_subcommand completions" -l ca-cert -d 'PEM file of the CA(s) to trust for TLS, instead of the system\'s trust store' -r -F
complete -c warren -n "__fish_warren_using_subcommand completions" -l client-cert -d 'PEM client certificate (chain) for mutual TLS' -r -F
complete -c warren -n "__fish_warren_using_subcommand completions" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c warren -n "__fish_warren_using_subcommand completions" -l tls-server-name -d 'Verify the server\'s certificate against this name instead of the URL\'s host' -r
complete -c warren -n "__fish_warren_using_subcommand completions" -l connect-timeout -d 'How long to wait for a connection or an HTTP response (1s to 1h; 10, 10s and 500ms forms alike: a bare number is seconds)' -r
complete -c warren -n "__fish_warren_using_subcommand completions" -s q -l quiet -d 'No notes and no progress on stderr: only results, warnings and errors'
complete -c warren -n "__fish_warren_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c warren -n "__fish_warren_using_subcommand completions" -s V -l version -d 'Print version'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "status" -d 'Connect over AMQP and HTTP and show the broker, its nodes and listeners'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "publish" -d 'Publish messages with confirms and `mandatory`: a body, stdin, lines, envelope files, a generator'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "consume" -d 'Consume messages from a queue into JSON Lines or files, acking only what is written'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "peek" -d 'Show messages on a queue and put them back'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "tap" -d 'Watch messages flowing through an exchange, through a private bound queue'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "audit" -d 'Audit a live broker for security and reliability problems (exit 3 on findings)'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "health" -d 'Fast health checks of a cluster: nodes, alarms, listeners, quorum, certificates (exit 3 when unhealthy)'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "doctor" -d 'Explain why a queue grows or is stuck: evidence, a fix and the next command (exit 3 on a problem)'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "quorum" -d 'Quorum queues: members and Raft status, leader rebalancing, growing and shrinking members'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "topology" -d 'Topology as code: lint, plan, apply, export and convert YAML topology files'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "replay" -d 'Move dead-lettered messages back where they came from, filtered, without losing one'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "perf" -d 'Load the broker with producers and consumers; rates and latency percentiles every second'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "move" -d 'Move a queue\'s messages to another queue, exchange, vhost or broker, without losing one'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "list" -d 'List queues, exchanges, connections, ...: filtered (--where), sorted, chosen columns'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "purge" -d 'Remove every ready message of a queue (--export: into a file first, loss-free)'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "show" -d 'Show one queue, exchange, connection, user or vhost in depth (policy, bindings, ...)'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "route" -d 'Explain which queues a message would reach, and why; --verify checks with the broker'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "delete" -d 'Delete queues, exchanges, bindings, vhosts, users, policies or shovels, safely'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "close" -d 'Close client connections chosen by user, vhost, name, protocol or idle time'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c warren -n "__fish_warren_using_subcommand help; and not __fish_seen_subcommand_from status publish consume peek tap audit health doctor quorum topology replay perf move list purge show route delete close completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "run" -d 'Run the audit (the default when no subcommand is given)'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from audit" -f -a "rules" -d 'List the rule catalogue: id, severity, title, fix and documentation link'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from quorum" -f -a "status" -d 'One quorum queue\'s members: leader, online, Raft state, commit index and lag'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from quorum" -f -a "rebalance" -d 'Spread the leaders of every quorum queue across the running nodes'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from quorum" -f -a "migrate" -d 'Moving from mirrored classic queues (ha-* policies) to quorum queues'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from quorum" -f -a "grow" -d 'Add a member on NODE to each selected quorum queue that has none there'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from quorum" -f -a "shrink" -d 'Remove the member on NODE from each selected quorum queue'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from topology" -f -a "lint" -d 'Check topology files offline: broken references, invalid combinations, advice'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from topology" -f -a "plan" -d 'Show what `apply` would change on the broker'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from topology" -f -a "apply" -d 'Make the broker match the topology files'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from topology" -f -a "export" -d 'Write live state as topology YAML (the vhost of the connection, or every vhost)'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from topology" -f -a "convert" -d 'Turn a RabbitMQ definitions export (JSON) into topology YAML'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from topology" -f -a "restore" -d 'Put back a backup written by `apply` (or any definitions file): shown, then applied'
complete -c warren -n "__fish_warren_using_subcommand help; and __fish_seen_subcommand_from close" -f -a "connections" -d 'Close the client connections every given selector matches (at least one is needed)'
