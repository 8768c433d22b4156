//! Binding, routing and serving. Connections are served with hyper directly (not
//! `axum::serve`) for one reason: fault injection must be able to close a connection without
//! answering, which a handler cannot do on its own. A response marked with
//! [`DropConnection`] is never written; its connection is closed instead.

use crate::config::{GatewayConfig, Mode};
use crate::http::{self, Common, DropConnection};
use crate::proxy::{self, Proxy};
use crate::sim::clock::http_date_from_ms;
use crate::sim::Simulator;
use crate::static_files::{self, StaticSite};
use crate::{api, sim_api};
use axum::body::Body;
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
use tokio::net::TcpListener;
use tokio::sync::Notify;
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

/// The complete application for a configuration.
pub fn build_router(config: &GatewayConfig, bound: SocketAddr) -> Result<(Router, Option<Arc<Simulator>>), String> {
    let (api, simulator, config_json) = match &config.mode {
        Mode::Simulator(s) => {
            let sim = Arc::new(
                Simulator::new(s.credentials.clone(), s.settings.clone(), s.latency_ms).with_rate_limit(s.rate_limit),
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
            (
                api::router(sim.clone()).merge(sim_api::router(sim.clone())),
                Some(sim),
                config_json,
            )
        }
        Mode::Proxy(p) => {
            let config_json = json!({ "mode": "proxy", "endpoint": null, "projectId": p.project_id, "auth": "none" });
            (
                proxy::router(Arc::new(Proxy::new(p.clone(), bound)?)),
                None,
                config_json,
            )
        }
    };
    let site = Arc::new(StaticSite {
        www: config.www.clone(),
        pkg: config.pkg.clone(),
        config_json,
    });
    let mut router = api
        .merge(static_files::router(site))
        .layer(from_fn_with_state(Arc::new(Common::default()), http::common));
    if let Some(sim) = &simulator {
        router = router.layer(axum::middleware::map_response_with_state(sim.clone(), simulated_date));
    }
    Ok((router, simulator))
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
    let (router, simulator) = build_router(&config, addr).map_err(io::Error::other)?;
    let task = tokio::spawn(serve(listener, router));
    Ok(Gateway { addr, simulator, task })
}

async fn serve(listener: TcpListener, router: Router) {
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
        tokio::spawn(serve_connection(stream, router.clone()));
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, router: Router) {
    let drop_signal = Arc::new(Notify::new());
    let signal = drop_signal.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let router = router.clone();
        let signal = signal.clone();
        async move {
            let response = match router.oneshot(request.map(Body::new)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            if response.extensions().get::<DropConnection>().is_some() {
                signal.notify_one();
                std::future::pending::<()>().await;
            }
            Ok::<_, Infallible>(response)
        }
    });
    // No header-read timeout: hyper would apply it to idle keep-alive connections too, and a
    // client reusing one just as it is closed sees a spurious reset, which a soak test would
    // count as an injected fault.
    let connection = hyper::server::conn::http1::Builder::new()
        .header_read_timeout(None)
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        // Dropping the connection closes the socket without writing the answer.
        _ = drop_signal.notified() => {}
    }
}
