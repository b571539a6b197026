//! https/wss: a certificate generated at start (rcgen) or read from PEM files, served with
//! rustls on ring.

use std::{net::SocketAddr, sync::Arc};

use axum_server::tls_rustls::RustlsConfig;

use crate::{config::Tls, state::AppState};

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

/// Serves `state` over TLS on `listener` until the process ends, rebinding after a restart.
pub async fn serve(
    state: Arc<AppState>,
    listener: std::net::TcpListener,
    certificate: &Certificate,
) -> std::io::Result<()> {
    // ring, not the default aws-lc-rs (see Cargo.toml); a second install attempt is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = RustlsConfig::from_pem(
        certificate.cert_pem.clone().into_bytes(),
        certificate.key_pem.clone().into_bytes(),
    )
    .await?;
    let addr = listener.local_addr()?;
    let mut listener = Some(listener);
    loop {
        let listener = match listener.take() {
            Some(listener) => listener,
            None => std::net::TcpListener::bind(addr)?,
        };
        listener.set_nonblocking(true)?;
        let handle = axum_server::Handle::new();
        let restart = {
            let (state, handle) = (state.clone(), handle.clone());
            tokio::spawn(async move {
                state.restart.notified().await;
                handle.graceful_shutdown(None);
            })
        };
        let mut server = axum_server::from_tcp_rustls(listener, config.clone())?;
        // The same HTTP/1 limits as the plain server (see `serve.rs`).
        let limits = state.config.http;
        server
            .http_builder()
            .http1()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.max_header_bytes);
        server
            .handle(handle)
            .serve(crate::app(state.clone()).into_make_service_with_connect_info::<SocketAddr>())
            .await?;
        restart.abort();
        state.log("listener restarted");
    }
}
