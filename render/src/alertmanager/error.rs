//! Why an Alertmanager configuration cannot be generated; each message says the fix.

use std::fmt;

/// Why [`render`](super::render) refused the routing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoutingError {
    /// Neither `.ticket(...)` nor `.page(...)`: the root route needs a receiver.
    NoReceiver,
    /// Two different receivers share a name.
    ReceiverConflict {
        /// The name.
        name: String,
    },
    /// A receiver's name is empty or the dead-man's switch's own.
    ReceiverName {
        /// The name.
        name: String,
    },
    /// `during = "..."` names an interval the routing does not define.
    UndefinedInterval {
        /// The interval's name.
        name: String,
        /// The alert and where it comes from.
        alert: String,
        /// The intervals defined.
        defined: Vec<String>,
    },
    /// A time interval is defined twice, or cannot be read.
    BadInterval {
        /// The interval's name.
        name: String,
        /// What is wrong, and the fix.
        problem: String,
    },
}

impl fmt::Display for RoutingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoutingError::NoReceiver => write!(
                f,
                "the Alertmanager routing has no receiver: give it .ticket(Receiver::...) (everything not paged) or .page(Receiver::...)"
            ),
            RoutingError::ReceiverConflict { name } => write!(
                f,
                "two different receivers are named \"{name}\"; give each its own name, or pass the same Receiver twice"
            ),
            RoutingError::ReceiverName { name } => write!(
                f,
                "\"{name}\" cannot name a receiver (empty, or the dead-man's switch's own); choose another name"
            ),
            RoutingError::UndefinedInterval {
                name,
                alert,
                defined,
            } => {
                write!(
                    f,
                    "{alert} has during = \"{name}\", but the routing defines no such time interval; add .time_interval(\"{name}\", TimeInterval::new()...) to the Routing"
                )?;
                if defined.is_empty() {
                    Ok(())
                } else {
                    write!(f, " (defined: {})", defined.join(", "))
                }
            }
            RoutingError::BadInterval { name, problem } => {
                write!(f, "time interval \"{name}\": {problem}")
            }
        }
    }
}

impl std::error::Error for RoutingError {}
