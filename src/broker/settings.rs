//! Where to connect and as whom: command-line flags, then environment variables, then a
//! named profile, then defaults. Resolution is pure (the environment and the profile file
//! are passed in), so the precedence rules are unit-tested without touching the machine.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Deserialize;
use url::Url;

use crate::exit::Error;

pub const DEFAULT_URI: &str = "amqp://localhost:5672/%2f";
pub const DEFAULT_API_URL: &str = "http://localhost:15672";

/// A password. It prints as `***` through `Debug` and `Display`, so it can't leak by accident.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The real value, for the wire only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The connection settings given on the command line (filled in by `cli`; no clap here).
#[derive(Debug, Clone, Default)]
pub struct ConnectionFlags {
    /// AMQP URI `amqp[s]://user@host:port/vhost` (vhost percent-encoded, `%2f` for `/`).
    /// Repeat for the nodes of a cluster: they are tried in order. Never put a password here.
    pub uris: Vec<String>,

    /// Management API base URL `http[s]://host:port`; repeatable like --uri.
    /// Default: derived from the first URI's host (port 15672, or 15671 for amqps).
    pub api_urls: Vec<String>,

    /// User name (overrides the one in the URI).
    pub user: Option<String>,

    /// Read the password from this file (its first line). There is no password flag, so
    /// that a password never shows in `ps`.
    pub password_file: Option<PathBuf>,

    /// Virtual host (overrides the one in the URI).
    pub vhost: Option<String>,

    /// Named profile from $XDG_CONFIG_HOME/warren/config.yaml.
    pub profile: Option<String>,

    /// PEM file of the CA(s) to trust for TLS, instead of the system's trust store.
    pub ca_cert: Option<PathBuf>,

    /// PEM client certificate (chain) for mutual TLS.
    pub client_cert: Option<PathBuf>,

    /// PEM private key of --client-cert.
    pub client_key: Option<PathBuf>,

    /// Verify the server's certificate against this name instead of the URL's host.
    pub tls_server_name: Option<String>,

    /// Seconds to wait for a connection or an HTTP response (1 to 3600).
    pub connect_timeout: Duration,
}

/// `$XDG_CONFIG_HOME/warren/config.yaml`.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used when neither --profile nor WARREN_PROFILE names one.
    #[serde(default)]
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One named set of connection settings.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default)]
    pub uris: Vec<String>,
    #[serde(default)]
    pub api_urls: Vec<String>,
    pub user: Option<String>,
    pub password_file: Option<PathBuf>,
    /// The name of an environment variable that holds the password.
    pub password_env: Option<String>,
    pub vhost: Option<String>,
    pub ca_cert: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub tls_server_name: Option<String>,
}

impl Profile {
    /// Paths in the profile file may start with `~/`.
    fn with_home_expanded(&self, env: &dyn Fn(&str) -> Option<String>) -> Profile {
        let expand = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| match (p.strip_prefix("~"), env("HOME")) {
                    (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
                    _ => p.clone(),
                })
        };
        Profile {
            password_file: expand(&self.password_file),
            ca_cert: expand(&self.ca_cert),
            client_cert: expand(&self.client_cert),
            client_key: expand(&self.client_key),
            ..self.clone()
        }
    }
}

/// TLS material; verification of the peer is always on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca_cert: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub server_name: Option<String>,
}

/// One AMQP node to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpEndpoint {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Query string passed through to the client (heartbeat, frame_max, ...).
    pub query: Option<String>,
}

impl AmqpEndpoint {
    /// The endpoint as `amqp[s]://user@host:port/vhost`: never with a password.
    pub fn redacted(&self, user: &str, vhost: &str) -> String {
        format!(
            "{}://{}@{}:{}/{}",
            if self.tls { "amqps" } else { "amqp" },
            encode_component(user),
            self.host,
            self.port,
            encode_component(vhost)
        )
    }
}

/// Everything needed to reach the broker, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub amqp: Vec<AmqpEndpoint>,
    pub api: Vec<Url>,
    pub user: String,
    pub password: Secret,
    pub vhost: String,
    pub tls: TlsFiles,
    pub timeout: Duration,
    /// The profile that contributed, if any.
    pub profile: Option<String>,
}

/// The environment variables warren reads.
pub mod env {
    pub const URI: &str = "WARREN_URI";
    pub const API_URL: &str = "WARREN_API_URL";
    pub const USER: &str = "WARREN_USER";
    pub const PASSWORD: &str = "WARREN_PASSWORD";
    pub const PROFILE: &str = "WARREN_PROFILE";
}

/// Resolve settings from the real environment and profile file.
pub fn load(args: &ConnectionFlags) -> Result<Settings> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let config = match config_path() {
        Some(path) if path.exists() => Some(read_config(&path)?),
        _ => None,
    };
    resolve(args, &env, config.as_ref(), &|path| {
        read_password_file(path)
    })
}

/// Settings for a second broker (`warren move --to-uri/--to-profile`): from its own flags
/// and profile only. The `WARREN_*` variables and the default profile describe the first
/// broker, so they are not read (other variables are: a profile's `password_env`).
pub fn load_other(args: &ConnectionFlags) -> Result<Settings> {
    let env = |name: &str| {
        (!name.starts_with("WARREN_"))
            .then(|| std::env::var(name).ok())
            .flatten()
            .filter(|v| !v.is_empty())
    };
    let config = match config_path() {
        Some(path) if path.exists() => Some(ConfigFile {
            default_profile: None,
            ..read_config(&path)?
        }),
        _ => None,
    };
    resolve(args, &env, config.as_ref(), &|path| {
        read_password_file(path)
    })
}

/// `$XDG_CONFIG_HOME/warren/config.yaml`, falling back to `~/.config/warren/config.yaml`.
pub fn config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("warren").join("config.yaml"))
}

pub fn read_config(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {}", path.display()))
        .map_err(|e| Error::invalid_input(format!("{e:#}")))?;
    let config: ConfigFile = serde_yaml::from_str(&text)
        .map_err(|e| Error::invalid_input(e.to_string()).about(path.display().to_string()))?;
    if config.holds_a_password() {
        warn_if_exposed(path, "profile file", " holds a password and");
    }
    Ok(config)
}

impl ConfigFile {
    /// Whether a profile's URI or API URL carries a password (`amqp://user:secret@host`).
    fn holds_a_password(&self) -> bool {
        self.profiles
            .values()
            .flat_map(|p| p.uris.iter().chain(&p.api_urls))
            .any(|u| Url::parse(u).is_ok_and(|u| u.password().is_some()))
    }
}

/// Warn, as ssh does of an unprotected private key, when the file at `path`, which holds a
/// secret, may be read by its group or by others. A warning only: the file is still used.
fn warn_if_exposed(path: &Path, what: &str, holds: &str) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    let who = if mode & 0o004 != 0 {
        "others"
    } else if mode & 0o040 != 0 {
        "its group"
    } else {
        return;
    };
    let shown = path.display();
    crate::warning!(
        "{what} {shown}{holds} is readable by {who} (mode {mode:04o}); run \
         `chmod 600 {shown}`"
    );
}

fn read_password_file(path: &Path) -> Result<Secret> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::invalid_input(format!("reading password file {}: {e}", path.display()))
    })?;
    let first = text.lines().next().unwrap_or("");
    if first.is_empty() {
        return Err(
            Error::invalid_input(format!("password file {} is empty", path.display())).into(),
        );
    }
    warn_if_exposed(path, "password file", "");
    Ok(Secret::new(first))
}

/// Where a parsed URI came from; a password inside a `--uri` flag is refused.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UriSource {
    Flag,
    Env,
    Profile,
    Default,
}

struct ParsedUri {
    endpoint: AmqpEndpoint,
    user: Option<String>,
    password: Option<Secret>,
    vhost: Option<String>,
}

/// The precedence rules, with the outside world passed in.
pub fn resolve(
    args: &ConnectionFlags,
    env: &dyn Fn(&str) -> Option<String>,
    config: Option<&ConfigFile>,
    read_password: &dyn Fn(&Path) -> Result<Secret>,
) -> Result<Settings> {
    let (profile_name, profile) = chosen_profile(args, env, config)?;

    let (raw_uris, source) = if !args.uris.is_empty() {
        (args.uris.clone(), UriSource::Flag)
    } else if let Some(v) = env(env::URI) {
        (split_list(&v), UriSource::Env)
    } else if !profile.uris.is_empty() {
        (profile.uris.clone(), UriSource::Profile)
    } else {
        (vec![DEFAULT_URI.to_string()], UriSource::Default)
    };
    let parsed: Vec<ParsedUri> = raw_uris
        .iter()
        .map(|u| parse_amqp_uri(u, source))
        .collect::<Result<_>>()?;
    let Some(first) = parsed.first() else {
        return Err(usage(format!(
            "{} holds no URI: give one or more amqp[s]:// URIs, separated by commas",
            env::URI
        )));
    };

    let api: Vec<Url> = if !args.api_urls.is_empty() {
        parse_api_urls(&args.api_urls)?
    } else if let Some(v) = env(env::API_URL) {
        parse_api_urls(&split_list(&v))?
    } else if !profile.api_urls.is_empty() {
        parse_api_urls(&profile.api_urls)?
    } else if source == UriSource::Default {
        parse_api_urls(&[DEFAULT_API_URL.to_string()])?
    } else {
        parsed
            .iter()
            .map(|p| derived_api_url(&p.endpoint))
            .collect::<Result<_>>()?
    };

    let user = args
        .user
        .clone()
        .or_else(|| env(env::USER))
        .or_else(|| profile.user.clone())
        .or_else(|| first.user.clone());

    let password = if let Some(path) = &args.password_file {
        Some(read_password(path)?)
    } else if let Some(p) = env(env::PASSWORD) {
        Some(Secret::new(p))
    } else if let Some(path) = &profile.password_file {
        Some(read_password(path)?)
    } else if let Some(var) = &profile.password_env {
        Some(Secret::new(env(var).ok_or_else(|| {
            Error::invalid_input(format!(
                "profile names password_env `{var}`, but that variable is not set"
            ))
        })?))
    } else {
        first.password.clone()
    };

    let all_loopback = parsed.iter().all(|p| is_loopback(&p.endpoint.host))
        && api.iter().all(|u| u.host_str().is_some_and(is_loopback));
    let (user, password) = credentials(user, password, all_loopback)?;

    let vhost = args
        .vhost
        .clone()
        .or_else(|| first.vhost.clone())
        .or_else(|| profile.vhost.clone())
        .unwrap_or_else(|| "/".to_string());
    crate::flags::check_short(&vhost).map_err(|e| usage(format!("the vhost is {e}")))?;

    let tls = TlsFiles {
        ca_cert: args.ca_cert.clone().or(profile.ca_cert.clone()),
        client_cert: args.client_cert.clone().or(profile.client_cert.clone()),
        client_key: args.client_key.clone().or(profile.client_key.clone()),
        server_name: args
            .tls_server_name
            .clone()
            .or(profile.tls_server_name.clone()),
    };
    if tls.client_cert.is_some() != tls.client_key.is_some() {
        return Err(
            Error::usage("a client certificate needs both --client-cert and --client-key").into(),
        );
    }

    Ok(Settings {
        amqp: parsed.into_iter().map(|p| p.endpoint).collect(),
        api,
        user,
        password,
        vhost,
        tls,
        timeout: args.connect_timeout.max(Duration::from_secs(1)),
        profile: profile_name,
    })
}

/// The profile in effect (flag, then environment, then the config's default) and its name.
fn chosen_profile(
    args: &ConnectionFlags,
    env: &dyn Fn(&str) -> Option<String>,
    config: Option<&ConfigFile>,
) -> Result<(Option<String>, Profile)> {
    let profile_name = args
        .profile
        .clone()
        .or_else(|| env(env::PROFILE))
        .or_else(|| config.and_then(|c| c.default_profile.clone()));
    let profile = match &profile_name {
        Some(name) => {
            let known = config.map(|c| &c.profiles);
            match known.and_then(|p| p.get(name)) {
                Some(p) => p.with_home_expanded(env),
                None => {
                    let available: Vec<&str> = known
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let path = config_path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "the config file".into());
                    return Err(Error::invalid_input(format!(
                        "profile `{name}` is not defined in {path} (defined: {})",
                        if available.is_empty() {
                            "none".to_string()
                        } else {
                            available.join(", ")
                        }
                    ))
                    .into());
                }
            }
        }
        None => Profile::default(),
    };
    Ok((profile_name, profile))
}

/// The user and password once every source is read: both, or neither against localhost only
/// (the broker's guest account), else a clear refusal.
fn credentials(
    user: Option<String>,
    password: Option<Secret>,
    all_loopback: bool,
) -> Result<(String, Secret)> {
    match (user, password) {
        (Some(u), Some(p)) => Ok((u, p)),
        (None, None) if all_loopback => Ok(("guest".to_string(), Secret::new("guest"))),
        (None, None) => Err(Error::auth_refused(
            "no credentials given: use --user with --password-file, or WARREN_USER and \
                 WARREN_PASSWORD, or a profile (guest/guest is used only against localhost)",
        )
        .into()),
        (Some(u), None) => Err(Error::auth_refused(format!(
            "no password for user `{u}`: use --password-file, WARREN_PASSWORD or a \
                     profile's password_file/password_env"
        ))
        .into()),
        (None, Some(_)) => Err(Error::usage(
            "a password was given but no user: use --user, WARREN_USER or user@ in the URI",
        )
        .into()),
    }
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Characters that must be percent-encoded in a URI user or vhost component.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string()
}

fn decode_component(value: &str, what: &str, uri: &str) -> Result<String> {
    percent_decode_str(value)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            Error::usage(format!(
                "{what} in `{uri}` is not valid UTF-8 after percent-decoding"
            ))
            .into()
        })
}

fn usage(msg: String) -> anyhow::Error {
    Error::usage(msg).into()
}

/// Parse `amqp[s]://[user[:password]@]host[:port][/vhost][?query]` following RabbitMQ's URI
/// spec: no path means the default vhost `/`; the vhost is one percent-encoded segment.
fn parse_amqp_uri(raw: &str, source: UriSource) -> Result<ParsedUri> {
    let shown = redact_uri_text(raw);
    let url = Url::parse(raw).map_err(|e| usage(format!("invalid AMQP URI `{shown}`: {e}")))?;
    let tls = match url.scheme() {
        "amqp" => false,
        "amqps" => true,
        other => {
            return Err(usage(format!(
                "invalid AMQP URI `{shown}`: scheme `{other}` is not amqp or amqps"
            )));
        }
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| usage(format!("invalid AMQP URI `{shown}`: no host")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url.port().unwrap_or(if tls { 5671 } else { 5672 });
    let password = match url.password() {
        Some(_) if source == UriSource::Flag => {
            return Err(usage(format!(
                "`{shown}` holds a password, which would show in `ps`: use --password-file or \
                 WARREN_PASSWORD instead"
            )));
        }
        Some(p) => Some(Secret::new(decode_component(p, "the password", &shown)?)),
        None => None,
    };
    let user = match url.username() {
        "" => None,
        u => Some(decode_component(u, "the user", &shown)?),
    };
    let path = url.path();
    let vhost = if path.is_empty() {
        None
    } else {
        let segment = &path[1..];
        if segment.is_empty() {
            return Err(usage(format!(
                "the vhost in `{shown}` is empty: write %2f for the default vhost `/`"
            )));
        }
        if segment.contains('/') {
            return Err(usage(format!(
                "the vhost in `{shown}` contains `/`: percent-encode it as %2f"
            )));
        }
        Some(decode_component(segment, "the vhost", &shown)?)
    };
    Ok(ParsedUri {
        endpoint: AmqpEndpoint {
            tls,
            host,
            port,
            query: url.query().map(str::to_string),
        },
        user,
        password,
        vhost,
    })
}

fn parse_api_urls(raw: &[String]) -> Result<Vec<Url>> {
    raw.iter()
        .map(|r| {
            let shown = redact_uri_text(r);
            let url = Url::parse(r)
                .map_err(|e| usage(format!("invalid management API URL `{shown}`: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(usage(format!(
                    "invalid management API URL `{shown}`: scheme must be http or https"
                )));
            }
            if url.password().is_some() {
                return Err(usage(format!(
                    "`{shown}` holds a password: use --password-file or WARREN_PASSWORD instead"
                )));
            }
            Ok(url)
        })
        .collect()
}

fn derived_api_url(endpoint: &AmqpEndpoint) -> Result<Url> {
    let (scheme, port) = if endpoint.tls {
        ("https", 15671)
    } else {
        ("http", 15672)
    };
    let host = if endpoint.host.contains(':') {
        format!("[{}]", endpoint.host)
    } else {
        endpoint.host.clone()
    };
    Url::parse(&format!("{scheme}://{host}:{port}")).map_err(|e| {
        usage(format!(
            "cannot derive a management API URL for {host}: {e}"
        ))
    })
}

/// Whether a host name or address is this machine's loopback (`localhost`, `127.x`, `::1`,
/// and IPv4-mapped `::ffff:127.x`). The one loopback predicate: settings, listeners, audit.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// Strip a password from URI text before it is printed, even when the text doesn't parse.
pub fn redact_uri_text(raw: &str) -> String {
    if let Some(scheme_end) = raw.find("://") {
        let rest = &raw[scheme_end + 3..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some(colon) = userinfo.find(':') {
                return format!(
                    "{}{}:***{}",
                    &raw[..scheme_end + 3],
                    &userinfo[..colon],
                    &rest[at..]
                );
            }
        }
    }
    raw.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn run(
        args: ConnectionFlags,
        env: &[(&str, &str)],
        config: Option<&ConfigFile>,
    ) -> Result<Settings> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        resolve(&args, &|k| env.get(k).cloned(), config, &|p| {
            Ok(Secret::new(format!("from:{}", p.display())))
        })
    }

    fn args() -> ConnectionFlags {
        ConnectionFlags {
            connect_timeout: Duration::from_secs(10),
            ..Default::default()
        }
    }

    #[test]
    fn defaults_use_guest_on_loopback() {
        let s = run(args(), &[], None).unwrap();
        assert_eq!(s.amqp[0].host, "localhost");
        assert_eq!(s.amqp[0].port, 5672);
        assert_eq!(s.api[0].as_str(), "http://localhost:15672/");
        assert_eq!(s.user, "guest");
        assert_eq!(s.password.expose(), "guest");
        assert_eq!(s.vhost, "/");
    }

    #[test]
    fn a_uri_list_with_no_uri_and_a_password_without_user_are_usage_errors() {
        for list in [",", " ", " , "] {
            let err = run(args(), &[(env::URI, list)], None).unwrap_err();
            assert_eq!(
                crate::exit::code_of(&err),
                crate::exit::Code::Usage,
                "{list:?}"
            );
        }
        let err = run(args(), &[(env::PASSWORD, "pw")], None).unwrap_err();
        assert_eq!(crate::exit::code_of(&err), crate::exit::Code::Usage);
        let mut a = args();
        a.vhost = Some("v".repeat(256));
        assert_eq!(
            crate::exit::code_of(&run(a, &[], None).unwrap_err()),
            crate::exit::Code::Usage
        );
    }

    #[test]
    fn no_guest_for_remote_hosts() {
        let mut a = args();
        a.uris = vec!["amqp://rabbit.example:5672/%2f".into()];
        let err = run(a, &[], None).unwrap_err();
        assert_eq!(crate::exit::code_of(&err), crate::exit::Code::AuthRefused);
        assert!(
            err.to_string()
                .contains("guest/guest is used only against localhost")
        );
    }

    #[test]
    fn flag_beats_env_beats_profile() {
        let mut cfg = ConfigFile::default();
        cfg.profiles.insert(
            "prod".into(),
            Profile {
                uris: vec!["amqps://p@node1:5671/prodvh".into()],
                user: Some("profile-user".into()),
                password_env: Some("PROD_PW".into()),
                ca_cert: Some("~/ca.pem".into()),
                vhost: Some("ignored-because-uri-has-one".into()),
                ..Default::default()
            },
        );
        let env = [
            ("WARREN_PROFILE", "prod"),
            ("PROD_PW", "s3cret"),
            ("WARREN_USER", "env-user"),
            ("HOME", "/home/op"),
        ];
        let s = run(args(), &env, Some(&cfg)).unwrap();
        assert_eq!(s.user, "env-user");
        assert_eq!(s.password.expose(), "s3cret");
        assert_eq!(s.vhost, "prodvh");
        assert!(s.amqp[0].tls);
        assert_eq!(s.api[0].as_str(), "https://node1:15671/");
        assert_eq!(s.tls.ca_cert, Some(PathBuf::from("/home/op/ca.pem")));

        let mut a = args();
        a.user = Some("flag-user".into());
        a.password_file = Some("/pw".into());
        a.vhost = Some("flagvh".into());
        a.uris = vec!["amqp://h1".into(), "amqp://h2:5673".into()];
        let s = run(a, &env, Some(&cfg)).unwrap();
        assert_eq!(s.user, "flag-user");
        assert_eq!(s.password.expose(), "from:/pw");
        assert_eq!(s.vhost, "flagvh");
        assert_eq!(s.amqp.len(), 2);
        assert_eq!(s.amqp[1].port, 5673);
        assert_eq!(s.api[1].as_str(), "http://h2:15672/");
    }

    #[test]
    fn env_uri_list_and_password_in_env_uri() {
        let env = [("WARREN_URI", "amqp://u:p%40ss@a:1/v%2fx,amqp://b:2")];
        let s = run(args(), &env, None).unwrap();
        assert_eq!(s.user, "u");
        assert_eq!(s.password.expose(), "p@ss");
        assert_eq!(s.vhost, "v/x");
        assert_eq!(s.amqp.len(), 2);
    }

    #[test]
    fn password_in_uri_flag_is_refused_and_redacted() {
        let mut a = args();
        a.uris = vec!["amqp://u:hunter2@h/%2f".into()];
        let err = run(a, &[], None).unwrap_err();
        let text = format!("{err:#}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("amqp://u:***@h/%2f"), "{text}");
        assert_eq!(crate::exit::code_of(&err), crate::exit::Code::Usage);
    }

    #[test]
    fn vhost_encoding_rules() {
        let mut a = args();
        a.uris = vec!["amqp://localhost/".into()];
        assert!(
            run(a.clone(), &[], None)
                .unwrap_err()
                .to_string()
                .contains("%2f")
        );
        a.uris = vec!["amqp://localhost".into()];
        assert_eq!(run(a.clone(), &[], None).unwrap().vhost, "/");
        a.uris = vec!["amqp://localhost/a%20b".into()];
        assert_eq!(run(a, &[], None).unwrap().vhost, "a b");
    }

    #[test]
    fn unknown_profile_lists_known_ones() {
        let mut cfg = ConfigFile::default();
        cfg.profiles.insert("dev".into(), Profile::default());
        let mut a = args();
        a.profile = Some("prd".into());
        let err = run(a, &[], Some(&cfg)).unwrap_err();
        assert!(err.to_string().contains("defined: dev"));
        assert_eq!(crate::exit::code_of(&err), crate::exit::Code::InvalidInput);
    }

    #[test]
    fn config_rejects_unknown_keys() {
        let err =
            serde_yaml::from_str::<ConfigFile>("profiles:\n  a:\n    urls: []\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `urls`"), "{err}");
    }

    #[test]
    fn redaction() {
        assert_eq!(redact_uri_text("amqps://a:b@h:1/x"), "amqps://a:***@h:1/x");
        assert_eq!(redact_uri_text("amqp://a@h"), "amqp://a@h");
        assert_eq!(redact_uri_text("not a uri"), "not a uri");
        let e = AmqpEndpoint {
            tls: true,
            host: "h".into(),
            port: 5671,
            query: None,
        };
        assert_eq!(e.redacted("u", "/"), "amqps://u@h:5671/%2F");
        assert_eq!(format!("{:?}", Secret::new("x")), "***");
    }
}
