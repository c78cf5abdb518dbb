#[botwatch::counted(alert(error_rate > 5%, window = 30s))]
fn submit() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = submit();
}
