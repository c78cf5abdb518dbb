#[botwatch::counted(alert(rate < 5))]
fn submit() {}

fn main() {
    submit();
}
