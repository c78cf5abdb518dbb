// A state alert on a gauge that names no states: the value it means is unknown.
#[botwatch::gauge(alert(state == "halted"))]
static BOT_STATE: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
