//! A module file inside a directory module.

#[botwatch::counted(name = "orders_total", labels(venue = "binance"), alert(error_rate > 1%))]
#[botwatch::timed(alert(p50 > 10ms), alert(p999 > 1s, severity = "critical"))]
pub(crate) fn place(size: u64) -> Result<u64, String> {
    if size == 0 {
        return Err("empty order".to_owned());
    }
    Ok(size)
}
