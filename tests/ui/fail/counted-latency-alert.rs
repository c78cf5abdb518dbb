#[botwatch::counted(alert(p99 > 250ms))]
fn submit() {}

fn main() {
    submit();
}
