//! `ok_if` on `Result` functions of every shape, through a type alias, and with `error_if`.

use std::future::Future;

#[derive(Debug)]
pub enum OrderError {
    WouldCross,
    Rejected,
}

mod orders {
    pub fn would_cross(error: &super::OrderError) -> bool {
        matches!(error, super::OrderError::WouldCross)
    }
}

fn is_zero(size: &u32) -> bool {
    *size == 0
}

type OrderResult<T> = Result<T, OrderError>;

#[botwatch::counted(ok_if = orders::would_cross)]
fn post_only(size: u32) -> Result<u32, OrderError> {
    match size {
        0 => Err(OrderError::WouldCross),
        1 => Err(OrderError::Rejected),
        _ => Ok(size),
    }
}

#[botwatch::counted(ok_if = orders::would_cross, error_if = is_zero)]
fn aliased(size: u32) -> OrderResult<u32> {
    Ok(size)
}

#[botwatch::counted(ok_if = crate::orders::would_cross)]
#[botwatch::timed]
async fn post_only_async() -> Result<(), OrderError> {
    Err(OrderError::WouldCross)
}

#[botwatch::counted(ok_if = orders::would_cross)]
fn post_only_future() -> impl Future<Output = Result<(), OrderError>> {
    async { Ok(()) }
}

fn main() {
    assert!(post_only(0).is_err());
    assert!(post_only(1).is_err());
    assert_eq!(aliased(3).unwrap(), 3);
    drop(post_only_async());
    drop(post_only_future());
}
