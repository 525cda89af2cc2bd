//! Beam search shared by the encoder–decoder models (Whisper, Marian): per source, `k`
//! hypotheses stepped together in one batch of `sources × k` rows; the model supplies
//! each row's log-probabilities and follows the rows the search keeps. What differs
//! between models is a [`BeamPolicy`], not a second search.

/// A decoded sequence (without start or end tokens) and its summed log-probability.
#[derive(Debug, Clone, PartialEq)]
pub struct Hypothesis {
    pub tokens: Vec<u32>,
    pub score: f32,
    /// The score after each token: its own log-probability is the step from the last.
    pub scores: Vec<f32>,
}

impl Hypothesis {
    /// Log-probability over length: the measure the best hypothesis is chosen by.
    fn normalised(&self) -> f32 {
        self.score / self.tokens.len().max(1) as f32
    }
}

/// When a source stops growing hypotheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// As soon as `k` hypotheses have ended (Whisper's rule).
    WhenKEnded,
    /// Once `k` have ended and no live one beats the best ended one by log-probability
    /// over length.
    WhenKEndedAndNoneLiveBetter,
}

/// How a model's beam search differs from another's.
#[derive(Debug, Clone, Copy)]
pub struct BeamPolicy {
    /// Hypotheses per source.
    pub k: usize,
    /// Best tokens each hypothesis offers per step.
    pub per_hypothesis: usize,
    /// Ended hypotheses kept per source (the first that end, by score); `None`: all.
    pub ended_at_most: Option<usize>,
    pub settle: Settle,
    /// The end token.
    pub end: u32,
    /// The token fed to a row that holds no hypothesis (it is decoded and ignored).
    pub filler: u32,
    /// Whether hypotheses keep the score after each token (`Hypothesis::scores`; empty
    /// otherwise, costing nothing).
    pub token_scores: bool,
}

/// The rows a step keeps (each new row's parent, in the previous step's row order) and
/// the token each is fed next.
pub struct Advance {
    pub rows: Vec<u32>,
    pub tokens: Vec<u32>,
}

/// The search's state over a batch of sources.
pub struct BeamSearch {
    policy: BeamPolicy,
    /// Tokens at most per source.
    limits: Vec<usize>,
    live: Vec<Vec<Hypothesis>>,
    ended: Vec<Vec<Hypothesis>>,
}

impl BeamSearch {
    /// A search over one source per entry of `limits` (its most tokens). Only the first
    /// row of each source starts live, so the first step does not pick `k` copies of one
    /// token.
    pub fn new(policy: BeamPolicy, limits: Vec<usize>) -> Self {
        let n = limits.len();
        let start = Hypothesis {
            tokens: Vec::new(),
            score: 0.0,
            scores: Vec::new(),
        };
        Self {
            policy,
            limits,
            live: vec![vec![start]; n],
            ended: vec![Vec::new(); n],
        }
    }

    /// Rows in the batch: `k` a source.
    pub fn rows(&self) -> usize {
        self.live.len() * self.policy.k
    }

    /// One step. `log_probs` holds a row of log-probabilities over the vocabulary for
    /// every batch row; `prepare` adjusts a live row's log-probabilities given its tokens
    /// so far (a model's logit rules) before they are ranked. Returns the rows to keep and
    /// the tokens to feed them, or `None` once every source has settled.
    pub fn step(
        &mut self,
        log_probs: &mut [Vec<f32>],
        mut prepare: impl FnMut(&mut [f32], &[u32]),
    ) -> Option<Advance> {
        let BeamPolicy {
            k,
            per_hypothesis,
            ended_at_most,
            settle,
            end,
            filler,
            token_scores,
        } = self.policy;
        let mut advance = Advance {
            rows: Vec::with_capacity(self.rows()),
            tokens: Vec::with_capacity(self.rows()),
        };
        for source in 0..self.live.len() {
            let live = &self.live[source];
            let ended = &mut self.ended[source];
            let mut candidates: Vec<(f32, usize, u32)> = Vec::new();
            for (j, h) in live.iter().enumerate() {
                let row = &mut log_probs[source * k + j];
                prepare(row, &h.tokens);
                candidates.extend(
                    top(row, per_hypothesis)
                        .into_iter()
                        .map(|(lp, t)| (h.score + lp, j, t)),
                );
            }
            candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
            let room = |ended: &Vec<Hypothesis>| ended_at_most.is_none_or(|m| ended.len() < m);
            // (hypothesis, parent row, token)
            let mut next: Vec<(Hypothesis, u32, u32)> = Vec::with_capacity(k);
            for (score, j, t) in candidates {
                let (mut tokens, mut scores) = (live[j].tokens.clone(), live[j].scores.clone());
                let last = tokens.len() + 1 >= self.limits[source];
                if t == end || last {
                    if t != end {
                        tokens.push(t);
                        if token_scores {
                            scores.push(score);
                        }
                    }
                    if room(ended) {
                        ended.push(Hypothesis {
                            tokens,
                            score,
                            scores,
                        });
                    }
                } else if next.len() < k {
                    tokens.push(t);
                    if token_scores {
                        scores.push(score);
                    }
                    let h = Hypothesis {
                        tokens,
                        score,
                        scores,
                    };
                    next.push((h, (source * k + j) as u32, t));
                }
                if next.len() == k && (!last || !room(ended)) {
                    break;
                }
            }
            if ended.len() >= k {
                let settled = match settle {
                    Settle::WhenKEnded => true,
                    Settle::WhenKEndedAndNoneLiveBetter => {
                        let best = |hs: &mut dyn Iterator<Item = &Hypothesis>| {
                            hs.map(Hypothesis::normalised)
                                .fold(f32::NEG_INFINITY, f32::max)
                        };
                        best(&mut ended.iter()) >= best(&mut next.iter().map(|n| &n.0))
                    }
                };
                if settled {
                    next.clear();
                }
            }
            // Every source keeps k rows so the batch keeps its shape; an empty slot
            // follows the source's first row.
            for slot in 0..k {
                match next.get(slot) {
                    Some((_, row, t)) => {
                        advance.rows.push(*row);
                        advance.tokens.push(*t);
                    }
                    None => {
                        advance.rows.push((source * k) as u32);
                        advance.tokens.push(filler);
                    }
                }
            }
            self.live[source] = next.into_iter().map(|(h, _, _)| h).collect();
        }
        if self.live.iter().all(Vec::is_empty) {
            return None;
        }
        Some(advance)
    }

    /// Per source, the best hypothesis, ended or still live, by log-probability over
    /// length.
    pub fn best(self) -> Vec<Hypothesis> {
        self.ended
            .into_iter()
            .zip(self.live)
            .map(|(ended, live)| {
                ended
                    .into_iter()
                    .chain(live)
                    .max_by(|a, b| a.normalised().total_cmp(&b.normalised()))
                    .unwrap_or(Hypothesis {
                        tokens: Vec::new(),
                        score: 0.0,
                        scores: Vec::new(),
                    })
            })
            .collect()
    }
}

/// The `n` largest finite values with their indices, largest first (ties by index), in
/// one pass.
pub fn top(values: &[f32], n: usize) -> Vec<(f32, u32)> {
    let mut best: Vec<(f32, u32)> = Vec::with_capacity(n + 1);
    if n == 0 {
        return best;
    }
    for (i, &v) in values.iter().enumerate() {
        if !v.is_finite() || (best.len() == n && v <= best[n - 1].0) {
            continue;
        }
        let at = best.partition_point(|b| b.0 >= v);
        best.insert(at, (v, i as u32));
        best.truncate(n);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(k: usize) -> BeamPolicy {
        BeamPolicy {
            k,
            per_hypothesis: k + 1,
            ended_at_most: Some(k),
            settle: Settle::WhenKEnded,
            end: 0,
            filler: 0,
            token_scores: false,
        }
    }

    /// Log-probabilities over a 4-token vocabulary (0 is the end) from a table keyed by
    /// the tokens so far.
    fn model(prefix: &[u32]) -> Vec<f32> {
        let p: [f32; 4] = match prefix {
            [] => [0.05, 0.5, 0.4, 0.05],
            [1] => [0.1, 0.1, 0.1, 0.7],
            [2] => [0.9, 0.05, 0.03, 0.02],
            _ => [0.97, 0.01, 0.01, 0.01],
        };
        p.iter().map(|v| v.ln()).collect()
    }

    /// Runs a search where the "model" reads each row's tokens from the search's own
    /// bookkeeping (rows follow their parents as a real cache would).
    fn run(policy: BeamPolicy, limit: usize) -> Vec<Hypothesis> {
        let mut search = BeamSearch::new(policy, vec![limit]);
        let mut prefixes: Vec<Vec<u32>> = vec![Vec::new(); search.rows()];
        loop {
            let mut lp: Vec<Vec<f32>> = prefixes.iter().map(|p| model(p)).collect();
            let Some(step) = search.step(&mut lp, |_, _| {}) else {
                break;
            };
            prefixes = step
                .rows
                .iter()
                .zip(&step.tokens)
                .map(|(&r, &t)| {
                    let mut p = prefixes[r as usize].clone();
                    p.push(t);
                    p
                })
                .collect();
            if prefixes.iter().all(|p| p.len() > limit) {
                break;
            }
        }
        search.best()
    }

    #[test]
    fn beam_search_finds_the_sequence_greedy_decoding_misses() {
        // Greedy takes 1 (0.5) then 3 (0.7): 0.35 over two tokens; the beam finds 2 then
        // the end (0.4 × 0.9 = 0.36), better over one token.
        let best = run(policy(2), 10);
        assert_eq!(best[0].tokens, vec![2]);
        assert!((best[0].score - (0.4f32 * 0.9).ln()).abs() < 1e-6);
    }

    #[test]
    fn token_scores_are_kept_only_when_asked_for_and_sum_to_the_score() {
        assert!(run(policy(2), 10)[0].scores.is_empty());
        let best = run(
            BeamPolicy {
                token_scores: true,
                ..policy(2)
            },
            10,
        );
        // One token (2) before the end: its score after it is its own log-probability.
        assert_eq!(best[0].scores, vec![0.4f32.ln()]);
    }

    #[test]
    fn a_hypothesis_at_its_limit_ends_there() {
        let best = run(policy(2), 1);
        assert_eq!(best[0].tokens.len(), 1);
    }

    #[test]
    fn top_keeps_the_largest_finite_values_in_order() {
        let v = [0.1, f32::NEG_INFINITY, 0.7, 0.3, 0.7, -2.0];
        assert_eq!(top(&v, 3), vec![(0.7, 2), (0.7, 4), (0.3, 3)]);
        assert_eq!(top(&[f32::NEG_INFINITY; 4], 2), vec![]);
        assert_eq!(top(&v, 0), vec![]);
    }
}
