// A quantile is read from buckets summed over the fleet: only Prometheus can judge it.
#[botwatch::histogram(guard(p99 > 2.5, open = "trading"))]
static SLIPPAGE_BPS: botwatch::Histogram = botwatch::Histogram::new();

fn main() {}
