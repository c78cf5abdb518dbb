#[botwatch::counted(retries = 3)]
fn submit() {}

fn main() {
    submit();
}
