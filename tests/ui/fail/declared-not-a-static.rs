#[botwatch::gauge(alert(value < 0.5))]
fn balance() -> f64 {
    1.0
}

fn main() {
    let _ = balance();
}
