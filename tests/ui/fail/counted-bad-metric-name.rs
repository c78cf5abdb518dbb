#[botwatch::counted(name = "orders-total")]
fn submit() {}

fn main() {
    submit();
}
