// `total` sums a labelled family's sets; an unlabelled gauge has one.
#[botwatch::gauge(alert(total > 100))]
static INVENTORY: botwatch::Gauge = botwatch::Gauge::new();

fn main() {}
