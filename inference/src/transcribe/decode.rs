//! Whisper decoding over a batch of windows: the start sequence (language found from the
//! first position when not given), no-speech probability, Whisper's logit rules
//! (suppressed symbols, timestamps in pairs that never go back, a first timestamp within
//! 1 s, timestamps forced when they are likelier than any word), greedy decoding and beam
//! search (the shared [`crate::generate`]), and the split of each window's tokens into time-coded segments.

use candle_core::{Device, Tensor};

use super::model::WhisperModel;
use super::tokenizer::{Specials, WhisperTokenizer};
use crate::generate::{BeamPolicy, BeamSearch, Settle};

/// Transcribe in the spoken language, or translate into English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Task {
    #[default]
    Transcribe,
    Translate,
}

/// Seconds per timestamp token.
pub const TIME_PRECISION: f64 = 0.02;

/// What one window decoded to.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Sampled tokens (timestamps included, the end token not).
    pub tokens: Vec<u32>,
    /// Each token's log-probability.
    pub logprobs: Vec<f32>,
    pub sum_logprob: f32,
    pub no_speech_prob: f32,
    /// The language the window was decoded in and its probability (1 when given);
    /// `None` for English-only models.
    pub language: Option<(String, f32)>,
}

impl Decoded {
    /// Whisper's average: the summed log-probability over the tokens and the end.
    pub fn avg_logprob(&self) -> f32 {
        self.sum_logprob / (self.tokens.len() + 1) as f32
    }
}

/// A window's tokens with each one's log-probability, and their sum (the end's
/// included).
type Sampled = ((Vec<u32>, Vec<f32>), f32);

/// Logit rules for one vocabulary.
pub struct Rules {
    suppress: Vec<u32>,
    suppress_begin: Vec<u32>,
    specials: Specials,
    vocab: usize,
    /// Latest first timestamp, in tokens (1 s).
    max_initial: u32,
}

fn log_softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return;
    }
    let sum: f32 = x.iter().map(|v| (v - max).exp()).sum();
    let lse = max + sum.ln();
    for v in x {
        *v -= lse;
    }
}

fn logsumexp(x: &[f32]) -> f32 {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return max;
    }
    max + x.iter().map(|v| (v - max).exp()).sum::<f32>().ln()
}

impl Rules {
    pub fn new(model: &WhisperModel, tokenizer: &WhisperTokenizer) -> Self {
        let s = tokenizer.specials.clone();
        let vocab = model.config.vocab_size;
        let mut suppress: Vec<u32> = model
            .config
            .suppress
            .iter()
            .copied()
            .filter(|&t| (t as usize) < vocab)
            .collect();
        // Every special token but the end: start, language, task, no-speech, no-timestamps.
        suppress.extend(s.eot + 1..s.timestamp_begin);
        let mut suppress_begin = model.config.suppress_begin.clone();
        if suppress_begin.is_empty() {
            suppress_begin.extend(tokenizer.space());
            suppress_begin.push(s.eot);
        }
        Self {
            suppress,
            suppress_begin,
            specials: s,
            vocab,
            max_initial: (1.0 / TIME_PRECISION).round() as u32,
        }
    }

    /// Turns one row's logits into log-probabilities under the rules, given the tokens
    /// sampled so far in this window.
    pub fn apply(&self, logits: &mut [f32], sampled: &[u32]) {
        let ninf = f32::NEG_INFINITY;
        let tb = self.specials.timestamp_begin as usize;
        let eot = self.specials.eot as usize;
        let vocab = self.vocab.min(logits.len());
        let logits = &mut logits[..vocab];
        for &t in &self.suppress {
            logits[t as usize] = ninf;
        }
        if sampled.is_empty() {
            for &t in &self.suppress_begin {
                if let Some(l) = logits.get_mut(t as usize) {
                    *l = ninf;
                }
            }
        }
        let is_ts = |t: u32| t as usize >= tb;
        let n = sampled.len();
        let last_ts = n >= 1 && is_ts(sampled[n - 1]);
        let penultimate_ts = n < 2 || is_ts(sampled[n - 2]);
        if last_ts {
            if penultimate_ts {
                logits[tb..].fill(ninf); // a pair just closed: text (or the end) next
            } else {
                logits[..eot].fill(ninf); // a segment just ended: its pair's twin, or the end
            }
        }
        if let Some(&last) = sampled.iter().rev().find(|&&t| is_ts(t)) {
            // Timestamps never go back; a new segment starts after the last one ended.
            let upto = if last_ts && !penultimate_ts {
                last
            } else {
                last + 1
            } as usize;
            logits[tb..upto.min(vocab)].fill(ninf);
        }
        if n == 0 {
            logits[..tb].fill(ninf); // a window starts with a timestamp, within 1 s
            let latest = tb + self.max_initial as usize;
            if latest + 1 < vocab {
                logits[latest + 1..].fill(ninf);
            }
        }
        // Timestamps are forced when together they are likelier than any one word (the
        // normalising constant cancels out of the comparison).
        if logsumexp(&logits[tb..]) > logits[..tb].iter().copied().fold(ninf, f32::max) {
            logits[..tb].fill(ninf);
        }
        log_softmax(logits);
    }
}

/// How to decode a batch.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    pub task: Task,
    /// 1: greedy; more: beam search with this many hypotheses per window.
    pub beam: usize,
    /// Tokens sampled per window at most.
    pub max_tokens: usize,
    /// 0: the likeliest token (or beam search); above 0: sampled at this temperature
    /// (the fallback for windows that decoded into repetition), seeded per window.
    pub temperature: f32,
    pub seed: u64,
}

/// A window's language is its own when the model is at least this sure of it; else the
/// one likeliest over its batch (a short or unclear window keeps its neighbours').
const OWN_LANGUAGE: f32 = 0.5;

/// What a batch of windows decoded to, in order.
pub struct BatchOutput {
    pub windows: Vec<Decoded>,
}

pub struct Decoder<'a> {
    pub model: &'a WhisperModel,
    pub tokenizer: &'a WhisperTokenizer,
    pub rules: &'a Rules,
}

impl Decoder<'_> {
    fn device(&self) -> &Device {
        self.model.device()
    }

    /// Decodes encoded windows (n, 1500, d). `language`: a code for every window, or
    /// `None` to detect each window's (multilingual models; English-only ones have no
    /// language token): its own where the model is sure of it, else its batch's.
    pub fn run(
        &self,
        encoded: &Tensor,
        language: Option<&str>,
        opts: &DecodeOptions,
    ) -> candle_core::Result<BatchOutput> {
        let s = &self.tokenizer.specials;
        let (mut state, first) = self.first_step(encoded)?;
        let n = first.len();
        let no_speech: Vec<f32> = first
            .iter()
            .map(|row| match s.no_speech {
                Some(id) => {
                    let mut lp = row.clone();
                    log_softmax(&mut lp);
                    lp[id as usize].exp()
                }
                None => 0.0,
            })
            .collect();
        let multilingual = self.model.config.multilingual();
        let mut languages = vec![None; n];
        let (logits, offset) = if multilingual {
            languages = match language {
                Some(c) => vec![Some((c.to_owned(), 1.0)); n],
                None => self.detect(&first).into_iter().map(Some).collect(),
            };
            let task = match opts.task {
                Task::Transcribe => s.transcribe,
                Task::Translate => s.translate,
            };
            let mut prompt = Vec::with_capacity(2 * n);
            for (code, _) in languages.iter().flatten() {
                let lang = self.tokenizer.language(code).ok_or_else(|| {
                    candle_core::Error::Msg(format!("the model has no language {code:?}"))
                })?;
                prompt.extend([lang, task]);
            }
            let prompt = Tensor::from_vec(prompt, (n, 2), self.device())?;
            (
                self.model.step(&prompt, 1, &mut state)?.to_vec2::<f32>()?,
                3,
            )
        } else {
            (first, 1)
        };
        let max_tokens = opts.max_tokens.min(self.model.config.text_ctx - offset);
        let windows = if opts.beam <= 1 || opts.temperature > 0.0 {
            self.greedy(logits, state, offset, max_tokens, opts)?
        } else {
            self.beam(logits, state, offset, max_tokens, opts.beam)?
        };
        Ok(BatchOutput {
            windows: windows
                .into_iter()
                .zip(no_speech)
                .zip(languages)
                .map(
                    |((((tokens, logprobs), sum_logprob), no_speech_prob), language)| Decoded {
                        tokens,
                        logprobs,
                        sum_logprob,
                        no_speech_prob,
                        language,
                    },
                )
                .collect(),
        })
    }

    /// The probability of each of the tokenizer's languages, in its order, from the
    /// logits after the start token.
    fn over_languages(&self, row: &[f32]) -> Vec<f32> {
        let langs = &self.tokenizer.specials.languages;
        let mut l: Vec<f32> = langs.iter().map(|(_, id)| row[*id as usize]).collect();
        log_softmax(&mut l);
        l.iter().map(|v| v.exp()).collect()
    }

    /// The decoder started on encoded windows (n, 1500, d) and fed the start token: its
    /// state and each window's logits for the next token (the language, or no-speech).
    fn first_step(
        &self,
        encoded: &Tensor,
    ) -> candle_core::Result<(Vec<super::model::LayerState>, Vec<Vec<f32>>)> {
        let n = encoded.dim(0)?;
        let mut state = self.model.start(encoded)?;
        let sot = Tensor::from_vec(vec![self.tokenizer.specials.sot; n], (n, 1), self.device())?;
        let first = self.model.step(&sot, 0, &mut state)?.to_vec2()?;
        Ok((state, first))
    }

    /// One encoded window's (1, 1500, d) languages, likeliest first, with their
    /// probabilities.
    pub fn languages(&self, encoded: &Tensor) -> candle_core::Result<Vec<(String, f32)>> {
        let (_, first) = self.first_step(encoded)?;
        let langs = &self.tokenizer.specials.languages;
        let mut ranked: Vec<(String, f32)> = langs
            .iter()
            .map(|(code, _)| code.clone())
            .zip(self.over_languages(&first[0]))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(ranked)
    }

    /// Each window's language with its probability (over the language tokens): the
    /// window's likeliest where that is at least [`OWN_LANGUAGE`], else the likeliest
    /// averaged over the batch, with the window's own probability of it.
    fn detect(&self, first: &[Vec<f32>]) -> Vec<(String, f32)> {
        let langs = &self.tokenizer.specials.languages;
        let probs: Vec<Vec<f32>> = first.iter().map(|row| self.over_languages(row)).collect();
        let likeliest = |p: &[f32]| {
            (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(0)
        };
        let mut mean = vec![0f32; langs.len()];
        for p in &probs {
            for (m, v) in mean.iter_mut().zip(p) {
                *m += v / probs.len() as f32;
            }
        }
        let batch = likeliest(&mean);
        let code = |i: usize| {
            langs
                .get(i)
                .map_or_else(|| "en".to_owned(), |l| l.0.clone())
        };
        probs
            .iter()
            .map(|p| {
                let own = likeliest(p);
                let pick = if p.get(own).is_some_and(|&v| v >= OWN_LANGUAGE) {
                    own
                } else {
                    batch
                };
                (code(pick), p.get(pick).copied().unwrap_or(0.0))
            })
            .collect()
    }

    fn greedy(
        &self,
        mut logits: Vec<Vec<f32>>,
        mut state: Vec<super::model::LayerState>,
        offset: usize,
        max_tokens: usize,
        opts: &DecodeOptions,
    ) -> candle_core::Result<Vec<Sampled>> {
        use rand::{Rng, SeedableRng};
        let n = logits.len();
        let eot = self.tokenizer.specials.eot;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(opts.seed);
        let mut out: Vec<Sampled> = vec![((Vec::new(), Vec::new()), 0.0); n];
        // The windows still decoding, in order: row j of `logits` and of the state is
        // window live[j]. A window that ended leaves the batch, its state freed.
        let mut live: Vec<usize> = (0..n).collect();
        for step in 0..max_tokens {
            let mut next = Vec::with_capacity(live.len());
            // Positions in `live` of the windows that go on.
            let mut going_on = Vec::with_capacity(live.len());
            for (j, (l, &row)) in logits.iter_mut().zip(&live).enumerate() {
                self.rules.apply(l, &out[row].0.0);
                let (t, lp) = if opts.temperature > 0.0 {
                    sample(l, opts.temperature, rng.random::<f32>()).unwrap_or((eot, 0.0))
                } else {
                    l.iter()
                        .enumerate()
                        .max_by(|a, b| a.1.total_cmp(b.1))
                        .map(|(t, &lp)| (t as u32, lp))
                        .unwrap_or((eot, 0.0))
                };
                out[row].1 += lp;
                if t != eot {
                    out[row].0.0.push(t);
                    out[row].0.1.push(lp);
                    next.push(t);
                    going_on.push(j as u32);
                }
            }
            if going_on.is_empty() || step + 1 == max_tokens {
                break;
            }
            if going_on.len() < live.len() {
                let rows = Tensor::new(going_on.as_slice(), self.device())?;
                WhisperModel::keep_windows(&mut state, &rows)?;
                live = going_on.iter().map(|&j| live[j as usize]).collect();
            }
            let input = Tensor::from_vec(next, (live.len(), 1), self.device())?;
            logits = self
                .model
                .step(&input, offset + step, &mut state)?
                .to_vec2()?;
        }
        Ok(out)
    }

    /// Beam search ([`crate::generate`]): `k` hypotheses per window, all windows stepped
    /// together under Whisper's logit rules; a window is settled once `k` hypotheses
    /// ended; the best by log-probability over length wins.
    fn beam(
        &self,
        logits: Vec<Vec<f32>>,
        mut state: Vec<super::model::LayerState>,
        offset: usize,
        max_tokens: usize,
        k: usize,
    ) -> candle_core::Result<Vec<Sampled>> {
        let n = logits.len();
        let eot = self.tokenizer.specials.eot;
        let repeat: Vec<u32> = (0..n as u32)
            .flat_map(|i| std::iter::repeat_n(i, k))
            .collect();
        WhisperModel::select_rows(&mut state, &Tensor::from_vec(repeat, n * k, self.device())?)?;
        let mut logits: Vec<Vec<f32>> = (0..n * k).map(|r| logits[r / k].clone()).collect();
        let mut search = BeamSearch::new(
            BeamPolicy {
                k,
                per_hypothesis: k + 1,
                ended_at_most: Some(k),
                settle: Settle::WhenKEnded,
                end: eot,
                filler: eot,
                token_scores: true,
            },
            vec![max_tokens; n],
        );
        for step in 0..max_tokens {
            let Some(advance) = search.step(&mut logits, |l, seq| self.rules.apply(l, seq)) else {
                break;
            };
            // Rows follow their hypotheses; a window's empty slots keep its first row and
            // decode padding.
            WhisperModel::select_rows(
                &mut state,
                &Tensor::from_vec(advance.rows, n * k, self.device())?,
            )?;
            let input = Tensor::from_vec(advance.tokens, (n * k, 1), self.device())?;
            logits = self
                .model
                .step(&input, offset + step, &mut state)?
                .to_vec2()?;
        }
        Ok(search
            .best()
            .into_iter()
            .map(|h| {
                let steps = h.scores.iter().scan(0.0, |before, &after| {
                    let lp = after - *before;
                    *before = after;
                    Some(lp)
                });
                ((h.tokens, steps.collect()), h.score)
            })
            .collect())
    }
}

/// A token drawn from log-probabilities `lp` sharpened or flattened by `temperature`,
/// with `u` uniform in [0, 1); returns it with its (untempered) log-probability.
fn sample(lp: &[f32], temperature: f32, u: f32) -> Option<(u32, f32)> {
    let max = lp.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return None;
    }
    let weights: Vec<f32> = lp
        .iter()
        .map(|&v| ((v - max) / temperature).exp())
        .collect();
    let total: f32 = weights.iter().sum();
    let mut target = u * total;
    for (t, w) in weights.iter().enumerate() {
        if *w > 0.0 && target < *w {
            return Some((t as u32, lp[t]));
        }
        target -= w;
    }
    let last = weights.iter().rposition(|w| *w > 0.0)?;
    Some((last as u32, lp[last]))
}

/// gzip-style compression ratio of a text (bytes over deflated bytes): above 2.4 it is
/// repeating itself, a sign Whisper has lost the thread.
pub fn compression_ratio(text: &str) -> f32 {
    use std::io::Write;
    if text.is_empty() {
        return 0.0;
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(text.as_bytes());
    let packed = z.finish().map(|v| v.len()).unwrap_or(text.len());
    text.len() as f32 / packed.max(1) as f32
}

/// One time-coded piece of a window (times relative to the window's start).
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub start: f64,
    pub end: f64,
    pub tokens: Vec<u32>,
    /// The average log-probability of its words' tokens (0 where none was given).
    pub logprob: f32,
    /// Its words, trimmed, once a tokenizer has read them (empty before).
    pub text: String,
}

/// Splits a window's tokens at its timestamps: text between a start and an end
/// timestamp is one piece; text after the last timestamp runs to the window's end.
/// `logprobs`: each token's log-probability, or empty.
pub fn pieces(
    tokens: &[u32],
    logprobs: &[f32],
    timestamp_begin: u32,
    window_seconds: f64,
) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut start: Option<f64> = None;
    let mut last = 0.0;
    let mut text: Vec<u32> = Vec::new();
    let mut sum = 0.0;
    let piece = |start: f64, end: f64, tokens: Vec<u32>, sum: f32| Piece {
        start,
        end: end.max(start),
        logprob: sum / tokens.len().max(1) as f32,
        tokens,
        text: String::new(),
    };
    for (i, &t) in tokens.iter().enumerate() {
        if t >= timestamp_begin {
            let time = ((t - timestamp_begin) as f64 * TIME_PRECISION).min(window_seconds);
            if text.is_empty() {
                start = Some(time);
            } else {
                out.push(piece(
                    start.unwrap_or(last),
                    time,
                    std::mem::take(&mut text),
                    sum,
                ));
                (start, sum) = (None, 0.0);
            }
            last = time;
        } else {
            text.push(t);
            sum += logprobs.get(i).copied().unwrap_or(0.0);
        }
    }
    if !text.is_empty() {
        out.push(piece(start.unwrap_or(last), window_seconds, text, sum));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_at_timestamp_pairs() {
        let tb = 100;
        let ts = |s: f64| tb + (s / TIME_PRECISION).round() as u32;
        let tokens = [ts(0.0), 1, 2, ts(1.2), ts(1.2), 3, ts(2.5), 4, 5];
        let p = pieces(&tokens, &[], tb, 10.0);
        assert_eq!(p.len(), 3);
        assert_eq!(
            (p[0].start, p[0].end, p[0].tokens.clone()),
            (0.0, 1.2, vec![1, 2])
        );
        assert_eq!(
            (p[1].start, p[1].end, p[1].tokens.clone()),
            (1.2, 2.5, vec![3])
        );
        assert_eq!(
            (p[2].start, p[2].end, p[2].tokens.clone()),
            (2.5, 10.0, vec![4, 5])
        );
        assert!(pieces(&[ts(0.0)], &[], tb, 3.0).is_empty());
    }

    #[test]
    fn repetition_compresses_and_sampling_follows_the_distribution() {
        assert!(compression_ratio(&"고기, ".repeat(60)) > 2.4);
        assert!(compression_ratio("The white van was seen outside the flat on Tuesday.") < 2.0);
        let lp = [0.5f32.ln(), 0.25f32.ln(), 0.25f32.ln(), f32::NEG_INFINITY];
        assert_eq!(sample(&lp, 1.0, 0.1).unwrap().0, 0);
        assert_eq!(sample(&lp, 1.0, 0.6).unwrap().0, 1);
        assert_eq!(sample(&lp, 1.0, 0.99).unwrap().0, 2);
        // A low temperature all but picks the likeliest.
        assert_eq!(sample(&lp, 0.05, 0.99).unwrap().0, 0);
        assert!(sample(&[f32::NEG_INFINITY; 3], 1.0, 0.5).is_none());
    }
}
