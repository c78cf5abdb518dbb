//! The shape every argument list shares: `key = value`, `key(...)` and bare `key`, separated
//! by commas, with unknown and duplicate keys reported where the user wrote them.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Ident, Token};

/// One argument of a list.
pub(crate) struct Item {
    /// The key, which may be a keyword such as `for`.
    pub(crate) key: Ident,
    pub(crate) value: ItemValue,
}

/// What follows the key.
pub(crate) enum ItemValue {
    /// `key`
    Bare,
    /// `key = <tokens up to the next comma>`
    Assigned(TokenStream),
    /// `key(<tokens>)`
    Nested(TokenStream, Span),
}

impl Item {
    pub(crate) fn name(&self) -> String {
        self.key.unraw().to_string()
    }
}

/// Collected errors, folded into one `syn::Error` at the end so that every independent
/// mistake is reported once, at its own place. The parser and the macros share it.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    /// Records `error` beside the others.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(existing) => existing.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Keeps the value of a result, or records its error.
    pub fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    /// Whether no error was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// `value`, or every recorded error as one.
    pub fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.0 {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

/// Splits an argument list into items. The first item of an `alert(...)` is its condition,
/// which the caller takes off with [`split_first`] before this.
pub(crate) fn parse_items(tokens: TokenStream) -> syn::Result<Vec<Item>> {
    let parser = |input: ParseStream<'_>| {
        let mut items = Vec::new();
        while !input.is_empty() {
            items.push(parse_item(input)?);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        Ok(items)
    };
    parser.parse2(tokens)
}

fn parse_item(input: ParseStream<'_>) -> syn::Result<Item> {
    let key = input
        .call(Ident::parse_any)
        .map_err(|e| syn::Error::new(e.span(), "expected an option name, like `name = \"...\"`"))?;
    let value = if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        let value = take_until_comma(input);
        if value.is_empty() {
            return Err(syn::Error::new(
                key.span(),
                format!("`{}` needs a value after `=`", key.unraw()),
            ));
        }
        ItemValue::Assigned(value)
    } else if input.peek(syn::token::Paren) {
        let content;
        let paren = syn::parenthesized!(content in input);
        ItemValue::Nested(content.parse()?, paren.span.join())
    } else {
        ItemValue::Bare
    };
    Ok(Item { key, value })
}

/// The tokens up to the next top-level comma (groups count as one token).
pub(crate) fn take_until_comma(input: ParseStream<'_>) -> TokenStream {
    let mut out = TokenStream::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        let tt: proc_macro2::TokenTree = input.parse().expect("a non-empty stream has a token");
        out.extend([tt]);
    }
    out
}

/// Splits off the tokens before the first top-level comma.
pub(crate) fn split_first(tokens: TokenStream) -> syn::Result<(TokenStream, TokenStream)> {
    let parser = |input: ParseStream<'_>| {
        let first = take_until_comma(input);
        if !input.is_empty() {
            input.parse::<Token![,]>()?;
        }
        Ok((first, input.parse::<TokenStream>()?))
    };
    parser.parse2(tokens)
}

/// Tracks which keys were seen, for duplicate and unknown key errors.
pub(crate) struct KeySet {
    context: &'static str,
    valid: &'static [&'static str],
    repeatable: &'static [&'static str],
    seen: Vec<String>,
}

impl KeySet {
    pub(crate) fn new(
        context: &'static str,
        valid: &'static [&'static str],
        repeatable: &'static [&'static str],
    ) -> Self {
        KeySet {
            context,
            valid,
            repeatable,
            seen: Vec::new(),
        }
    }

    /// Checks a key: an error at the key if it is unknown or already given.
    pub(crate) fn check(&mut self, item: &Item) -> syn::Result<()> {
        let name = item.name();
        if !self.valid.contains(&name.as_str()) {
            return Err(syn::Error::new(
                item.key.span(),
                self.unknown_message(&name),
            ));
        }
        if self.seen.contains(&name) && !self.repeatable.contains(&name.as_str()) {
            return Err(syn::Error::new(
                item.key.span(),
                format!("duplicate option `{name}` in {}", self.context),
            ));
        }
        self.seen.push(name);
        Ok(())
    }

    fn unknown_message(&self, name: &str) -> String {
        let expected = self
            .valid
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        match closest(name, self.valid) {
            Some(close) => format!(
                "unknown option `{name}` in {}; did you mean `{close}`? Expected one of {expected}",
                self.context
            ),
            None => format!(
                "unknown option `{name}` in {}; expected one of {expected}",
                self.context
            ),
        }
    }
}

/// The valid key nearest to a misspelt one, if it is near enough to be a typo.
fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    crate::suggest::closest(word, candidates.iter().copied())
}
