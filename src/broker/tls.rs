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
            refused = Some(match find_rustls_error(&e) {
                Some(r) => explain(r, host),
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

/// A sentence that says why a handshake failed.
pub fn explain(err: &rustls::Error, host: &str) -> String {
    use rustls::AlertDescription as Alert;
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => format!(
                "TLS: unknown issuer: {host}'s certificate is not signed by a trusted CA \
                 (give the CA with --ca-cert)"
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                format!(
                    "TLS: name mismatch: the certificate is not valid for `{host}` ({cert:?}); \
                     connect by a name in the certificate or use --tls-server-name"
                )
            }
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                format!("TLS: expired certificate: {host}'s certificate has expired ({cert:?})")
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                format!("TLS: {host}'s certificate is not valid yet ({cert:?})")
            }
            CertificateError::Revoked => format!("TLS: {host}'s certificate is revoked"),
            other => format!("TLS: {host}'s certificate was rejected: {other:?}"),
        },
        rustls::Error::AlertReceived(Alert::CertificateRequired)
        | rustls::Error::AlertReceived(Alert::HandshakeFailure) => {
            format!(
                "TLS: {host} refused the handshake ({err}); it may require a client \
                 certificate (--client-cert and --client-key)"
            )
        }
        rustls::Error::AlertReceived(
            Alert::BadCertificate | Alert::UnknownCA | Alert::CertificateUnknown,
        ) => format!("TLS: {host} rejected the client certificate ({err})"),
        other => format!("TLS: handshake with {host} failed: {other}"),
    }
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
        let e = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert!(explain(&e, "h").contains("unknown issuer"));
        let e = rustls::Error::InvalidCertificate(CertificateError::NotValidForName);
        assert!(explain(&e, "h").contains("name mismatch"));
        let e = rustls::Error::InvalidCertificate(CertificateError::Expired);
        assert!(explain(&e, "h").contains("expired"));
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
