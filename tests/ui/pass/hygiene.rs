#![deny(unused_qualifications, clippy::pedantic)]
#![no_implicit_prelude]

// A user module named like the crate must not capture the generated paths.
mod botwatch {}

mod trade {
    #[::botwatch::counted(alert(error_rate > 5%))]
    #[::botwatch::timed(alert(p99 > 250ms))]
    pub fn submit(size: u64) -> ::std::result::Result<u64, ::std::string::String> {
        let __botwatch_result = size;
        let __botwatch_call = 1;
        ::std::result::Result::Ok(__botwatch_result + __botwatch_call)
    }
}

fn main() {
    ::std::assert_eq!(trade::submit(1), ::std::result::Result::Ok(2));
}
