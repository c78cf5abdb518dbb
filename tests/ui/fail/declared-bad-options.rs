#[botwatch::histogram(buckets = [0.9, 0.5], alert(p50 < 0.8, within = 1h))]
static ACCURACY: botwatch::Histogram = botwatch::Histogram::new();

#[botwatch::gauge(max_series = 10, labels(le), alert(valeu < 1))]
static POSITION: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
