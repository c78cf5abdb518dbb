#[botwatch::counted(alert(errors > 2.5))]
fn cancel() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = cancel();
}
