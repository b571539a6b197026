//! https/wss: a certificate generated at start (rcgen) or read from PEM files, served with
//! rustls on ring by the same server loop as plain http (`serve.rs`).

use std::sync::Arc;

use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::Tls;

/// The certificate chain and private key, as PEM.
pub struct Certificate {
    /// The certificate chain.
    pub cert_pem: String,
    /// The private key.
    pub key_pem: String,
}

/// Reads the configured files, or generates a self-signed certificate for 127.0.0.1 and localhost.
pub fn certificate(tls: &Tls) -> std::io::Result<Certificate> {
    if let Some((cert, key)) = &tls.files {
        return Ok(Certificate {
            cert_pem: std::fs::read_to_string(cert)?,
            key_pem: std::fs::read_to_string(key)?,
        });
    }
    let generated = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .map_err(std::io::Error::other)?;
    Ok(Certificate { cert_pem: generated.cert.pem(), key_pem: generated.signing_key.serialize_pem() })
}

/// The TLS acceptor for `certificate`: rustls on ring, offering only HTTP/1.1 (ALPN), the one
/// protocol the server loop speaks and limits (see `serve.rs`).
pub fn acceptor(certificate: &Certificate) -> std::io::Result<TlsAcceptor> {
    let invalid =
        |error: rustls::pki_types::pem::Error| std::io::Error::new(std::io::ErrorKind::InvalidData, error);
    let chain = CertificateDer::pem_slice_iter(certificate.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let key = PrivateKeyDer::from_pem_slice(certificate.key_pem.as_bytes()).map_err(invalid)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .map_err(std::io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
