#[botwatch::timed(alert(p99 > 250ms, within = 10m))]
fn simulate() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = simulate();
}
