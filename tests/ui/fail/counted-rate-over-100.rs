#[botwatch::counted(alert(error_rate > 150%))]
fn submit() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = submit();
}
