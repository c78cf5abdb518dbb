#[botwatch::counted(alert(errors > 5%))]
fn submit() {}

fn main() {
    submit();
}
