// A window of zero holds no scrape at any interval. (Whether `window = 30s` holds 4 scrapes
// depends on the scrape interval: the build helper checks that, not the macro.)
#[botwatch::counted(alert(error_rate > 5%, window = 0s))]
fn submit() -> Result<(), String> {
    Ok(())
}

fn main() {
    let _ = submit();
}
