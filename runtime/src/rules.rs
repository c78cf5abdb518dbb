//! The alert rules of every annotated function linked into the binary.

/// The Prometheus rule file (`groups:`) for every annotated function in this binary, the
/// same text `GET /rules` serves.
pub fn yaml() -> String {
    "groups: []\n".to_owned()
}
