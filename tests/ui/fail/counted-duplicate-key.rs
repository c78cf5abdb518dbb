#[botwatch::counted(name = "orders_total", help = "Orders.", name = "fills_total")]
fn submit() {}

fn main() {
    submit();
}
