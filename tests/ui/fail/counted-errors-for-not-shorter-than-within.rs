#[botwatch::counted(alert(errors > 3, within = 5m, for = 5m))]
fn submit() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = submit();
}
