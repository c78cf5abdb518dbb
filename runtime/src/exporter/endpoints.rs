//! What each path of the exporter answers, apart from HTTP: the server (`server.rs`) and a
//! bot that mounts the handle in its own server both ask [`Endpoints`].

use std::time::Instant;

use metrics_exporter_prometheus::PrometheusHandle;

use crate::{dashboard, health, live, render, rules};

/// The status, content type and body a path answers with.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: String,
    /// The live page and its JSON: served with the live page's headers.
    pub(crate) live: bool,
}

impl Answer {
    fn new(status: u16, content_type: &'static str, body: String) -> Answer {
        Answer {
            status,
            content_type,
            body,
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

/// What the exporter serves, shared by every connection and the handle.
pub(crate) struct Endpoints {
    /// The standard process metrics, read at each scrape into the recorder.
    pub(crate) process: metrics_process::Collector,
    pub(crate) prometheus: PrometheusHandle,
    pub(crate) global_labels: Vec<(String, String)>,
    pub(crate) started: Instant,
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

    /// What `GET path` answers.
    pub(crate) fn answer(&self, path: &str) -> Answer {
        match path {
            "/metrics" => Answer::new(200, METRICS_CONTENT_TYPE, self.render_metrics()),
            "/health" => {
                let (status, json) = self.health();
                Answer::new(status, "application/json", json)
            }
            "/rules" => Answer::new(200, "application/yaml", rules::yaml()),
            "/" => Answer::new(200, live::HTML_CONTENT_TYPE, self.live_page()).live(),
            "/snapshot.json" => Answer::new(200, "application/json", self.snapshot_json()).live(),
            "/dashboard.json" => Answer::new(200, "application/json", dashboard::json()),
            _ => Answer::new(404, TEXT_CONTENT_TYPE, NOT_FOUND.to_owned()),
        }
    }
}
