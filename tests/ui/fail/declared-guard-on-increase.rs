// An increase is a change over a window of scrapes: only Prometheus can judge it.
#[botwatch::counter(guard(increase > 5, open = "trading"))]
static FILLS_TOTAL: botwatch::Counter = botwatch::Counter::new();

fn main() {}
