#[botwatch::counted(alert(error_rate > 5))]
fn submit() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = submit();
}
