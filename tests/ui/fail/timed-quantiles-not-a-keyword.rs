// The quantile lines are those botwatch names (p50, p90, p95, p99, p999).
#[botwatch::timed(quantiles(0.5, 0.75))]
fn place_order() {}

fn main() {}
