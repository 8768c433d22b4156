//! Binding, routing and serving. Connections are served with hyper directly (not
//! `axum::serve`): fault injection must be able to close a connection without answering
//! (a response marked with [`DropConnection`] is never written; its connection is closed
//! instead), the number of connections is capped, and every byte a client sends passes the
//! connection guard ([`crate::conn`]) before hyper parses it.

use crate::config::{GatewayConfig, Mode};
use crate::conn::{ConnState, GuardedIo, Refusal};
use crate::http::{self, Common, DropConnection};
use crate::proxy::{self, Proxy};
use crate::sim::clock::http_date_from_ms;
use crate::sim::clock::wall_ms;
use crate::sim::Simulator;
use crate::static_files::{self, StaticSite};
use crate::{api, sim_api};
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;
use tower::ServiceExt;

/// A running gateway. Dropping it stops it.
pub struct Gateway {
    addr: SocketAddr,
    simulator: Option<Arc<Simulator>>,
    task: JoinHandle<()>,
}

impl Gateway {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The simulator, in simulator mode.
    pub fn simulator(&self) -> Option<&Arc<Simulator>> {
        self.simulator.as_ref()
    }

    /// Serves until the serving task ends (it does not, unless aborted).
    pub async fn wait(&mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The application for a configuration, and what the serving loop shares with it.
pub struct App {
    pub router: Router,
    pub simulator: Option<Arc<Simulator>>,
    pub common: Arc<Common>,
}

/// The complete application for a configuration.
pub fn build_router(config: &GatewayConfig, bound: SocketAddr) -> Result<App, String> {
    let limits = &config.limits;
    let (api, simulator, config_json) = match &config.mode {
        Mode::Simulator(s) => {
            let sim = Arc::new(
                Simulator::new(s.credentials.clone(), s.settings.clone(), s.latency_ms)
                    .with_rate_limit(s.rate_limit)
                    .with_limits(limits.max_api_body, limits.ledger_max),
            );
            let c = &s.credentials;
            let config_json = json!({
                "mode": "simulator",
                "endpoint": null,
                "projectId": c.project_id,
                "auth": "token",
                "token": c.token,
                "ak": c.ak,
                "sk": c.sk,
            });
            let sim_api = sim_api::router(sim.clone()).layer(DefaultBodyLimit::max(limits.max_sim_body));
            (api::router(sim.clone()).merge(sim_api), Some(sim), config_json)
        }
        Mode::Proxy(p) => {
            let config_json = json!({ "mode": "proxy", "endpoint": null, "projectId": p.project_id, "auth": "none" });
            (proxy::router(Arc::new(Proxy::new(p.clone(), limits.max_api_body)?)), None, config_json)
        }
    };
    let site = Arc::new(StaticSite { www: config.www.clone(), pkg: config.pkg.clone(), config_json });
    let common = Arc::new(Common::new(bound));
    let mut router = api.merge(static_files::router(site)).layer(from_fn_with_state(common.clone(), http::common));
    if let Some(sim) = &simulator {
        router = router.layer(axum::middleware::map_response_with_state(sim.clone(), simulated_date));
    }
    Ok(App { router, simulator, common })
}

/// The simulator's `Date` follows its own clock, `/_sim/clock` offset included, as a real
/// service's `Date` follows its clock: clients that correct their signing clock read it.
async fn simulated_date(State(sim): State<Arc<Simulator>>, mut response: Response) -> Response {
    if let Ok(date) = HeaderValue::from_str(&http_date_from_ms(sim.now_ms())) {
        response.headers_mut().insert(header::DATE, date);
    }
    response
}

/// Binds, builds and starts serving in the background.
pub async fn start(config: GatewayConfig) -> io::Result<Gateway> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let app = build_router(&config, addr).map_err(io::Error::other)?;
    let simulator = app.simulator.clone();
    let serving = Arc::new(Serving {
        common: app.common,
        simulator: app.simulator,
        head_timeout: Duration::from_millis(config.limits.head_timeout_ms),
        connections: Arc::new(Semaphore::new(config.limits.max_connections)),
    });
    let task = tokio::spawn(serve(listener, app.router, serving));
    Ok(Gateway { addr, simulator, task })
}

/// What every connection of a gateway shares.
struct Serving {
    common: Arc<Common>,
    simulator: Option<Arc<Simulator>>,
    head_timeout: Duration,
    /// One permit per connection served.
    connections: Arc<Semaphore>,
}

impl Serving {
    fn date(&self) -> String {
        let now = self.simulator.as_ref().map_or_else(wall_ms, |sim| sim.now_ms());
        http_date_from_ms(now)
    }

    /// Answers a connection with the guard's refusal, then closes it. The client's unread
    /// bytes are drained for a moment first, so that closing does not reset the connection
    /// before the client has read the answer.
    async fn refuse(&self, mut stream: TcpStream, refusal: &Refusal) {
        let answer = refusal.response(&self.common.request_ids.next(), Some(&self.date()));
        let _ = tokio::time::timeout(REFUSAL_GRACE, async {
            stream.write_all(&answer).await?;
            stream.shutdown().await?;
            let mut sink = [0u8; 16 * 1024];
            let mut drained = 0usize;
            while drained < REFUSAL_DRAIN_BYTES {
                match stream.read(&mut sink).await? {
                    0 => break,
                    n => drained += n,
                }
            }
            Ok::<_, io::Error>(())
        })
        .await;
    }
}

/// How long a refused connection is given to read its answer.
const REFUSAL_GRACE: Duration = Duration::from_millis(500);
const REFUSAL_DRAIN_BYTES: usize = 4 << 20;

async fn serve(listener: TcpListener, router: Router, serving: Arc<Serving>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors and the like: wait a little rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        match serving.connections.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(serve_connection(stream, router.clone(), serving.clone(), permit));
            }
            // Past the cap the connection is answered at once, so that the connections already
            // served keep their share and the client learns why.
            Err(_) => {
                let serving = serving.clone();
                tokio::spawn(async move { serving.refuse(stream, &Refusal::too_many_connections()).await });
            }
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router, serving: Arc<Serving>, _permit: OwnedSemaphorePermit) {
    let state = Arc::new(ConnState::default());
    let io = GuardedIo::new(stream, state.clone(), serving.head_timeout);
    let drop_signal = Arc::new(Notify::new());
    let signal = drop_signal.clone();
    let service_state = state.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        let signal = signal.clone();
        let state = service_state.clone();
        async move {
            let mut response = match router.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            state.answered();
            if state.close_after_answer() {
                response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            if response.extensions().get::<DropConnection>().is_some() {
                signal.notify_one();
                std::future::pending::<()>().await;
            }
            Ok::<_, Infallible>(response)
        }
    });
    // hyper's own header-read timeout stays off: the guard times heads (and idle keep-alive
    // connections) itself, and answers slow heads with a 408 of its own.
    let connection =
        hyper::server::conn::http1::Builder::new().header_read_timeout(None).serve_connection(TokioIo::new(io), service).without_shutdown();
    let parts = tokio::select! {
        result = connection => result.ok(),
        // Dropping the connection closes the socket without writing the answer.
        _ = drop_signal.notified() => None,
    };
    if let (Some(refusal), Some(parts)) = (state.take_refusal(), parts) {
        serving.refuse(parts.io.into_inner().into_inner(), &refusal).await;
    }
}
