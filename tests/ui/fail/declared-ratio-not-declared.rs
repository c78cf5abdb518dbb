// A plain static, not a metric.
static LIMIT: u64 = 100;

// A gauge without #[botwatch::gauge]: not served, so not a ratio's denominator.
static UNDECLARED: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::gauge(alert(value / LIMIT > 80%))]
static VOLUME: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::gauge(alert(value / UNDECLARED > 80%))]
static EXPOSURE: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::gauge(alert(value / DAILY_LIMT > 80%))]
static SPEND: botwatch::Gauge = botwatch::Gauge::new();

fn main() {
    let _ = (LIMIT, &UNDECLARED);
}
