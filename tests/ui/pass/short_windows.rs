//! A window under 4 scrapes at 15s compiles: only the build helper knows the scrape interval
//! (`.scrape_interval(5s)` admits `idle > 30s`), and the binary still serves the rule.

#[botwatch::counted(alert(idle > 30s))]
fn heartbeat() {}

fn main() {
    heartbeat();
    let rules = botwatch::rules::yaml();
    assert!(rules.contains("- alert: HeartbeatIdle"), "{rules}");
}
