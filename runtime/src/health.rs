//! The `/health` report: 503 while a breaker is open or a guard is engaged (a watchdog
//! guard, which opens no breaker, marks the bot degraded this way alone).

use std::time::Duration;

use crate::breaker::{all_breakers, State};

/// What `/health` answers.
pub(crate) struct HealthReport {
    /// 200 when true, 503 otherwise.
    pub(crate) healthy: bool,
    /// `{"status": ..., "uptime_seconds": ..., "breakers": [...]}`
    pub(crate) json: String,
}

/// The report now: healthy while no circuit breaker is open.
pub(crate) fn report(uptime: Duration) -> HealthReport {
    let mut healthy = true;
    let breakers: Vec<serde_json::Value> = all_breakers()
        .map(|breaker| {
            let s = breaker.snapshot();
            healthy &= s.state != State::Open;
            let mut entry = serde_json::json!({
                "name": s.name,
                "state": s.state.label(),
                "successes": s.successes,
                "failures": s.failures,
                "rejected": s.rejected,
                "consecutive_failures": s.consecutive_failures,
            });
            if let Some(key) = s.key {
                entry["key"] = serde_json::Value::String(key);
            }
            if let Some(guard) = s.held_by {
                entry["reason"] = serde_json::Value::String(format!("guard:{guard}"));
            }
            entry
        })
        .collect();
    let guards = crate::guard::snapshots();
    healthy &= !guards.iter().any(|g| g.engaged);
    let mut json = serde_json::json!({
        "status": if healthy { "ok" } else { "degraded" },
        "uptime_seconds": uptime.as_secs_f64(),
        "breakers": breakers,
    });
    if !guards.is_empty() {
        json["guards"] = guards
            .iter()
            .map(|g| {
                serde_json::json!({
                    "name": g.name,
                    "condition": g.condition,
                    "engaged": g.engaged,
                    "since": g.since,
                    "breakers": g.breakers,
                })
            })
            .collect();
    }
    HealthReport {
        healthy,
        json: json.to_string(),
    }
}
