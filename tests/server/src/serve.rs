//! The server loop, on hyper directly so that the HTTP/1 limits a gateway needs can be set: a
//! header-read timeout (slowloris), a request-head size limit (431), and a global cap on open
//! connections. Each accepted stream is wrapped so `/test/drop` can reset it. Plain http and TLS
//! share it: under TLS the handshake (bounded by the same timeout) comes first, and only HTTP/1.1
//! is spoken, so no limit is left behind by a protocol that has none of them.

use std::{
    future::Future,
    io,
    pin::Pin,
    sync::{atomic::Ordering, Arc},
    task::{Context, Poll},
    time::Duration,
};

use axum::{extract::ConnectInfo, Router};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tower::ServiceExt;

use crate::{state::AppState, ws::AbortFlag};

/// A TCP stream that holds one of the connection slots while it lives and, when its connection
/// was aborted by `/test/drop`, resets instead of closing (SO_LINGER 0: an RST, no FIN). A write
/// the peer leaves waiting (it reads nothing) fails after `WRITE_TIMEOUT_MS` without progress:
/// hyper times no write out, so a client that pipelines requests and never reads the answers
/// would otherwise hold the connection, its buffers and its slot for ever (slow read).
pub struct TrackedStream {
    inner: TcpStream,
    abort: AbortFlag,
    _slot: OwnedSemaphorePermit,
    write_timeout: Duration,
    /// Running since a write was left waiting; gone once one makes progress.
    write_stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl TrackedStream {
    /// What a write that got `written` answers: progress ends a stall; a wait that has lasted
    /// the write timeout becomes an error.
    fn stall_bound<T>(&mut self, cx: &mut Context<'_>, written: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if written.is_ready() {
            self.write_stalled = None;
            return written;
        }
        let timeout = self.write_timeout;
        let stalled = self.write_stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => {
                // Closed with a reset: a FIN would queue behind the unread data, and the kernel
                // would keep that (orphaned) socket and its buffers long after the task is gone.
                let _ = socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO));
                Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "write stalled")))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for TrackedStream {
    fn drop(&mut self) {
        if self.abort.0.load(Ordering::SeqCst) {
            let _ = socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO));
        }
    }
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.stall_bound(cx, written)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let flushed = Pin::new(&mut self.inner).poll_flush(cx);
        self.stall_bound(cx, flushed)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.stall_bound(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// What an accepted stream carries: HTTP as it is, or HTTP inside TLS.
#[derive(Clone)]
pub enum Transport {
    /// Plain http.
    Plain,
    /// https: the handshake first (ALPN `http/1.1` only), within the header-read timeout.
    Tls(tokio_rustls::TlsAcceptor),
}

/// Serves `app` on `listener` until `stop` completes; connections already open keep running.
pub async fn serve_until(
    state: &Arc<AppState>,
    listener: TcpListener,
    app: Router,
    transport: Transport,
    slots: Arc<Semaphore>,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a little instead of spinning.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Over the global cap: closed at once, before reading a byte.
            state.log("connection refused: global connection cap");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let abort = AbortFlag::default();
        let stream = TrackedStream {
            inner: stream,
            abort: abort.clone(),
            _slot: slot,
            write_timeout: state.config.limits.write_timeout,
            write_stalled: None,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request.extensions_mut().insert(abort.clone());
            app.clone().oneshot(request)
        });
        let limits = state.config.http;
        let transport = transport.clone();
        tokio::spawn(async move {
            let http1 = {
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_read_timeout)
                    .max_buf_size(limits.max_header_bytes);
                builder
            };
            match transport {
                Transport::Plain => {
                    let _ = http1.serve_connection(TokioIo::new(stream), service).with_upgrades().await;
                }
                Transport::Tls(acceptor) => {
                    let handshake = tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream));
                    if let Ok(Ok(tls)) = handshake.await {
                        let _ = http1.serve_connection(TokioIo::new(tls), service).with_upgrades().await;
                    }
                }
            }
        });
    }
}
