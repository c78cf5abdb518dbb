//! Compile tests: every supported function shape expands and runs; every mistake in an
//! attribute is one clear error at the place the user wrote it.

#[test]
#[ignore = "slow: trybuild compiles every tests/ui case"]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
