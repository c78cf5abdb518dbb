//! A module file inside a directory module.

#[botwatch::counted(name = "orders_total", labels(venue = "binance"), alert(error_rate > 1%))]
#[botwatch::timed(alert(p50 > 10ms, window = 10m), alert(p999 > 1s, severity = "critical"), alert(oldest > 2m, for = 1m))]
pub(crate) fn place(size: u64) -> Result<u64, String> {
    if size == 0 {
        return Err("empty order".to_owned());
    }
    Ok(size)
}

/// Per-call labels: the build helper reads the same grammar, so its rules group by them too.
#[botwatch::counted(
    labels(side = side),
    max_series = 4,
    alert(error_rate > 5%, min_rate = 0.5/s),
    alert(errors > 3, within = 10m, for = 1m)
)]
pub(crate) fn cancel(side: &str) -> Result<(), String> {
    if side.is_empty() {
        return Err("no side".to_owned());
    }
    Ok(())
}

/// Fills per side, watched against the cancels of the same side.
#[botwatch::counted(labels(side = side), alert(calls / cancel > 90%, window = 30m, for = 0s))]
pub(crate) fn fill(side: &str) {
    let _ = side;
}
