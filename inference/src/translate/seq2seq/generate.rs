//! Decoding: greedy and beam search (the shared [`crate::generate`]) over the decoder
//! steps, after a forced prefix, with a length guard against runaway output; and a
//! sentence list translated in batches of similar length.

use super::*;
use crate::generate::{BeamPolicy, BeamSearch, Settle};

/// How to decode.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    /// 1: greedy; more: beam search with this many hypotheses per line.
    pub beam: usize,
    /// Output tokens at most: `min(max_tokens, ratio × source tokens + 10)` (the guard
    /// against runaway output).
    pub max_tokens: usize,
    pub max_ratio: f32,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        Self {
            beam: 1,
            max_tokens: 256,
            max_ratio: 2.0,
        }
    }
}

impl Seq2Seq {
    /// Output-token limit for a source of `source_tokens` (after a forced prefix of
    /// `prefix` tokens).
    pub fn limit(&self, source_tokens: usize, prefix: usize, opts: &DecodeOptions) -> usize {
        let by_ratio = (source_tokens as f32 * opts.max_ratio).ceil() as usize + 10;
        by_ratio
            .min(opts.max_tokens)
            .min(
                self.config
                    .max_position_embeddings
                    .saturating_sub(1 + prefix),
            )
            .max(1)
    }

    /// Translates a batch of token-id sequences (each ending in the end token); the
    /// decoder starts from its start token and then `prefix` (M2M100's target language),
    /// forced. Returns the output ids of each, without the start, prefix and end tokens.
    pub fn generate(
        &self,
        sources: &[Vec<u32>],
        prefix: &[u32],
        opts: &DecodeOptions,
    ) -> Result<Vec<Vec<u32>>, InferenceError> {
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        let max_pos = self.config.max_position_embeddings;
        if let Some(long) = sources.iter().find(|s| s.len() > max_pos) {
            return Err(InferenceError::InvalidDocument(format!(
                "a piece of {} tokens is longer than the model's {max_pos}",
                long.len()
            )));
        }
        if prefix.len() + 1 >= max_pos {
            return Err(InferenceError::Model(format!(
                "a forced prefix of {} tokens leaves no room in {max_pos} positions",
                prefix.len()
            )));
        }
        if opts.beam <= 1 {
            self.greedy(sources, prefix, opts).map_err(model_err)
        } else {
            self.beam(sources, prefix, opts).map_err(model_err)
        }
    }

    fn padded(&self, sources: &[Vec<u32>]) -> candle_core::Result<(Tensor, Vec<usize>)> {
        let width = sources.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let pad = self.config.pad_token_id;
        let mut ids = Vec::with_capacity(sources.len() * width);
        for s in sources {
            ids.extend_from_slice(s);
            ids.extend(std::iter::repeat_n(pad, width - s.len()));
        }
        let lengths = sources.iter().map(Vec::len).collect();
        Ok((
            Tensor::from_vec(ids, (sources.len(), width), &self.device)?,
            lengths,
        ))
    }

    fn start_token(&self) -> u32 {
        self.config
            .decoder_start_token_id
            .unwrap_or(self.config.pad_token_id)
    }

    /// Feeds the start token and the forced prefix to every one of `rows` rows; returns
    /// the last token fed, per row.
    fn start(
        &self,
        rows: usize,
        prefix: &[u32],
        state: &mut [LayerState],
        mask: &Tensor,
    ) -> candle_core::Result<Vec<u32>> {
        let mut tokens = vec![self.start_token(); rows];
        for (step, &forced) in prefix.iter().enumerate() {
            let input = Tensor::from_vec(tokens, (rows, 1), &self.device)?;
            // The forced token replaces whatever the model would choose (its
            // log-probability, after forcing, is 0: scores do not change).
            self.step(&input, step, state, mask)?;
            tokens = vec![forced; rows];
        }
        Ok(tokens)
    }

    /// The batch encoded, each line's rows repeated `k` times (row = line × k + j), with
    /// its source mask, the decoder's state over it and each line's output limit.
    fn prepare(
        &self,
        sources: &[Vec<u32>],
        prefix: &[u32],
        opts: &DecodeOptions,
        k: usize,
    ) -> candle_core::Result<(Tensor, Vec<LayerState>, Vec<usize>)> {
        let (ids, lengths) = self.padded(sources)?;
        let (mut encoded, mut mask) = self.encode(&ids, &lengths)?;
        if k > 1 {
            let repeat: Vec<u32> = (0..sources.len() as u32)
                .flat_map(|i| std::iter::repeat_n(i, k))
                .collect();
            let repeat = Tensor::from_vec(repeat, sources.len() * k, &self.device)?;
            encoded = encoded.index_select(&repeat, 0)?;
            mask = mask.index_select(&repeat, 0)?;
        }
        let state = self.start_state(&encoded)?;
        let limits = lengths
            .iter()
            .map(|&l| self.limit(l, prefix.len(), opts))
            .collect();
        Ok((mask, state, limits))
    }

    fn greedy(
        &self,
        sources: &[Vec<u32>],
        prefix: &[u32],
        opts: &DecodeOptions,
    ) -> candle_core::Result<Vec<Vec<u32>>> {
        let (mask, mut state, limits) = self.prepare(sources, prefix, opts, 1)?;
        let longest = limits.iter().copied().max().unwrap_or(1);
        let eos = self.config.eos_token_id;
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); sources.len()];
        let mut done = vec![false; sources.len()];
        let mut tokens = self.start(sources.len(), prefix, &mut state, &mask)?;
        for step in prefix.len()..prefix.len() + longest {
            let input = Tensor::from_vec(tokens.clone(), (sources.len(), 1), &self.device)?;
            let logits = self.step(&input, step, &mut state, &mask)?;
            // The best token is the same with or without the softmax.
            let next: Vec<u32> = logits.argmax(D::Minus1)?.to_vec1()?;
            for (row, &t) in next.iter().enumerate() {
                if done[row] {
                    tokens[row] = self.config.pad_token_id;
                    continue;
                }
                if t == eos {
                    done[row] = true;
                } else {
                    out[row].push(t);
                    done[row] = out[row].len() >= limits[row];
                }
                tokens[row] = t;
            }
            if done.iter().all(|d| *d) {
                break;
            }
        }
        Ok(out)
    }

    /// Beam search ([`crate::generate`]): `beam` hypotheses per line, all lines of the
    /// batch stepped together; the best by log-probability over length wins.
    fn beam(
        &self,
        sources: &[Vec<u32>],
        prefix: &[u32],
        opts: &DecodeOptions,
    ) -> candle_core::Result<Vec<Vec<u32>>> {
        let k = opts.beam;
        let n = sources.len();
        let (mask, mut state, limits) = self.prepare(sources, prefix, opts, k)?;
        let longest = limits.iter().copied().max().unwrap_or(1);
        let mut search = BeamSearch::new(
            BeamPolicy {
                k,
                per_hypothesis: 2 * k,
                ended_at_most: None,
                settle: Settle::WhenKEndedAndNoneLiveBetter,
                end: self.config.eos_token_id,
                filler: self.config.pad_token_id,
                token_scores: false,
            },
            limits,
        );
        let mut tokens = self.start(n * k, prefix, &mut state, &mask)?;
        for step in prefix.len()..prefix.len() + longest {
            let input = Tensor::from_vec(tokens, (n * k, 1), &self.device)?;
            let logits = self.step(&input, step, &mut state, &mask)?;
            let mut scores: Vec<Vec<f32>> =
                candle_nn::ops::log_softmax(&logits, D::Minus1)?.to_vec2()?;
            let Some(advance) = search.step(&mut scores, |_, _| {}) else {
                break;
            };
            Self::select_rows(
                &mut state,
                &Tensor::from_vec(advance.rows, n * k, &self.device)?,
            )?;
            tokens = advance.tokens;
        }
        Ok(search.best().into_iter().map(|h| h.tokens).collect())
    }
}

/// Translates encoded sentences in batches of similar length (longest first, so padding
/// stays small), telling `progress` how many are done after each batch; output ids in
/// the input's order.
pub fn generate_batches(
    model: &Seq2Seq,
    encoded: &[Vec<u32>],
    prefix: &[u32],
    opts: &DecodeOptions,
    batch: usize,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<Vec<u32>>, InferenceError> {
    let mut order: Vec<usize> = (0..encoded.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(encoded[i].len()));
    let mut out = vec![Vec::new(); encoded.len()];
    let mut done = 0;
    for chunk in order.chunks(batch.max(1)) {
        let sources: Vec<Vec<u32>> = chunk.iter().map(|&i| encoded[i].clone()).collect();
        for (&i, ids) in chunk.iter().zip(model.generate(&sources, prefix, opts)?) {
            out[i] = ids;
        }
        done += chunk.len();
        progress(done);
    }
    Ok(out)
}
