//! One rustls client configuration for both AMQP and HTTP, and the translation of a failed
//! handshake into a reason an operator can act on. Peer verification is always on.

use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::settings::TlsFiles;
use crate::exit::Error;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn tls_input_error(what: &str, path: &Path, err: impl std::fmt::Display) -> anyhow::Error {
    Error::tls(format!("reading {what} {}: {err}", path.display())).into()
}

/// Build the client configuration: `--ca-cert` replaces the system trust store, a client
/// certificate is presented when given, and `--tls-server-name` replaces the name checked.
pub fn client_config(files: &TlsFiles) -> Result<ClientConfig> {
    with_verifier(files, verifier(files)?)
}

/// The server certificate check the settings ask for: the CA file or the system's store,
/// and the name override.
fn verifier(files: &TlsFiles) -> Result<Arc<Checked>> {
    let verifier: Arc<dyn ServerCertVerifier> = match &files.ca_cert {
        Some(path) => {
            let mut roots = RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| tls_input_error("CA certificate", path, e))?;
            for cert in certs {
                let cert = cert.map_err(|e| tls_input_error("CA certificate", path, e))?;
                roots
                    .add(cert)
                    .map_err(|e| tls_input_error("CA certificate", path, e))?;
            }
            if roots.is_empty() {
                return Err(tls_input_error(
                    "CA certificate",
                    path,
                    "no certificate in the file",
                ));
            }
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .map_err(|e| tls_input_error("CA certificate", path, e))?
        }
        None => Arc::new(
            rustls_platform_verifier::Verifier::new(provider())
                .map_err(|e| Error::tls(format!("loading the system trust store: {e}")))?,
        ),
    };
    let name = match &files.server_name {
        Some(name) => Some(
            ServerName::try_from(name.clone())
                .map_err(|e| Error::usage(format!("--tls-server-name `{name}`: {e}")))?,
        ),
        None => None,
    };
    Ok(Arc::new(Checked {
        inner: verifier,
        name,
        seen: std::sync::Mutex::new(None),
    }))
}

/// A client configuration with `verifier`, presenting the client certificate if one is set.
fn with_verifier(files: &TlsFiles, verifier: Arc<dyn ServerCertVerifier>) -> Result<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::tls(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);

    match (&files.client_cert, &files.client_key) {
        (Some(cert_path), Some(key_path)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
                .map_err(|e| tls_input_error("client certificate", cert_path, e))?
                .collect::<Result<_, _>>()
                .map_err(|e| tls_input_error("client certificate", cert_path, e))?;
            let key = PrivateKeyDer::from_pem_file(key_path)
                .map_err(|e| tls_input_error("client key", key_path, e))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| tls_input_error("client certificate", cert_path, e))
        }
        _ => Ok(builder.with_no_client_auth()),
    }
}

/// The server certificate check: the CA file's or the system's verifier, against the
/// configured name (`--tls-server-name`) instead of the one dialled when one is set. It
/// keeps the last end-entity certificate it was asked about, so `presented_certificate` can
/// read a certificate's expiry even when the check refuses it.
#[derive(Debug)]
struct Checked {
    inner: Arc<dyn ServerCertVerifier>,
    name: Option<ServerName<'static>>,
    seen: std::sync::Mutex<Option<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Checked {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        dialled: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.clone().into_owned());
        }
        let name = self.name.as_ref().unwrap_or(dialled);
        self.inner
            .verify_server_cert(end_entity, intermediates, name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The certificate a TLS listener presents, read with a real handshake that verifies as
/// every other connection does; nothing is sent over it. A certificate that fails the check
/// (expired, or from an unknown issuer) is still returned, with the reason it failed.
pub struct Presented {
    pub certificate: CertificateDer<'static>,
    /// Why the handshake failed after the certificate arrived, if it did.
    pub refused: Option<String>,
}

/// A blocking TCP connection to the first address of `host:port`, within `timeout`: one
/// way to dial a listener directly (health's port check, the certificate read).
pub fn dial(
    host: &str,
    port: u16,
    timeout: std::time::Duration,
) -> std::io::Result<std::net::TcpStream> {
    use std::net::ToSocketAddrs;
    let address = (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other("no address"))?;
    std::net::TcpStream::connect_timeout(&address, timeout)
}

/// Connect to `host:port` and read the certificate its listener presents. Blocking: call it
/// from `spawn_blocking`. Every step is bounded by `timeout`.
pub fn presented_certificate(
    files: &TlsFiles,
    host: &str,
    port: u16,
    timeout: std::time::Duration,
) -> Result<Presented> {
    let unreachable = |e: &dyn std::fmt::Display| Error::unreachable(format!("{host}:{port}: {e}"));
    let checked = verifier(files)?;
    let config = with_verifier(files, checked.clone())?;
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| Error::usage(format!("TLS server name `{host}`: {e}")))?;
    let mut socket = dial(host, port, timeout)
        .and_then(|socket| {
            socket.set_read_timeout(Some(timeout))?;
            socket.set_write_timeout(Some(timeout))?;
            Ok(socket)
        })
        .map_err(|e| unreachable(&e))?;
    let mut connection = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| Error::tls(format!("TLS setup: {e}")))?;
    let mut refused = None;
    while connection.is_handshaking() {
        if let Err(e) = connection.complete_io(&mut socket) {
            let address = format!("{host}:{port}");
            let peer = Peer {
                address: &address,
                name: files.server_name.as_deref().unwrap_or(host),
                plain: "amqp:// or http://",
            };
            refused = Some(match find_rustls_error(&e) {
                Some(r) => explain(r, peer).to_string(),
                None => e.to_string(),
            });
            break;
        }
    }
    let seen = checked.seen.lock().map(|s| s.clone()).unwrap_or(None);
    match seen {
        Some(certificate) => Ok(Presented {
            certificate,
            refused,
        }),
        None => Err(Error::tls(format!(
            "{host}:{port} presented no certificate{}",
            refused.map(|r| format!(" ({r})")).unwrap_or_default()
        ))
        .into()),
    }
}

/// When a certificate stops being valid, in seconds since the Unix epoch.
pub fn not_after(certificate: &CertificateDer<'_>) -> Result<i64> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref())
        .map_err(|e| Error::tls(format!("reading the presented certificate: {e}")))?;
    Ok(parsed.validity().not_after.timestamp())
}

/// Find a rustls error anywhere in an error chain. `io::Error::source` skips the error it
/// wraps, so wrapped errors are looked into explicitly.
pub fn find_rustls_error<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && let Some(found) = find_rustls_error(inner)
        {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// Who a handshake was with, for [`explain`].
#[derive(Clone, Copy, Debug)]
pub struct Peer<'a> {
    /// `host:port` as dialled.
    pub address: &'a str,
    /// The name the certificate was checked against: `--tls-server-name`, or the host.
    pub name: &'a str,
    /// The scheme of the same service without TLS (`amqp://`, `http://`), for the hint
    /// when the port answered in plain text.
    pub plain: &'a str,
}

/// One sentence that says why a handshake failed, and a hint, as a TLS error (exit 8).
/// Never rustls's debug text.
pub fn explain(err: &rustls::Error, peer: Peer<'_>) -> Error {
    use rustls::AlertDescription as Alert;
    let address = peer.address;
    let certificate = format!("the certificate of {address}");
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            // BadSignature: a CA of the same name as the issuer, with another key.
            CertificateError::UnknownIssuer | CertificateError::BadSignature => Error::tls(
                format!("TLS: {certificate} is not signed by a CA warren trusts (unknown issuer)"),
            )
            .hint("give the CA that signed it with --ca-cert"),
            CertificateError::NotValidForNameContext {
                expected,
                presented,
            } => {
                let names: Vec<String> = presented.iter().map(|n| presented_name(n)).collect();
                Error::tls(format!(
                    "TLS: name mismatch: {certificate} is not valid for `{}` (it names {})",
                    expected.to_str(),
                    names.join(", ")
                ))
                .hint("connect by a name it holds, or give one with --tls-server-name")
            }
            CertificateError::NotValidForName => Error::tls(format!(
                "TLS: name mismatch: {certificate} is not valid for `{}`",
                peer.name
            ))
            .hint("connect by a name it holds, or give one with --tls-server-name"),
            CertificateError::ExpiredContext { not_after, .. } => Error::tls(format!(
                "TLS: {certificate} expired on {}",
                date(*not_after)
            ))
            .hint("renew the server's certificate, or check this machine's clock"),
            CertificateError::Expired => Error::tls(format!("TLS: {certificate} has expired"))
                .hint("renew the server's certificate, or check this machine's clock"),
            CertificateError::NotValidYetContext { not_before, .. } => Error::tls(format!(
                "TLS: {certificate} is not valid before {}",
                date(*not_before)
            ))
            .hint("check this machine's clock, or the server's certificate"),
            CertificateError::NotValidYet => {
                Error::tls(format!("TLS: {certificate} is not valid yet"))
                    .hint("check this machine's clock, or the server's certificate")
            }
            CertificateError::Revoked => Error::tls(format!("TLS: {certificate} is revoked"))
                .hint("the server needs a new certificate"),
            CertificateError::Other(other)
                if matches!(
                    other.0.downcast_ref::<webpki::Error>(),
                    Some(webpki::Error::CaUsedAsEndEntity)
                ) =>
            {
                Error::tls(format!(
                    "TLS: {certificate} is a CA certificate, not a server's"
                ))
                .hint("configure the server with a certificate that CA signed")
            }
            other => Error::tls(format!(
                "TLS: {certificate} was rejected: {}",
                other_reason(other)
            ))
            .hint("check the server's certificate and --ca-cert"),
        },
        rustls::Error::InvalidMessage(_) => Error::tls(format!(
            "TLS: {address} did not answer the TLS handshake in TLS: it looks like a plain \
             (non-TLS) port"
        ))
        .hint(format!(
            "use {}, or the port of its TLS listener",
            peer.plain
        )),
        rustls::Error::AlertReceived(Alert::CertificateRequired)
        | rustls::Error::AlertReceived(Alert::HandshakeFailure) => Error::tls(format!(
            "TLS: {address} refused the handshake ({err}); it may require a client \
             certificate"
        ))
        .hint("give one with --client-cert and --client-key"),
        rustls::Error::AlertReceived(
            Alert::BadCertificate | Alert::UnknownCA | Alert::CertificateUnknown,
        ) => Error::tls(format!(
            "TLS: {address} rejected the client certificate ({err})"
        ))
        .hint("check --client-cert and the CA the server trusts"),
        other => Error::tls(format!("TLS: the handshake with {address} failed: {other}")),
    }
}

/// A name rustls lists as presented (`DnsName("localhost")`, `IpAddress(127.0.0.1)`), as a
/// person writes it.
fn presented_name(name: &str) -> String {
    let inner = name
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(name);
    inner.trim_matches('"').to_string()
}

/// A certificate check failure rustls has no variant of its own for, in words.
fn other_reason(err: &CertificateError) -> String {
    match err {
        CertificateError::BadEncoding => "it is not well-formed".into(),
        CertificateError::UnhandledCriticalExtension => {
            "it has a critical extension warren does not know".into()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "it is not meant for a TLS server".into()
        }
        CertificateError::Other(other) => other.0.to_string(),
        other => format!("{other}"),
    }
}

/// A certificate's validity bound, as `2020-01-02T00:00:00Z`.
fn date(time: UnixTime) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(time.as_secs());
    humantime::format_rfc3339_seconds(at).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_rustls_error_inside_io_error() {
        let io = std::io::Error::other(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        let any = anyhow::Error::new(io).context("connecting");
        let found = any.chain().find_map(find_rustls_error);
        assert!(matches!(
            found,
            Some(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            ))
        ));
    }

    #[test]
    fn explanations_name_the_cause() {
        let peer = Peer {
            address: "h:1",
            name: "n",
            plain: "amqp://",
        };
        let said =
            |e: CertificateError| explain(&rustls::Error::InvalidCertificate(e), peer).to_string();
        assert!(said(CertificateError::UnknownIssuer).contains("unknown issuer"));
        assert!(said(CertificateError::BadSignature).contains("unknown issuer"));
        assert!(said(CertificateError::NotValidForName).contains("not valid for `n`"));
        assert!(said(CertificateError::Expired).contains("expired"));
        let ca = CertificateError::Other(rustls::OtherError(std::sync::Arc::new(
            webpki::Error::CaUsedAsEndEntity,
        )));
        assert_eq!(
            said(ca),
            "TLS: the certificate of h:1 is a CA certificate, not a server's; configure the \
             server with a certificate that CA signed"
        );
        assert_eq!(
            said(CertificateError::ExpiredContext {
                time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_800_000_000)),
                not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                    1_577_923_200
                )),
            }),
            "TLS: the certificate of h:1 expired on 2020-01-02T00:00:00Z; renew the server's \
             certificate, or check this machine's clock"
        );
        assert_eq!(presented_name("DnsName(\"localhost\")"), "localhost");
        assert_eq!(presented_name("IpAddress(127.0.0.1)"), "127.0.0.1");
    }

    #[test]
    fn missing_ca_file_is_a_tls_error() {
        let files = TlsFiles {
            ca_cert: Some("/nonexistent/ca.pem".into()),
            ..Default::default()
        };
        let err = client_config(&files).unwrap_err();
        assert_eq!(crate::exit::code_of(&err), crate::exit::Code::Tls);
        assert!(err.to_string().contains("/nonexistent/ca.pem"));
    }
}
