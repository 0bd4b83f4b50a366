//! AMQP sessions over lapin: connect to the first node that answers, over the shared rustls
//! configuration, and map lapin's errors to exit codes with a sentence an operator can act on.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use lapin::tcp::RustlsConnector;
use lapin::uri::{AMQPAuthority, AMQPQueryString, AMQPScheme, AMQPUri, AMQPUserInfo};
use lapin::{AsyncTcpStream, Connection, ConnectionProperties, ErrorKind};

use super::settings::{AmqpEndpoint, Settings};
use super::tls;
use crate::exit::{Code, Error, code_of};

/// An open AMQP connection and the node it reached.
pub struct Session {
    pub connection: Connection,
    /// The node reached, redacted: `amqp[s]://user@host:port/vhost`.
    pub endpoint: String,
    /// Its place in the settings' list of AMQP endpoints.
    pub index: usize,
}

/// How long one AMQP operation (declare, bind, qos, consume, ack) may wait for the broker.
/// A broker that doesn't answer in this time counts as lost: nothing waits forever.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a shutdown step (cancel, the final nack, a close) may take; its result is only
/// informative, since closing the connection settles the rest anyway.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

/// Await one AMQP operation for at most `limit`; past it, the error is a timed-out I/O
/// error, which every caller already treats as a lost broker.
pub async fn bounded<T>(
    limit: Duration,
    operation: impl Future<Output = lapin::Result<T>>,
) -> lapin::Result<T> {
    match tokio::time::timeout(limit, operation).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("the broker did not answer within {}s", limit.as_secs()),
        )
        .into()),
    }
}

/// A shutdown step, bounded by [`SHUTDOWN_TIMEOUT`]; its outcome is ignored.
pub async fn shut(step: impl Future<Output = lapin::Result<()>>) {
    let _ = bounded(SHUTDOWN_TIMEOUT, step).await;
}

/// A session on `vhost` (the settings' own otherwise), or why there is none: for a caller
/// that can go on without AMQP, saying what it then can't tell.
pub async fn session_on(settings: &Settings, vhost: &str) -> std::result::Result<Session, String> {
    let mut s = settings.clone();
    s.vhost = vhost.to_string();
    connect(&s).await.map_err(|e| format!("{e:#}"))
}

/// Put back every delivery of `channel` still unacked up to `tag`, with one `multiple` nack,
/// as a step of a shutdown (a failure is ignored: the broker puts them back when the channel
/// closes anyway).
pub async fn requeue_through(channel: &lapin::Channel, tag: u64) {
    shut(channel.basic_nack(
        tag,
        lapin::options::BasicNackOptions {
            multiple: true,
            requeue: true,
        },
    ))
    .await;
}

/// A failed channel operation, the one classifier of lapin's channel errors: the broker
/// refused it (a protocol error; 403 is a permission, 404 a missing object), or the broker is
/// gone (anything else: I/O, a timeout, a closed connection). Connection errors: [`classify`].
pub fn operation_error(what: &str, err: &lapin::Error) -> Error {
    match err.kind() {
        ErrorKind::ProtocolError(e) if e.get_id() == 403 => {
            Error::auth_refused(format!("access refused ({})", e.get_message())).about(what)
        }
        ErrorKind::ProtocolError(e) if is_not_found(err) => {
            Error::broker_refused(format!("{what} not found ({})", e.get_message()))
        }
        ErrorKind::ProtocolError(_) => Error::broker_refused(describe(err)).about(what),
        _ => Error::unreachable(describe(err)).about(what),
    }
}

/// Whether the broker refused an operation because its object is missing (404 NOT_FOUND).
pub fn is_not_found(err: &lapin::Error) -> bool {
    matches!(err.kind(), ErrorKind::ProtocolError(e) if e.get_id() == 404)
}

/// The broker's reason for a channel or connection error, in its own words.
pub fn describe(err: &lapin::Error) -> String {
    match err.kind() {
        ErrorKind::ProtocolError(e) => format!("{} {}", e.get_id(), e.get_message()),
        ErrorKind::InvalidChannelState(lapin::ChannelState::Error, _) => {
            "the channel failed: its connection was lost or the broker closed it".into()
        }
        ErrorKind::InvalidChannelState(lapin::ChannelState::Closed, _) => {
            "the channel is closed".into()
        }
        ErrorKind::InvalidChannelState(state, _) => format!("channel {state:?}"),
        _ => err.to_string(),
    }
}

/// Open a channel; a failure is the broker refusing it (e.g. channel_max reached), or gone.
pub async fn open_channel(connection: &Connection) -> Result<lapin::Channel> {
    bounded(OPERATION_TIMEOUT, connection.create_channel())
        .await
        .map_err(|e| operation_error("opening a channel", &e).into())
}

/// Close a channel, bounded.
pub async fn close_channel(channel: &lapin::Channel) {
    shut(channel.close(200, "done".into())).await;
}

impl Session {
    pub async fn channel(&self) -> Result<lapin::Channel> {
        open_channel(&self.connection).await
    }

    pub async fn close(&self) {
        shut(self.connection.close(200, "bye".into())).await;
    }
}

/// Connect to the first node that answers. Unreachable nodes and TLS failures move on to the
/// next; a refused login or vhost stops at once, since every node shares the same users.
pub async fn connect(settings: &Settings) -> Result<Session> {
    connect_from(settings, 0).await
}

/// [`connect`], trying the endpoints in order from `first` and wrapping around: after losing
/// a node, the next one is tried first, and the lost one last.
pub async fn connect_from(settings: &Settings, first: usize) -> Result<Session> {
    let tls_config = if settings.amqp.iter().any(|e| e.tls) {
        Some(Arc::new(tls::client_config(&settings.tls)?))
    } else {
        None
    };
    let mut last_err = None;
    let count = settings.amqp.len();
    for i in 0..count {
        let index = (first + i) % count;
        let endpoint = &settings.amqp[index];
        let shown = endpoint.redacted(&settings.user, &settings.vhost);
        match connect_one(settings, endpoint, tls_config.clone()).await {
            Ok(connection) => {
                if settings.amqp.len() > 1 {
                    crate::note!("connected to {shown}");
                }
                return Ok(Session {
                    connection,
                    endpoint: shown,
                    index,
                });
            }
            Err(err) => {
                let code = code_of(&err);
                let more = i + 1 < count;
                if more && matches!(code, Code::Unreachable | Code::Tls) {
                    crate::note!("{err:#}; trying the next node");
                    last_err = Some(err);
                    continue;
                }
                return Err(err);
            }
        }
    }
    Err(last_err.unwrap_or_else(|| Error::usage("no AMQP URI configured").into()))
}

/// The heartbeat warren asks for unless the URI sets one (`?heartbeat=N`): a broker that
/// freezes with its socket open is noticed after two missed intervals, not RabbitMQ's 2 x 60 s.
pub const HEARTBEAT_SECONDS: u16 = 10;

fn lapin_uri(settings: &Settings, endpoint: &AmqpEndpoint) -> Result<AMQPUri> {
    let mut query = match &endpoint.query {
        Some(q) => {
            format!("amqp://localhost/?{q}")
                .parse::<AMQPUri>()
                .map_err(|e| Error::usage(format!("URI query `{q}`: {e}")))?
                .query
        }
        None => AMQPQueryString::default(),
    };
    query.heartbeat.get_or_insert(HEARTBEAT_SECONDS);
    Ok(AMQPUri {
        scheme: if endpoint.tls {
            AMQPScheme::AMQPS
        } else {
            AMQPScheme::AMQP
        },
        authority: AMQPAuthority {
            userinfo: AMQPUserInfo {
                username: settings.user.clone(),
                password: settings.password.expose().to_string(),
            },
            host: endpoint.host.clone(),
            port: endpoint.port,
        },
        vhost: settings.vhost.clone(),
        query,
    })
}

async fn connect_one(
    settings: &Settings,
    endpoint: &AmqpEndpoint,
    tls_config: Option<Arc<rustls::ClientConfig>>,
) -> Result<Connection> {
    let uri = lapin_uri(settings, endpoint)?;
    let runtime = lapin::runtime::default_runtime()
        .map_err(|e| Error::internal(format!("AMQP runtime: {e}")))?;
    let server_name = settings
        .tls
        .server_name
        .clone()
        .unwrap_or_else(|| endpoint.host.clone());
    let connector = tls_config.map(|c| Arc::new(RustlsConnector::from(c)));
    let properties = ConnectionProperties::default()
        .with_connection_name(format!("warren {}", env!("CARGO_PKG_VERSION")).into());
    let attempt = Connection::connector(
        uri,
        runtime,
        async move |uri, runtime| {
            let addrs = runtime.to_socket_addrs((uri.authority.host.clone(), uri.authority.port));
            let stream = AsyncTcpStream::connect(&runtime, addrs).await?;
            match (&uri.scheme, &connector) {
                (AMQPScheme::AMQPS, Some(connector)) => {
                    Ok(stream.into_rustls(connector, &server_name).await?)
                }
                _ => Ok(stream),
            }
        },
        properties,
    );
    match tokio::time::timeout(settings.timeout, attempt).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(err)) => Err(classify(&err, settings, endpoint).into()),
        Err(_) => Err(Error::unreachable(format!(
            "AMQP: no answer from {}:{} within {}s",
            endpoint.host,
            endpoint.port,
            settings.timeout.as_secs()
        ))
        .into()),
    }
}

/// Turn a lapin error into a coded error with a message that names the node, never the password.
pub fn classify(err: &lapin::Error, settings: &Settings, endpoint: &AmqpEndpoint) -> Error {
    let node = format!("{}:{}", endpoint.host, endpoint.port);
    if let Some(rustls_err) = tls::find_rustls_error(err) {
        let peer = tls::Peer {
            address: &node,
            name: settings
                .tls
                .server_name
                .as_deref()
                .unwrap_or(&endpoint.host),
            plain: "amqp://",
        };
        let explained = tls::explain(rustls_err, peer);
        let detail = explained.detail();
        let mut error = Error::tls(format!("AMQP {}", detail.reason));
        if let Some(hint) = &detail.hint {
            error = error.hint(hint.clone());
        }
        return error;
    }
    match err.kind() {
        ErrorKind::ProtocolError(amqp) => {
            let text = amqp.get_message().as_str();
            match amqp.get_id() {
                403 => Error::auth_refused(format!(
                    "AMQP: {node} refused the login of user `{}` (403 ACCESS_REFUSED)",
                    settings.user
                )),
                530 => Error::vhost_unavailable(format!(
                    "AMQP: vhost `{}` does not exist or user `{}` has no access to it (530: {text})",
                    settings.vhost, settings.user
                )),
                id => Error::broker_refused(format!(
                    "AMQP: {node} closed the connection ({id}: {text})"
                )),
            }
        }
        ErrorKind::IOError(io) => {
            use std::io::ErrorKind as Io;
            let dropped = matches!(
                io.kind(),
                Io::ConnectionReset | Io::UnexpectedEof | Io::ConnectionAborted | Io::BrokenPipe
            );
            // Under TLS 1.3 a server that wants a client certificate (or rejects ours) sends
            // its alert after the client considers the handshake done, and often resets the
            // socket before the alert is read: the reset is all we see.
            if endpoint.tls && dropped {
                let why = if settings.tls.client_cert.is_some() {
                    "it may have rejected the client certificate"
                } else {
                    "it may require a client certificate (--client-cert and --client-key)"
                };
                return Error::tls(format!(
                    "AMQP TLS: {node} closed the connection right after the TLS handshake ({io})"
                ))
                .hint(why);
            }
            Error::unreachable(format!("AMQP: cannot reach {node}: {io}"))
        }
        ErrorKind::ParsingError(_) | ErrorKind::InvalidProtocolVersion(_) => {
            Error::unreachable(format!(
                "AMQP: {node} answered, but not as an AMQP 0-9-1 broker: is this the right \
                 port (5672, or 5671 for amqps; 15672 is the management API)?"
            ))
        }
        ErrorKind::MissingHeartbeatError => {
            Error::unreachable(format!("AMQP: {node} stopped answering (no heartbeat)"))
        }
        ErrorKind::InvalidConnectionState(state) => Error::unreachable(format!(
            "AMQP: connection to {node} ended during the handshake ({state:?})"
        )),
        other => Error::internal(format!("AMQP: {node}: {other:?}")),
    }
}
