// `stale` and `age` take a duration, not a bare number.
#[botwatch::gauge(alert(stale > 60))]
static PRICE: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::gauge(alert(age > 30))]
static BLOCK_TIME: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
