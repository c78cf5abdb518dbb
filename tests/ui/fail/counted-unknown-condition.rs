#[botwatch::counted(alert(failures > 5%))]
fn submit() {}

fn main() {
    submit();
}
