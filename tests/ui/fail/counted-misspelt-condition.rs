#[botwatch::counted(alert(eror_rate > 5%))]
fn submit() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = submit();
}
