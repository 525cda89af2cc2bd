//! A token filter made from a rule that rewrites each word in place or drops it, with a
//! scratch buffer kept from word to word (the analysers' filters are such rules).

use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// What a filter does to each word.
pub trait Rewrite: Clone + Send + Sync + 'static {
    /// Rewrites `word` in place (`scratch` is free to use); `false` drops it.
    fn rewrite(&self, word: &mut String, scratch: &mut String) -> bool;
}

/// The filter applying a [`Rewrite`] to every word.
#[derive(Clone)]
pub struct Rewriting<R>(pub R);

impl<R: Rewrite> TokenFilter for Rewriting<R> {
    type Tokenizer<T: Tokenizer> = RewritingTokenizer<R, T>;
    fn transform<T: Tokenizer>(self, tokenizer: T) -> RewritingTokenizer<R, T> {
        RewritingTokenizer {
            rule: self.0,
            inner: tokenizer,
            scratch: String::new(),
        }
    }
}

#[derive(Clone)]
pub struct RewritingTokenizer<R, T> {
    rule: R,
    inner: T,
    scratch: String,
}

impl<R: Rewrite, T: Tokenizer> Tokenizer for RewritingTokenizer<R, T> {
    type TokenStream<'a> = RewritingStream<'a, R, T::TokenStream<'a>>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RewritingStream {
            rule: &self.rule,
            inner: self.inner.token_stream(text),
            scratch: &mut self.scratch,
        }
    }
}

pub struct RewritingStream<'a, R, S> {
    rule: &'a R,
    inner: S,
    scratch: &'a mut String,
}

impl<R: Rewrite, S: TokenStream> TokenStream for RewritingStream<'_, R, S> {
    fn advance(&mut self) -> bool {
        while self.inner.advance() {
            if self
                .rule
                .rewrite(&mut self.inner.token_mut().text, self.scratch)
            {
                return true;
            }
        }
        false
    }
    fn token(&self) -> &Token {
        self.inner.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.inner.token_mut()
    }
}
