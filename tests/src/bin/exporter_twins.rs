//! One bot, served two ways: `exporter_twins builtin` by botwatch's own listener,
//! `exporter_twins mounted` by a small hyper server of the bot's own through
//! `Exporter::without_listener()`. Both do the same work, print `listening on <addr>`, and
//! serve until stdin closes, so a test can compare what the two serve.

use std::convert::Infallible;
use std::io::Read;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Response};

#[derive(Debug)]
struct RelayError;

impl From<botwatch::CircuitOpen> for RelayError {
    fn from(_: botwatch::CircuitOpen) -> Self {
        RelayError
    }
}

#[botwatch::counted(alert(error_rate > 5%))]
fn place_order(size: u64) -> Result<u64, String> {
    if size == 0 {
        return Err("empty order".to_owned());
    }
    Ok(size)
}

#[botwatch::counted]
#[botwatch::circuit_breaker(name = "relay", failures = 1, reset = 1h, latency = false, alert(open))]
fn submit_bundle() -> Result<(), RelayError> {
    Err(RelayError)
}

fn work() {
    place_order(1).unwrap();
    place_order(2).unwrap();
    place_order(0).unwrap_err();
    submit_bundle().unwrap_err(); // opens the breaker
    submit_bundle().unwrap_err(); // rejected
                                  // Described, as a bot should: promtool's lint wants help text on every family.
    botwatch::metrics::describe_counter!("operator_fills_total", "Fills reported by the venue.");
    botwatch::metrics::describe_gauge!("operator_balance_eth", "The operator's balance in ETH.");
    botwatch::metrics::counter!("operator_fills_total", "venue" => "binance").increment(4);
    botwatch::metrics::gauge!("operator_balance_eth").set(1.25);
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let exporter = botwatch::Exporter::new().global_label("bot", "chimera");
    match mode.as_str() {
        "builtin" => {
            let exporter = exporter
                .listen("127.0.0.1:0".parse().unwrap())
                .install()
                .unwrap();
            work();
            println!("listening on {}", exporter.local_addr());
        }
        "mounted" => {
            let exporter = exporter.without_listener().install().unwrap();
            assert_eq!(exporter.listening_on(), None);
            work();
            std::thread::spawn(move || serve_mounted(exporter));
        }
        _ => panic!("usage: exporter_twins builtin|mounted"),
    }
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// The bot's own server, with botwatch's handle mounted on it.
fn serve_mounted(exporter: botwatch::ExporterHandle) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("listening on {}", listener.local_addr().unwrap());
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let exporter = exporter.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<_>| {
                    let exporter = exporter.clone();
                    async move { Ok::<_, Infallible>(route(&exporter, request.uri().path())) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

fn route(exporter: &botwatch::ExporterHandle, path: &str) -> Response<Full<Bytes>> {
    let (status, content_type, body, headers) = match path {
        "/metrics" => (
            200,
            botwatch::ExporterHandle::METRICS_CONTENT_TYPE,
            exporter.render_metrics(),
            exporter.headers(),
        ),
        "/health" => {
            let (status, json) = exporter.health();
            (status, "application/json", json, exporter.headers())
        }
        "/rules" => (
            200,
            "application/yaml",
            exporter.rules(),
            exporter.headers(),
        ),
        "/" => (
            200,
            botwatch::ExporterHandle::LIVE_PAGE_CONTENT_TYPE,
            exporter.live_page(),
            exporter.live_page_headers(),
        ),
        "/snapshot.json" => (
            200,
            "application/json",
            exporter.snapshot_json(),
            exporter.live_page_headers(),
        ),
        _ => (404, "text/plain", "not found\n".to_owned(), Vec::new()),
    };
    let mut response = Response::builder()
        .status(status)
        .header("content-type", content_type);
    for (name, value) in headers {
        response = response.header(name, value);
    }
    response.body(Full::new(Bytes::from(body))).unwrap()
}
