// A guard's ratio divides by a declared metric, like an alert's.
const DAILY_LIMIT_USD: f64 = 1000.0;

#[botwatch::gauge(guard(value / DAILY_LIMIT_USD > 80%, open = "trading"))]
static DAILY_VOLUME_USD: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
