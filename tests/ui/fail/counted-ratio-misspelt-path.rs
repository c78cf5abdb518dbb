// A ratio's other function is named by its path: a misspelt one fails at the attribute.
mod relay {
    #[botwatch::counted]
    pub fn submit_bundle() {}
}

#[botwatch::counted(alert(calls / relay::submit_bundel < 20%))]
fn bundle_included() {}

fn main() {
    relay::submit_bundle();
    bundle_included();
}
