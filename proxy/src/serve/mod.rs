//! `hashwall serve`: the filtering HTTP forward proxy (and the matching
//! API, and the ICAP service).
//!
//! [`start`] binds the listeners and returns their addresses at once (tests
//! and embedders use it with port 0); [`run`] is the command: start, reload
//! on SIGHUP, drain on SIGTERM/SIGINT.
//!
//! The request path is in [`phases`]; lists and reloads in [`lists`]; the
//! admin API in [`admin`]; the matching API for hosting providers (native
//! and HMA-compatible endpoints over the same engine) in [`api`]; where
//! requests may go in [`destination`] (with
//! [`resolve`]: the proxy resolves each host once and connects only to an
//! address it checked).

mod accept;
mod acl;
mod admin;
pub mod api;
pub mod authority;
mod cidr;
mod client_body;
pub mod config;
mod destination;
mod exposition;
pub mod framing;
mod headers;
mod host_addrs;
pub mod icap;
mod images;
pub mod lists;
mod memory;
mod metrics;
pub mod phases;
mod publisher;
mod range_spec;
mod ranges;
mod resolve;
pub mod route;
mod scan_pool;
mod source;
pub mod state;
mod stats;
pub mod stop_page;
mod subscribe;
pub mod transport;
pub mod upstream;
mod verdicts;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use config::{Config, secs};
use lists::Lists;
use metrics::Metrics;
use phases::{ConnInfo, names_listener};
use stats::Stats;
use stop_page::StopPage;
use upstream::{Activity, Expiry, TrackedIo, UpstreamClient};

/// Errors boxed for bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body type of every response the proxy sends: streamed from upstream
/// or written by the proxy.
pub type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// Everything the request path shares.
#[derive(Debug)]
pub struct Shared {
    /// The configuration in force.
    pub config: Config,
    /// The lists and the engine.
    pub lists: Arc<Lists>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Hourly match counts.
    pub stats: Stats,
    /// The 451 page.
    pub stop_page: StopPage,
    /// The pooled upstream client.
    pub client: UpstreamClient,
    /// Resolves targets' hosts (once per request, cached briefly).
    pub resolver: resolve::Resolver,
    /// Where the proxy may connect; holds every listener of the process.
    pub destinations: destination::Policy,
    /// Image scanning of responses.
    pub images: images::Scanner,
    /// The admin bearer token, if any.
    pub admin_token: Option<String>,
    /// Held by every connection and tunnel; shutdown waits until all clones
    /// are gone.
    pub drain: mpsc::Sender<()>,
}

impl Shared {
    /// Whether `host:port`, as written, names one of this process's
    /// listeners (the early check, before resolving; the resolved address
    /// is checked by [`destination::Policy::refusal`]).
    pub fn is_self(&self, host: &str, port: u16) -> bool {
        self.destinations
            .listeners()
            .iter()
            .any(|l| names_listener(host, port, *l))
    }
}

/// Why the proxy could not start.
#[derive(Debug)]
pub struct ServeError(pub String);

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServeError {}

/// A started proxy.
#[derive(Debug)]
pub struct Running {
    /// Where the proxy listens (the real port when the config said 0);
    /// `None` when `proxy.enabled` is false (API only).
    pub proxy_addr: Option<SocketAddr>,
    /// Where the admin API listens, if enabled.
    pub admin_addr: Option<SocketAddr>,
    /// Where the matching API listens, if enabled.
    pub api_addr: Option<SocketAddr>,
    /// Where the ICAP service listens, if enabled.
    pub icap_addr: Option<SocketAddr>,
    /// The lists, to reload from the embedding program.
    pub lists: Arc<Lists>,
    done: JoinHandle<()>,
}

impl Running {
    /// Waits until the proxy has shut down and drained.
    pub async fn wait(self) {
        let _ = self.done.await;
    }
}

/// Loads the lists, binds the listeners and serves until `shutdown`
/// resolves; then stops accepting, lets open connections finish (bounded by
/// `timeouts.shutdown_grace_secs`) and ends.
pub async fn start<F>(config: Config, shutdown: F) -> Result<Running, ServeError>
where
    F: Future<Output = ()> + Send + 'static,
{
    // Checked by `Config::validate` too; a config built in code may not
    // have been.
    config
        .admin_exposure()
        .map_err(|e| ServeError(e.to_string()))?;
    let api = &config.api;
    if api.enabled && !api.is_loopback() && api.token_file.is_none() {
        return Err(ServeError(format!(
            "api.listen {} is not a loopback address and the API has no token_file",
            api.listen
        )));
    }
    if config.admin.enabled && config.admin_token().is_none() {
        tracing::warn!(
            listen = %config.admin.listen,
            "the admin API has no token: every local process can read its statistics and reload the lists (set admin.token_env)"
        );
    }
    let stop_page = StopPage::load(&config.stop_page).map_err(ServeError)?;
    let metrics = Arc::new(Metrics::default());
    let sources = lists::sources_from_config(&config.list, &config.trust).map_err(ServeError)?;
    let subscriptions = sources.subscriptions.clone();
    for s in &subscriptions {
        s.bootstrap(&metrics).await.map_err(ServeError)?;
    }
    let m = Arc::clone(&metrics);
    let state = config.lists.state.clone();
    let lists = tokio::task::spawn_blocking(move || Lists::load_initial(sources, m, state))
        .await
        .map_err(|e| ServeError(format!("loading lists: {e}")))?
        .map_err(|e| ServeError(format!("loading lists: {e}")))?;
    let proxy_listener = if config.proxy.enabled {
        Some(
            TcpListener::bind(config.proxy.listen)
                .await
                .map_err(|e| ServeError(format!("proxy.listen {}: {e}", config.proxy.listen)))?,
        )
    } else {
        None
    };
    let proxy_addr = proxy_listener
        .as_ref()
        .map(TcpListener::local_addr)
        .transpose()
        .map_err(|e| ServeError(e.to_string()))?;
    let admin_listener = if config.admin.enabled {
        Some(
            TcpListener::bind(config.admin.listen)
                .await
                .map_err(|e| ServeError(format!("admin.listen {}: {e}", config.admin.listen)))?,
        )
    } else {
        None
    };
    let admin_addr = admin_listener
        .as_ref()
        .map(TcpListener::local_addr)
        .transpose()
        .map_err(|e| ServeError(e.to_string()))?;
    let api_listener = if config.api.enabled {
        Some(
            TcpListener::bind(config.api.listen)
                .await
                .map_err(|e| ServeError(format!("api.listen {}: {e}", config.api.listen)))?,
        )
    } else {
        None
    };
    let api_addr = api_listener
        .as_ref()
        .map(TcpListener::local_addr)
        .transpose()
        .map_err(|e| ServeError(e.to_string()))?;
    let icap_listener = if config.icap.enabled {
        Some(
            TcpListener::bind(config.icap.listen)
                .await
                .map_err(|e| ServeError(format!("icap.listen {}: {e}", config.icap.listen)))?,
        )
    } else {
        None
    };
    let icap_addr = icap_listener
        .as_ref()
        .map(TcpListener::local_addr)
        .transpose()
        .map_err(|e| ServeError(e.to_string()))?;
    let (drain_tx, mut drain_rx) = mpsc::channel::<()>(1);
    // Every listener of the process: the proxy never connects to one.
    let listeners: Vec<SocketAddr> = proxy_addr
        .into_iter()
        .chain(admin_addr)
        .chain(api_addr)
        .chain(icap_addr)
        .collect();
    let shared = Arc::new(Shared {
        client: upstream::client(&config),
        resolver: resolve::Resolver::new(
            secs_or_zero(config.timeouts.dns_cache_secs),
            config.limits.dns_cache_entries,
        ),
        destinations: destination::Policy::new(
            listeners,
            config.acl.allow_destinations.clone(),
            config.acl.deny_destinations.clone(),
        ),
        images: images::Scanner::new(&config.images),
        stats: Stats::new(config.stats.retention_days),
        admin_token: config.admin_token(),
        stop_page,
        lists: Arc::clone(&lists),
        metrics,
        drain: drain_tx,
        config,
    });
    if shared.config.auth.is_none() && !all_loopback(&shared.config) {
        tracing::warn!(
            "clients outside loopback are allowed and [auth] is off: make sure acl.allow_clients only names your subscribers"
        );
    }
    // Before any task starts: a token file that cannot be read stops the
    // start here.
    let api_state = match api_listener {
        Some(l) => Some((api::prepare(Arc::clone(&shared)).map_err(ServeError)?, l)),
        None => None,
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    if shared.config.lists.poll_secs > 0.0 {
        tokio::spawn(poll_lists(Arc::clone(&shared), stop_rx.clone()));
    }
    for s in subscriptions {
        tokio::spawn(s.run(
            Arc::clone(&lists),
            Arc::clone(&shared.metrics),
            stop_rx.clone(),
        ));
    }
    let api_task = api_state.map(|(state, l)| api::spawn(state, l, stop_rx.clone()));
    let icap_task = icap_listener.map(|l| icap::spawn(Arc::clone(&shared), l, stop_rx.clone()));
    let admin_task =
        admin_listener.map(|l| tokio::spawn(admin::serve(Arc::clone(&shared), l, stop_rx.clone())));
    let off = |a: Option<SocketAddr>| a.map_or_else(|| "off".to_owned(), |a| a.to_string());
    tracing::info!(
        proxy = %off(proxy_addr),
        admin = %off(admin_addr),
        api = %off(api_addr),
        icap = %off(icap_addr),
        "hashwall serve listening"
    );
    let grace = secs(shared.config.timeouts.shutdown_grace_secs);
    let done = tokio::spawn(async move {
        match proxy_listener {
            Some(l) => accept_loop(Arc::clone(&shared), l, stop_rx).await,
            // API or ICAP only: serve until told to stop.
            None => stopped(&mut { stop_rx }).await,
        }
        // Only connections and tunnels hold senders now.
        drop(shared);
        if tokio::time::timeout(grace, drain_rx.recv()).await.is_err() {
            tracing::warn!("shutdown grace period over; closing remaining connections");
        }
        if let Some(t) = admin_task {
            t.abort();
        }
        if let Some(t) = api_task {
            t.abort();
        }
        if let Some(t) = icap_task {
            t.abort();
        }
        tracing::info!("hashwall serve stopped");
    });
    Ok(Running {
        proxy_addr,
        admin_addr,
        api_addr,
        icap_addr,
        lists,
        done,
    })
}

fn all_loopback(config: &Config) -> bool {
    config
        .acl
        .allow_clients
        .iter()
        .all(cidr::Cidr::is_loopback_only)
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, mut stop: watch::Receiver<bool>) {
    let acceptor = accept::Acceptor::new(
        listener,
        Some(shared.config.limits.max_connections),
        "proxy",
    );
    while let Some(conn) = acceptor.next(&mut stop).await {
        let shared = Arc::clone(&shared);
        let stop = stop.clone();
        tokio::spawn(async move {
            let _permit = conn.permit;
            serve_connection(shared, conn.stream, conn.peer, stop).await;
        });
    }
}

async fn serve_connection(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
) {
    let _drain = shared.drain.clone();
    let metrics = Arc::clone(&shared.metrics);
    metrics.connections_total.fetch_add(1, Relaxed);
    metrics.connections_open.fetch_add(1, Relaxed);
    let _ = stream.set_nodelay(true);
    let allowed = shared.config.client_allowed(peer.ip());
    if !allowed {
        // Debug only: a scan from outside must not flood the log; refusals
        // are counted in hashwall_requests_total{outcome="client_denied"}.
        tracing::debug!(
            client = shared
                .config
                .log
                .client_address
                .then(|| peer.ip().to_string()),
            "client not in acl.allow_clients"
        );
    }
    let conn_info = Arc::new(ConnInfo { peer, allowed });
    let activity = Activity::awaiting_head();
    let limits = &shared.config.limits;
    let guard = framing::FramingGuard::new(
        TrackedIo::new(stream, Arc::clone(&activity)),
        limits.max_request_header_bytes,
    )
    .with_head_clock(Arc::clone(&activity));
    let seen = guard.seen();
    let io = TokioIo::new(guard);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        // The head timeout is the watchdog's below (see `Activity`): hyper's
        // would also cut idle keep-alive connections and arm a timer per
        // request.
        .header_read_timeout(None)
        .max_buf_size(limits.max_request_header_bytes.max(8192))
        .max_header_size(limits.max_request_header_bytes)
        .max_headers(limits.max_request_headers)
        .keep_alive(true);
    let svc_shared = Arc::clone(&shared);
    let service =
        service_fn(move |req| phases::handle(Arc::clone(&svc_shared), Arc::clone(&conn_info), req));
    let conn = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(conn);
    let idle = secs(shared.config.timeouts.idle_secs);
    let head = secs(shared.config.timeouts.request_header_secs);
    let mut draining = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    if let Some(reason) = refusal(&e, &seen) {
                        metrics.refusal(reason);
                    }
                    tracing::debug!(error = %e, "client connection ended with an error");
                }
                break;
            }
            () = stopped(&mut stop), if !draining => {
                draining = true;
                // Finish the exchange in progress, then close.
                conn.as_mut().graceful_shutdown();
            }
            expiry = activity.expired(idle, Some(head)) => {
                // A head begun and left unfinished is the slow-head case
                // whichever deadline ends it; a connection that sent
                // nothing (a preconnect) is closed but not counted.
                if seen.partial_head() {
                    metrics.refusal(metrics::Refusal::HeaderTimeout);
                }
                match expiry {
                    Expiry::Idle => tracing::debug!("client connection idle, closed"),
                    Expiry::HeadTimeout => tracing::debug!("request head too slow, connection closed"),
                }
                break;
            }
        }
    }
    metrics.connections_open.fetch_sub(1, Relaxed);
}

/// Why hyper ended a connection before a request reached the proxy logic,
/// if it did: heads it refused (400, 431). Other errors (the client went
/// away, I/O) are not refusals. Slow heads are ended by the connection's
/// watchdog, not by hyper, and counted there.
fn refusal(e: &hyper::Error, seen: &framing::Seen) -> Option<metrics::Refusal> {
    use metrics::Refusal;
    if e.is_parse() && seen.refused() > 0 {
        Some(Refusal::AmbiguousFraming)
    } else if e.is_parse_too_large() {
        Some(Refusal::HeaderTooLarge)
    } else if e.is_parse() {
        Some(Refusal::Malformed)
    } else {
        None
    }
}

async fn poll_lists(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let every = secs(shared.config.lists.poll_secs);
    loop {
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = stopped(&mut stop) => return,
        }
        let lists = Arc::clone(&shared.lists);
        // Stat calls are blocking I/O: keep them off the async workers.
        let changed = tokio::task::spawn_blocking(move || lists.changed())
            .await
            .unwrap_or(false);
        if changed {
            shared.lists.reload("file-change").await;
        }
    }
}

/// `hashwall serve`: starts, reloads lists on SIGHUP, and drains on SIGTERM
/// or SIGINT.
pub async fn run(config: Config) -> Result<(), ServeError> {
    // Signal handlers are installed before anything is announced: a SIGHUP's
    // default action is to terminate, so one sent just after the "listening"
    // line must already find the handler.
    #[cfg(unix)]
    let (hup, term) = {
        use tokio::signal::unix::{SignalKind, signal};
        let hup = signal(SignalKind::hangup())
            .map_err(|e| ServeError(format!("cannot listen for SIGHUP: {e}")))?;
        let term = signal(SignalKind::terminate())
            .map_err(|e| ServeError(format!("cannot listen for SIGTERM: {e}")))?;
        (hup, term)
    };
    #[cfg(unix)]
    let shutdown = async move {
        let mut term = term;
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: draining"),
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: draining"),
        }
    };
    #[cfg(not(unix))]
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("interrupted: draining");
    };
    let running = start(config, shutdown).await?;
    #[cfg(unix)]
    {
        let lists = Arc::clone(&running.lists);
        let mut hup = hup;
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                lists.reload("sighup").await;
            }
        });
    }
    running.wait().await;
    Ok(())
}

/// Seconds (validated finite, 0 allowed) as a `Duration`.
fn secs_or_zero(v: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(v).unwrap_or_default()
}

/// Resolves once the stop flag is set (or its sender is gone). Drops the
/// watch guard before returning, so callers stay `Send`.
pub(crate) async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
