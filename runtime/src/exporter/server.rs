//! The exporter's HTTP server, on a thread of its own: accepts connections into a
//! connection table (`conns.rs`; refused clients into one of their own), refuses clients
//! outside the allow-list, foreign `Host`s and methods other than GET and HEAD
//! (`access.rs`), and serves what [`Endpoints::answer`] says each path answers, with
//! HTTP's headers.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue, ALLOW, CONNECTION, CONTENT_TYPE, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};

use super::access::Access;
use super::budget::{self, Budget};
use super::conns;
use super::endpoints::{self, Endpoints, TEXT_CONTENT_TYPE};

/// A client that sends no complete request head in this time is disconnected.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A client that lets no byte of its response through in this time is disconnected, and
/// the response it held is freed.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts serving on a thread of its own (`botwatch-exporter`) with a single-threaded
/// runtime of its own, whether or not the bot runs a tokio runtime: a render, however long,
/// then never holds up one of the bot's tasks, and all of the exporter's work (renders
/// included) takes at most one core.
pub(crate) fn spawn(
    listener: std::net::TcpListener,
    endpoints: Arc<Endpoints>,
    access: Access,
    upkeep_interval: Duration,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let listener = {
        let _entered = runtime.enter();
        tokio::net::TcpListener::from_std(listener)?
    };
    std::thread::Builder::new()
        .name("botwatch-exporter".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::spawn(upkeep(endpoints.clone(), upkeep_interval));
                serve(listener, endpoints, Arc::new(access)).await;
            });
        })?;
    Ok(())
}

/// Runs the `metrics` recorder's upkeep on a thread of its own, for an exporter installed
/// without a listener (and so, maybe, without any tokio runtime).
pub(crate) fn spawn_upkeep(endpoints: Arc<Endpoints>, interval: Duration) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("botwatch-upkeep".to_owned())
        .spawn(move || loop {
            std::thread::sleep(interval);
            endpoints.prometheus.run_upkeep();
        })?;
    Ok(())
}

async fn upkeep(endpoints: Arc<Endpoints>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        endpoints.prometheus.run_upkeep();
    }
}

async fn serve(listener: tokio::net::TcpListener, endpoints: Arc<Endpoints>, access: Arc<Access>) {
    let table = conns::Table::new();
    let refused = conns::Table::for_refused();
    let budget = Arc::new(Budget::new(budget::SHARE, budget::BURST, Instant::now()));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                // Out of file descriptors and the like: back off instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Bounded: when full, the quietest connection gives its slot to this one. A client
        // outside the allow-list takes a slot among its like, never an allowed client's.
        let client = peer.ip().to_canonical();
        let admitted = access.admits(client);
        let slot = match admitted {
            true => table.admit(client),
            false => refused.admit(client),
        };
        let endpoints = endpoints.clone();
        let access = access.clone();
        let budget = budget.clone();
        tokio::spawn(async move {
            let stream =
                conns::Tracked::new(stream, slot.activity.clone(), budget.clone(), WRITE_TIMEOUT);
            let service = service_fn(move |request| {
                let (endpoints, access, budget) =
                    (endpoints.clone(), access.clone(), budget.clone());
                async move {
                    // Within the exporter's share of a core: a flood waits here.
                    let wait = budget.wait(Instant::now());
                    if !wait.is_zero() {
                        tokio::time::sleep(wait).await;
                    }
                    let response =
                        budget.timed(|| respond(&endpoints, &access, admitted, &request));
                    Ok::<_, Infallible>(response)
                }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            // A client that goes away mid-request is its own business; an evicted one is
            // closed by dropping its connection.
            tokio::select! {
                biased;
                _ = connection => {}
                () = slot.evicted.notified() => {}
            }
        });
        // Let the new connection read its request before the next accept can evict it.
        tokio::task::yield_now().await;
    }
}

fn respond(
    endpoints: &Endpoints,
    access: &Access,
    admitted: bool,
    request: &Request<Incoming>,
) -> Response<Full<Bytes>> {
    if !admitted {
        // Told once, then closed: it has nothing more to ask.
        let mut response = text(
            StatusCode::FORBIDDEN,
            "forbidden: this client is not in the exporter's allow-list\n",
        );
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    if !access.serves_host(request.headers().get_all(HOST).iter().map(|v| v.as_bytes())) {
        return text(
            StatusCode::FORBIDDEN,
            "forbidden: the Host header names neither this exporter's address, localhost, nor a \
             name given with Exporter::host(...)\n",
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET and HEAD are served\n",
        );
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let answer = endpoints.answer(request.uri().path());
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let mut response = body(status, answer.content_type, answer.body);
    if answer.live {
        set_headers(&mut response, endpoints::live_headers());
    }
    if request.method() == Method::HEAD {
        *response.body_mut() = Full::new(Bytes::new());
    }
    response
}

fn text(status: StatusCode, message: &'static str) -> Response<Full<Bytes>> {
    body(
        status,
        TEXT_CONTENT_TYPE,
        Bytes::from_static(message.as_bytes()),
    )
}

fn body(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    set_headers(&mut response, endpoints::headers());
    response
}

/// Sets (replaces) each of `headers`.
fn set_headers(response: &mut Response<Full<Bytes>>, headers: Vec<(&'static str, &'static str)>) {
    for (name, value) in headers {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
}
