// One value, two names: the panel could show only one of them.
#[botwatch::gauge(states(0 = "running", 0 = "idle"))]
static BOT_STATE: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
