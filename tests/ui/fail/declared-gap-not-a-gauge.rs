// A gap's reference must be a gauge declared with #[botwatch::gauge].
#[botwatch::counter]
static FILLS_TOTAL: botwatch::Counter = botwatch::Counter::new();

// A gauge without #[botwatch::gauge]: not served, so not a reference.
static UNDECLARED: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::gauge(alert(value - FILLS_TOTAL > 5))]
static NODE_HEAD: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::gauge(alert(value - UNDECLARED < -5))]
static OTHER_HEAD: botwatch::Gauge = botwatch::Gauge::new();

#[botwatch::gauge(alert(value - PUBLIC_HAED > 5))]
static THIRD_HEAD: botwatch::Gauge = botwatch::Gauge::new();

fn main() {
    let _ = &UNDECLARED;
}
