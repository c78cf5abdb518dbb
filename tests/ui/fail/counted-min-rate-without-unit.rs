#[botwatch::counted(alert(error_rate > 5%, min_rate = 0.1))]
fn submit() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = submit();
}
