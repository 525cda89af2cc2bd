//! The engine's excerpts as the HTML the API promises: text escaped, matches in `<b>`,
//! an ellipsis where the stored text was cut.

use toex_indexer::Excerpt;

/// `excerpt` as HTML: `&`, `<` and `>` escaped (quotes need no escaping in element
/// content, and left as they are a name like O'Brien stays findable by the redactor),
/// matched pieces in `<b>`, `…` where the stored text goes on.
pub fn html(excerpt: &Excerpt) -> String {
    let mut out = String::with_capacity(excerpt.text.len() + 8 * excerpt.marks.len() + 8);
    if excerpt.cut_before {
        out.push('…');
    }
    for (piece, matched) in excerpt.pieces() {
        if matched {
            out.push_str("<b>");
        }
        escape_into(&mut out, piece);
        if matched {
            out.push_str("</b>");
        }
    }
    if excerpt.cut_after {
        out.push('…');
    }
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_the_text_is_escaped_and_only_matches_are_bold() {
        let e = Excerpt::marked("<script>x</script> & O'Brien", std::iter::once(21..28));
        assert_eq!(
            html(&e),
            "&lt;script&gt;x&lt;/script&gt; &amp; <b>O'Brien</b>"
        );
    }

    #[test]
    fn a_cut_excerpt_says_so() {
        let e = Excerpt::around("one two three four five", 8, 13, 4);
        assert_eq!(html(&e), "…two <b>three</b> fou…");
    }
}
