//! `backprop playground`'s web server: axum on tokio, serving the embedded page ([`assets`]),
//! the stateless JSON API that mirrors the CLI (`/api/explain`, `/api/chain`, `/api/check`,
//! in [`api`]) and the training sessions the page drives ([`sessions`]). The server does the
//! numbers; the page only draws them. Every failure is a 4xx with `{"error": "…"}`; handlers
//! that compute queue for one of the worker threads ([`work`], one per core), first come first
//! served, so one busy tab never stalls the others.

mod access;
mod api;
mod assets;
mod sessions;
mod work;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::error::{Error, Result};

pub use access::Access;
pub use sessions::{Capacity, Sessions};
pub use work::Work;

/// The largest request body: a network file, an answers file, a small CSV.
pub const MAX_BODY: usize = 256 * 1024;
/// An over-long body is read (and thrown away) up to this size before the 413 goes out: a
/// client that writes its whole body before reading (Python's urllib) then sees the answer
/// instead of a broken pipe. Past it, the connection is closed as soon as the 413 is sent.
const DRAINED: u64 = 16 * 1024 * 1024;

/// How long one request may take, its body included, before it is answered 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler may reach: the sessions, and the turns to compute in.
#[derive(Clone)]
struct Shared {
    sessions: Arc<Sessions>,
    work: Work,
}

impl axum::extract::FromRef<Shared> for Arc<Sessions> {
    fn from_ref(shared: &Shared) -> Arc<Sessions> {
        shared.sessions.clone()
    }
}

impl axum::extract::FromRef<Shared> for Work {
    fn from_ref(shared: &Shared) -> Work {
        shared.work.clone()
    }
}

/// The routes, over a session store and the turns to compute in, behind `access`.
pub fn router(sessions: Arc<Sessions>, work: Work, access: Access) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/js/{file}", get(assets::script))
        .route("/style.css", get(assets::style))
        .route("/api/openapi.json", get(assets::openapi))
        .route("/api/vocabulary", get(api::vocabulary))
        .route("/api/explain", post(api::explain))
        .route("/api/chain", post(api::chain))
        .route("/api/check", post(api::check))
        .route("/api/sessions", post(sessions::create))
        .route("/api/sessions/{id}", get(sessions::show).delete(sessions::remove))
        .route("/api/sessions/{id}/setup", axum::routing::put(sessions::setup))
        .route("/api/sessions/{id}/step", post(sessions::step))
        .route("/api/sessions/{id}/reset", post(sessions::reset))
        .route("/api/sessions/{id}/edit", post(sessions::edit))
        .route("/api/sessions/{id}/data", post(sessions::upload))
        .route("/api/sessions/{id}/gradient/{name}", get(sessions::gradient))
        .route("/api/sessions/{id}/example", get(sessions::example))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(Shared { sessions, work })
        .layer(axum::middleware::from_fn_with_state(access, access::require))
        .layer(axum::middleware::from_fn(refuse_oversized))
}

/// A body whose declared length is over [`MAX_BODY`]: 413 at once, after reading and
/// discarding it (up to [`DRAINED`]) so the client is listening when the answer comes.
async fn refuse_oversized(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let Some(length) = declared.filter(|&n| n > MAX_BODY as u64) else { return next.run(request).await };
    if length <= DRAINED {
        let mut body = request.into_body();
        while let Some(Ok(_)) = body.frame().await {}
    }
    api::ApiError(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        format!("the body is {length} bytes; the length limit is {MAX_BODY}"),
    )
    .into_response()
}

/// How the server runs: who may use it, and how many sessions it keeps.
#[derive(Clone, Debug)]
pub struct Options {
    pub access: Access,
    pub capacity: Capacity,
}

/// Serves until Ctrl-C: hands the address to `announce` once it listens (port 0 picks a free
/// one; the command line prints it, with the token when there is one), warns when it is
/// reachable from other machines without a token, opens a browser if asked.
pub fn run(
    host: IpAddr,
    port: u16,
    open: bool,
    options: Options,
    announce: impl FnOnce(&str) -> Result<()>,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::invalid(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(host, port))
            .await
            .map_err(|e| Error::invalid(format!("cannot listen on {host}:{port}: {e}")))?;
        let address = listener.local_addr().map_err(|e| Error::invalid(format!("no local address: {e}")))?;
        let url = match address.ip() {
            ip if ip.is_unspecified() => format!("http://127.0.0.1:{}/", address.port()),
            IpAddr::V6(ip) => format!("http://[{ip}]:{}/", address.port()),
            ip => format!("http://{ip}:{}/", address.port()),
        };
        let url = format!("{url}{}", options.access.query());
        if !access::is_default_host(host) && options.access == Access::Open {
            eprintln!(
                "warning: listening on {host}, with no token (--no-token): \
                 anyone who can reach the port can drive every session"
            );
        }
        announce(&url)?;
        if open && let Err(e) = ::open::that_detached(&url) {
            eprintln!("warning: cannot open a browser ({e}); open {url} yourself");
        }
        let sessions = Arc::new(Sessions::new(options.capacity));
        let sweeper = tokio::spawn(sessions::sweep(sessions.clone()));
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        // No Nagle delay: a frame's answer leaves at once instead of waiting on the client's
        // ACK (Chromium playing the largest network: 16.0 → 21.3 frames a second, one run each).
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let served = axum::serve(listener, router(sessions, Work::default(), options.access))
            .with_graceful_shutdown(shutdown)
            .await;
        sweeper.abort();
        served.map_err(|e| Error::invalid(format!("the server stopped: {e}")))?;
        eprintln!("stopped");
        Ok(())
    })
}
