#[botwatch::counted(alert(errors > 3, min_rate = 1/s))]
fn submit() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = submit();
}
