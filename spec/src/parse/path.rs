//! How an attribute's path names one of botwatch's attributes: written out
//! (`#[botwatch::counted]`) or bare (`#[counted]`, which names botwatch's only where it
//! was imported). The macros (stacked attributes) and the build helper's scanner read
//! paths the same way through this one function.

/// The last segment of a path that may name a botwatch attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttributePath {
    /// `botwatch::name` (or `::botwatch::name`): botwatch's, whatever is imported.
    Qualified(String),
    /// `name` alone: botwatch's only if it was imported as such.
    Bare(String),
}

/// Reads `path`: `None` for a path that cannot name a botwatch attribute
/// (`::name`, `other_crate::name`, `a::b::c`).
pub fn attribute_path(path: &syn::Path) -> Option<AttributePath> {
    let mut segments = path.segments.iter().map(|s| s.ident.to_string());
    match (segments.next(), segments.next(), segments.next()) {
        (Some(name), None, None) if path.leading_colon.is_none() => Some(AttributePath::Bare(name)),
        (Some(krate), Some(name), None) if krate == "botwatch" => {
            Some(AttributePath::Qualified(name))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &str) -> Option<AttributePath> {
        attribute_path(&syn::parse_str(path).unwrap())
    }

    #[test]
    fn written_out_bare_and_foreign_paths() {
        assert_eq!(
            read("botwatch::counted"),
            Some(AttributePath::Qualified("counted".into()))
        );
        assert_eq!(
            read("::botwatch::timed"),
            Some(AttributePath::Qualified("timed".into()))
        );
        assert_eq!(read("gauge"), Some(AttributePath::Bare("gauge".into())));
        assert_eq!(read("::gauge"), None, "a crate named gauge");
        assert_eq!(read("metrics::counted"), None);
        assert_eq!(read("botwatch::inner::counted"), None);
    }
}
