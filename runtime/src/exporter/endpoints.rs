//! What each path of the exporter answers, apart from HTTP: the server (`server.rs`) and a
//! bot that mounts the handle in its own server both ask [`Endpoints`].

use std::sync::OnceLock;
use std::time::Instant;

use hyper::body::Bytes;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::{dashboard, health, live, render, rules};

/// The status, content type and body a path answers with.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    /// Shared, not copied, when the body is one rendered once.
    pub(crate) body: Bytes,
    /// The live page and its JSON: served with the live page's headers.
    pub(crate) live: bool,
}

impl Answer {
    fn new(status: u16, content_type: &'static str, body: impl Into<Bytes>) -> Answer {
        Answer {
            status,
            content_type,
            body: body.into(),
            live: false,
        }
    }

    fn live(mut self) -> Answer {
        self.live = true;
        self
    }
}

const METRICS_CONTENT_TYPE: &str = super::ExporterHandle::METRICS_CONTENT_TYPE;

const NOT_FOUND: &str =
    "not found; botwatch serves /, /snapshot.json, /metrics, /health, /rules and /dashboard.json\n";

/// The content type of plain-text messages.
pub(crate) const TEXT_CONTENT_TYPE: &str = "text/plain; charset=utf-8";

/// The policy of every answer but the live page's: nothing loads or runs, so a JSON or
/// text body opened as a page stays inert.
const INERT_POLICY: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The headers every answer is served with: no content sniffing (a body is only ever read
/// as its content type says), and a policy under which nothing loads or runs.
pub(crate) fn headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("x-content-type-options", "nosniff"),
        ("content-security-policy", INERT_POLICY),
    ]
}

/// The headers of the live page and its JSON: never cached (every look is a new reading),
/// no content sniffing, and the page's policy (its own script, requests to the bot only).
pub(crate) fn live_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("cache-control", "no-store"),
        ("x-content-type-options", "nosniff"),
        ("content-security-policy", live::content_security_policy()),
    ]
}

/// What the exporter serves, shared by every connection and the handle.
pub(crate) struct Endpoints {
    /// The standard process metrics, read at each scrape into the recorder.
    pub(crate) process: metrics_process::Collector,
    pub(crate) prometheus: PrometheusHandle,
    pub(crate) global_labels: Vec<(String, String)>,
    pub(crate) started: Instant,
    /// `/rules` and `/dashboard.json`: fixed when the binary was linked, so rendered once,
    /// at the first request, on the exporter's thread.
    pub(crate) rules: OnceLock<Bytes>,
    pub(crate) dashboard: OnceLock<Bytes>,
}

impl Endpoints {
    /// The full `/metrics` body: the `metrics` recorder's series, then botwatch's own.
    pub(crate) fn render_metrics(&self) -> String {
        self.process.collect();
        let mut out = self.prometheus.render();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        render::render_sites(&mut out, &self.global_labels);
        crate::build_info::render(&mut out, &self.global_labels);
        out
    }

    /// The `/health` status code and JSON body.
    pub(crate) fn health(&self) -> (u16, String) {
        let report = health::report(self.started.elapsed());
        (if report.healthy { 200 } else { 503 }, report.json)
    }

    /// The live page `GET /` serves.
    pub(crate) fn live_page(&self) -> String {
        live::page(&self.global_labels, self.started.elapsed())
    }

    /// The JSON `GET /snapshot.json` serves to the live page.
    pub(crate) fn snapshot_json(&self) -> String {
        live::snapshot_json(&self.global_labels, self.started.elapsed())
    }

    /// The rules YAML, rendered at the first call.
    pub(crate) fn rules(&self) -> Bytes {
        self.rules
            .get_or_init(|| Bytes::from(rules::yaml()))
            .clone()
    }

    /// The dashboard JSON, rendered at the first call.
    pub(crate) fn dashboard(&self) -> Bytes {
        self.dashboard
            .get_or_init(|| Bytes::from(dashboard::json()))
            .clone()
    }

    /// What `GET path` answers.
    pub(crate) fn answer(&self, path: &str) -> Answer {
        match path {
            "/metrics" => Answer::new(200, METRICS_CONTENT_TYPE, self.render_metrics()),
            "/health" => {
                let (status, json) = self.health();
                Answer::new(status, "application/json", json)
            }
            "/rules" => Answer::new(200, "application/yaml", self.rules()),
            "/" => Answer::new(200, live::HTML_CONTENT_TYPE, self.live_page()).live(),
            "/snapshot.json" => Answer::new(200, "application/json", self.snapshot_json()).live(),
            "/dashboard.json" => Answer::new(200, "application/json", self.dashboard()),
            _ => Answer::new(404, TEXT_CONTENT_TYPE, NOT_FOUND.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints() -> Endpoints {
        Endpoints {
            process: metrics_process::Collector::default(),
            prometheus: metrics_exporter_prometheus::PrometheusBuilder::new()
                .build_recorder()
                .handle(),
            global_labels: Vec::new(),
            started: Instant::now(),
            rules: OnceLock::new(),
            dashboard: OnceLock::new(),
        }
    }

    /// Catches: `/rules` or `/dashboard.json` rendered again for every request (one bot's
    /// 1,000 functions made each render take about a second of a runtime worker).
    #[test]
    fn fixed_bodies_are_rendered_once_and_shared() {
        let endpoints = endpoints();
        for path in ["/rules", "/dashboard.json"] {
            let first = endpoints.answer(path);
            let second = endpoints.answer(path);
            assert_eq!(first.status, 200, "{path}");
            assert!(!first.body.is_empty(), "{path}");
            assert_eq!(
                first.body.as_ptr(),
                second.body.as_ptr(),
                "{path}: the second answer shares the first one's body"
            );
        }
        assert_eq!(endpoints.rules(), crate::rules::yaml());
        assert_eq!(endpoints.dashboard(), crate::dashboard::json());
    }
}
