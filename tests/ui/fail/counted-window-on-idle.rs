#[botwatch::counted(alert(idle > 10m, window = 10m))]
fn on_block() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = on_block();
}
