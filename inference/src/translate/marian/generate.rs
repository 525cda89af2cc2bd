//! Decoding: greedy and beam search over the decoder steps, with a length guard against
//! runaway output.

use super::*;

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

impl MarianModel {
    /// Output-token limit for a source of `source_tokens`.
    pub fn limit(&self, source_tokens: usize, opts: &DecodeOptions) -> usize {
        let by_ratio = (source_tokens as f32 * opts.max_ratio).ceil() as usize + 10;
        by_ratio
            .min(opts.max_tokens)
            .min(self.config.max_position_embeddings.saturating_sub(1))
            .max(1)
    }

    /// Translates a batch of token-id sequences (each ending in the end token); returns
    /// the output ids of each, without the start and end tokens.
    pub fn generate(
        &self,
        sources: &[Vec<u32>],
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
        if opts.beam <= 1 {
            self.greedy(sources, opts).map_err(model_err)
        } else {
            self.beam(sources, opts).map_err(model_err)
        }
    }

    pub(super) fn padded(&self, sources: &[Vec<u32>]) -> candle_core::Result<(Tensor, Vec<usize>)> {
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

    pub(super) fn start_token(&self) -> u32 {
        self.config
            .decoder_start_token_id
            .unwrap_or(self.config.pad_token_id)
    }

    pub(super) fn greedy(
        &self,
        sources: &[Vec<u32>],
        opts: &DecodeOptions,
    ) -> candle_core::Result<Vec<Vec<u32>>> {
        let (ids, lengths) = self.padded(sources)?;
        let (encoded, mask) = self.encode(&ids, &lengths)?;
        let mut state = self.start_state(&encoded)?;
        let limits: Vec<usize> = lengths.iter().map(|&l| self.limit(l, opts)).collect();
        let longest = limits.iter().copied().max().unwrap_or(1);
        let eos = self.config.eos_token_id;
        let mut out: Vec<Vec<u32>> = vec![Vec::new(); sources.len()];
        let mut done = vec![false; sources.len()];
        let mut tokens = vec![self.start_token(); sources.len()];
        for step in 0..longest {
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

    /// Beam search, length-normalised (score / length), `beam` hypotheses per line,
    /// all lines of the batch stepped together.
    pub(super) fn beam(
        &self,
        sources: &[Vec<u32>],
        opts: &DecodeOptions,
    ) -> candle_core::Result<Vec<Vec<u32>>> {
        let k = opts.beam;
        let n = sources.len();
        let (ids, lengths) = self.padded(sources)?;
        let (encoded, mask) = self.encode(&ids, &lengths)?;
        // Every line's rows repeated k times: row = line * k + j.
        let repeat: Vec<u32> = (0..n as u32)
            .flat_map(|i| std::iter::repeat_n(i, k))
            .collect();
        let repeat = Tensor::from_vec(repeat, n * k, &self.device)?;
        let encoded = encoded.index_select(&repeat, 0)?;
        let mask = mask.index_select(&repeat, 0)?;
        let mut state = self.start_state(&encoded)?;
        let limits: Vec<usize> = lengths.iter().map(|&l| self.limit(l, opts)).collect();
        let longest = limits.iter().copied().max().unwrap_or(1);
        let eos = self.config.eos_token_id;
        // Live hypotheses: (tokens, summed log-probability); only the first of each
        // line's k starts live, so the first step does not pick k copies of one token.
        let mut live: Vec<Vec<(Vec<u32>, f32)>> = vec![vec![(Vec::new(), 0.0)]; n];
        let mut finished: Vec<Vec<(Vec<u32>, f32)>> = vec![Vec::new(); n];
        let mut tokens = vec![self.start_token(); n * k];
        for step in 0..longest {
            let input = Tensor::from_vec(tokens.clone(), (n * k, 1), &self.device)?;
            let logits = self.step(&input, step, &mut state, &mask)?;
            let scores: Vec<Vec<f32>> =
                candle_nn::ops::log_softmax(&logits, D::Minus1)?.to_vec2()?;
            let mut rows = Vec::with_capacity(n * k);
            let mut next_tokens = Vec::with_capacity(n * k);
            for line in 0..n {
                let mut candidates: Vec<(f32, usize, u32)> = Vec::new();
                for (j, (_, score)) in live[line].iter().enumerate() {
                    let row = &scores[line * k + j];
                    let mut best: Vec<(f32, u32)> = row
                        .iter()
                        .enumerate()
                        .map(|(t, &s)| (s, t as u32))
                        .filter(|(s, _)| s.is_finite())
                        .collect();
                    let keep = (2 * k).min(best.len());
                    if keep > 0 {
                        best.select_nth_unstable_by(keep - 1, |a, b| b.0.total_cmp(&a.0));
                    }
                    for &(s, t) in &best[..keep] {
                        candidates.push((score + s, j, t));
                    }
                }
                candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
                // (tokens, score, parent row, token)
                let mut next: Vec<(Vec<u32>, f32, u32, u32)> = Vec::with_capacity(k);
                for (score, j, t) in candidates {
                    let mut seq = live[line][j].0.clone();
                    if t == eos || seq.len() + 1 >= limits[line] {
                        if t != eos {
                            seq.push(t);
                        }
                        finished[line].push((seq, score));
                    } else {
                        seq.push(t);
                        next.push((seq, score, (line * k + j) as u32, t));
                    }
                    if next.len() == k {
                        break;
                    }
                }
                let normalised = |seq: &[u32], score: f32| score / seq.len().max(1) as f32;
                let best_done = finished[line]
                    .iter()
                    .map(|(s, sc)| normalised(s, *sc))
                    .fold(f32::NEG_INFINITY, f32::max);
                let best_live = next
                    .iter()
                    .map(|(s, sc, _, _)| normalised(s, *sc))
                    .fold(f32::NEG_INFINITY, f32::max);
                // A line is settled once k hypotheses ended and none alive beats them.
                if finished[line].len() >= k && best_done >= best_live {
                    next.clear();
                }
                // Keep k rows per line so the batch keeps its shape.
                while next.len() < k {
                    next.push((
                        Vec::new(),
                        f32::NEG_INFINITY,
                        (line * k) as u32,
                        self.config.pad_token_id,
                    ));
                }
                for (_, _, row, t) in &next {
                    rows.push(*row);
                    next_tokens.push(*t);
                }
                let next: Vec<(Vec<u32>, f32)> =
                    next.into_iter().map(|(s, sc, _, _)| (s, sc)).collect();
                live[line] = next;
            }
            if live
                .iter()
                .all(|l| l.iter().all(|(_, s)| *s == f32::NEG_INFINITY))
            {
                break;
            }
            let rows = Tensor::from_vec(rows, n * k, &self.device)?;
            Self::select_rows(&mut state, &rows)?;
            tokens = next_tokens;
        }
        Ok((0..n)
            .map(|line| {
                finished[line]
                    .iter()
                    .chain(live[line].iter().filter(|(_, s)| s.is_finite()))
                    .max_by(|a, b| {
                        (a.1 / a.0.len().max(1) as f32).total_cmp(&(b.1 / b.0.len().max(1) as f32))
                    })
                    .map(|(s, _)| s.clone())
                    .unwrap_or_default()
            })
            .collect())
    }
}
