//! How many fields a document selects once its fragments are spread, counted before
//! validation walks it: each fragment is sized once (memoised), so a fragment that
//! spreads the one before twice, 26 levels deep, costs 26 steps here instead of 2^26
//! in the depth, complexity and field-merging checks.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Most fields a request may select with every fragment spread.
pub const MAX_EXPANDED_FIELDS: usize = 10_000;

/// Why a document was refused before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expansion {
    /// More than [`MAX_EXPANDED_FIELDS`] once spread (saturating count).
    TooLarge(usize),
    /// A fragment that spreads itself, directly or through others.
    Cycle(String),
}

impl std::fmt::Display for Expansion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expansion::TooLarge(n) => write!(
                f,
                "the request selects {n} fields once its fragments are spread; at most \
                 {MAX_EXPANDED_FIELDS} are allowed"
            ),
            Expansion::Cycle(name) => write!(f, "fragment `{name}` spreads itself"),
        }
    }
}

/// The number of fields `doc` selects with its fragments spread, or why it is refused.
pub fn expanded_fields(doc: &ExecutableDocument) -> Result<usize, Expansion> {
    let mut sizer = Sizer {
        doc,
        sizes: HashMap::new(),
        open: HashSet::new(),
    };
    let mut total = 0usize;
    for (_, op) in doc.operations.iter() {
        total = total.saturating_add(sizer.size(&op.node.selection_set.node)?);
    }
    if total > MAX_EXPANDED_FIELDS {
        return Err(Expansion::TooLarge(total));
    }
    Ok(total)
}

struct Sizer<'d> {
    doc: &'d ExecutableDocument,
    /// Expanded size per fragment, once known.
    sizes: HashMap<&'d str, usize>,
    /// Fragments being sized (a spread of one of these is a cycle).
    open: HashSet<&'d str>,
}

impl<'d> Sizer<'d> {
    fn size(&mut self, set: &'d SelectionSet) -> Result<usize, Expansion> {
        let mut n = 0usize;
        for item in &set.items {
            let here = match &item.node {
                Selection::Field(f) => {
                    1usize.saturating_add(self.size(&f.node.selection_set.node)?)
                }
                Selection::InlineFragment(frag) => self.size(&frag.node.selection_set.node)?,
                Selection::FragmentSpread(spread) => {
                    self.fragment(spread.node.fragment_name.node.as_str())?
                }
            };
            n = n.saturating_add(here);
        }
        Ok(n)
    }

    fn fragment(&mut self, name: &'d str) -> Result<usize, Expansion> {
        if let Some(&n) = self.sizes.get(name) {
            return Ok(n);
        }
        // An unknown fragment selects nothing here; validation names it.
        let Some((key, frag)) = self.doc.fragments.get_key_value(name) else {
            return Ok(0);
        };
        let key = key.as_str();
        if !self.open.insert(key) {
            return Err(Expansion::Cycle(key.to_owned()));
        }
        let n = self.size(&frag.node.selection_set.node)?;
        self.open.remove(key);
        self.sizes.insert(key, n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(q).unwrap()
    }

    /// A fragment that spreads the one before twice, `levels` deep.
    pub(crate) fn doubling(levels: usize) -> String {
        let mut q = String::from("query { ...F0 } fragment F0 on Query { health { status } } ");
        for i in 1..=levels {
            q.push_str(&format!(
                "fragment F{i} on Query {{ ...F{p} ...F{p} }} ",
                p = i - 1
            ));
        }
        q.replace("query { ...F0 }", &format!("query {{ ...F{levels} }}"))
    }

    #[test]
    fn fields_are_counted_with_fragments_spread() {
        let doc = parse("{ a { b c } ...X } fragment X on Query { d { e } }");
        assert_eq!(expanded_fields(&doc), Ok(5));
        assert_eq!(expanded_fields(&parse(&doubling(3))), Ok(16));
    }

    #[test]
    fn a_doubling_fragment_bomb_is_refused_without_expanding_it() {
        let err = expanded_fields(&parse(&doubling(26))).unwrap_err();
        assert_eq!(err, Expansion::TooLarge(2 * (1 << 26)));
        let err = expanded_fields(&parse(&doubling(200))).unwrap_err();
        assert_eq!(err, Expansion::TooLarge(usize::MAX));
    }

    #[test]
    fn a_fragment_cycle_is_refused() {
        let doc = parse("{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }");
        assert!(matches!(expanded_fields(&doc), Err(Expansion::Cycle(_))));
    }
}
