#[botwatch::counted(labels(function = "other"))]
fn submit() {}

fn main() {
    submit();
}
