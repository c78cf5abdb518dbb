//! The build.rs a user writes, unchanged for a bot made of several crates: the rules of
//! fixture-core's functions are found through the dependency graph.

fn main() {
    botwatch::build::Rules::new()
        .emit()
        .expect("botwatch rules");
}
