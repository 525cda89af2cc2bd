//! A transcription's passes over its windows: each batch encoded and decoded (with the
//! temperature fallback), its pieces and segments, and what is decoded again once the
//! windows are done — speech Whisper left out, and stretches in another language.

use candle_core::Tensor;

use super::decode::{self, DecodeOptions, Decoder};
use super::mel::FRAMES;
use super::windows::{self, Window};
use super::{Audio, Segment, TranscribeOptions, Whisper, audio, round_ms};

/// What one transcription's windows are decoded with.
pub(super) struct Pass<'a> {
    pub audio: &'a Audio,
    pub decoder: &'a Decoder<'a>,
    pub dopts: &'a DecodeOptions,
    pub opts: &'a TranscribeOptions,
}

impl Whisper {
    /// Encodes and decodes `batch` in `language` (`None`: each window's own), with the
    /// temperature fallback where it is on.
    pub(super) fn decode(
        &self,
        pass: &Pass,
        batch: &[Window],
        language: Option<&str>,
    ) -> candle_core::Result<Vec<decode::Decoded>> {
        let encoded = self.encode(pass, batch)?;
        self.decode_encoded(pass, &encoded, batch, language)
    }

    /// The encoder's output for `batch` (n, 1500, d).
    fn encode(&self, pass: &Pass, batch: &[Window]) -> candle_core::Result<Tensor> {
        let mut features = Vec::with_capacity(batch.len() * self.mel.n_mels() * FRAMES);
        for w in batch {
            features.extend(self.mel.window(&pass.audio.samples[w.start..w.end]));
        }
        let mel = Tensor::from_vec(
            features,
            (batch.len(), self.mel.n_mels(), FRAMES),
            self.model.device(),
        )?;
        let clock = std::time::Instant::now();
        let encoded = self.model.encode(&mel)?;
        tracing::debug!(
            windows = batch.len(),
            encode_ms = clock.elapsed().as_millis(),
            "speech batch encoded"
        );
        Ok(encoded)
    }

    /// [`Whisper::decode`] of a batch already encoded.
    fn decode_encoded(
        &self,
        pass: &Pass,
        encoded: &Tensor,
        batch: &[Window],
        language: Option<&str>,
    ) -> candle_core::Result<Vec<decode::Decoded>> {
        let clock = std::time::Instant::now();
        let out = pass.decoder.run(encoded, language, pass.dopts)?;
        tracing::debug!(
            windows = batch.len(),
            decode_ms = clock.elapsed().as_millis(),
            tokens = out.windows.iter().map(|w| w.tokens.len()).sum::<usize>(),
            "speech batch decoded"
        );
        let mut decoded = Vec::with_capacity(batch.len());
        for (i, (w, d)) in batch.iter().zip(out.windows).enumerate() {
            decoded.push(if pass.opts.fallback {
                let code = d.language.as_ref().map(|l| l.0.clone());
                let seed = w.start as u64;
                self.fall_back(
                    encoded,
                    i,
                    d,
                    code.as_deref(),
                    pass.decoder,
                    pass.dopts,
                    seed,
                )?
            } else {
                d
            });
        }
        Ok(decoded)
    }

    /// A [`Switched`] stretch heard alone. Where Whisper is sure of its language from the
    /// stretch alone, that decides: the window's, and the first decoding stands; another,
    /// and the stretch is decoded in it (unless the model then doubts its own words: a
    /// decoding under the wrong language token can be more confident than the right one,
    /// when it copies words heard earlier in the window). Where Whisper is unsure, the
    /// stretch is decoded in each language it finds likely (up to [`CANDIDATES`] other
    /// than the window's) and the decoding the model is surest of stands, the first one
    /// included: synthetic German heard alone is named Welsh (0.29) before German (0.26),
    /// and its Welsh decoding is nonsense the model itself doubts.
    pub(super) fn hear_alone(&self, pass: &Pass, s: Switched) -> candle_core::Result<Vec<Segment>> {
        let encoded = self.encode(pass, &[s.window])?;
        let ranked = pass.decoder.languages(&encoded)?;
        let sure = ranked.first().filter(|(_, p)| *p >= SURE_OF_LANGUAGE);
        if sure.is_some_and(|(l, _)| *l == s.from) {
            return Ok(s.held);
        }
        let candidates: Vec<&(String, f32)> = match sure {
            Some(top) => vec![top],
            None => ranked
                .iter()
                .filter(|(l, p)| *l != s.from && *p >= CANDIDATE)
                .take(CANDIDATES)
                .collect(),
        };
        let mut best = (certainty(&s.held), s.held);
        for (code, p) in candidates {
            let mut again = Vec::new();
            for d in self.decode_encoded(pass, &encoded, &[s.window], Some(code))? {
                if let Some((pieces, _, _)) = self.heard(pass, &s.window, &d) {
                    add_segments(&mut again, &s.window, d.no_speech_prob, pieces, code);
                }
            }
            let now = certainty(&again);
            tracing::debug!(
                from = s.from,
                code,
                p,
                now,
                first = best.0,
                "a stretch heard alone"
            );
            let trusted = sure.is_some() && now >= f64::from(DOUBT);
            if !again.is_empty() && (trusted || now > best.0) {
                best = (now, again);
            }
        }
        Ok(best.1)
    }

    /// A decoded window's pieces that hold words, with its language and the model's
    /// certainty of it; `None` where the window is taken for silence.
    pub(super) fn heard(
        &self,
        pass: &Pass,
        w: &Window,
        d: &decode::Decoded,
    ) -> Option<(Vec<decode::Piece>, String, f32)> {
        let (code, sure) = d.language.clone().unwrap_or_else(|| ("en".to_owned(), 1.0));
        if d.no_speech_prob > pass.opts.no_speech_threshold
            && d.avg_logprob() < pass.opts.logprob_threshold
        {
            return None;
        }
        let seconds = (w.end - w.start) as f64 / audio::SAMPLE_RATE as f64;
        let tb = self.tokenizer.specials.timestamp_begin;
        let mut pieces = decode::pieces(&d.tokens, &d.logprobs, tb, seconds);
        for p in &mut pieces {
            p.text = self.tokenizer.decode(&p.tokens).trim().to_owned();
        }
        // Timestamps around no words: Whisper passing over speech it did not take down.
        pieces.retain(|p| !p.text.is_empty());
        Some((pieces, code, sure))
    }

    /// The pieces of window `w` (decoded in `code`) whose words look written in another
    /// language, or that the model doubts (see [`doubted`]): Whisper often writes a
    /// switch of language inside a window in the new language's words, or in made-up
    /// ones, under the window's language token. Each run of such pieces
    /// becomes a [`Switched`] stretch, for Whisper to name its language from that
    /// stretch alone (an encoder pass each, so only where the text or the model's doubt
    /// suggests a switch);
    /// the other pieces are returned.
    pub(super) fn switches(
        &self,
        w: &Window,
        d: &decode::Decoded,
        pieces: Vec<decode::Piece>,
        code: &str,
        switched: &mut Vec<Switched>,
    ) -> Vec<decode::Piece> {
        let rate = audio::SAMPLE_RATE as f64;
        // Each piece's other language, as the text model guesses it (`true`: sure enough
        // alone); a piece beside one sure enough joins it on any guess of that language.
        let guesses: Vec<Option<(String, bool)>> = pieces
            .iter()
            .map(|p| {
                if p.text.split_whitespace().count() < SWITCH_WORDS {
                    return None;
                }
                toex_extract::guess_language(&p.text)
                    .filter(|(l, _)| l != code && self.tokenizer.language(l).is_some())
                    .map(|(l, sure)| (l, sure >= SWITCH_GUESS))
            })
            .collect();
        let sure = |k: usize, l: &str| matches!(guesses.get(k), Some(Some((g, true))) if g == l);
        let doubted = doubted(&pieces);
        let mut kept = Vec::with_capacity(pieces.len());
        let mut last: Option<usize> = None;
        for (k, p) in pieces.into_iter().enumerate() {
            let other = doubted[k]
                || guesses[k].as_ref().is_some_and(|(l, alone)| {
                    *alone || (k > 0 && sure(k - 1, l)) || sure(k + 1, l)
                });
            if !other {
                kept.push(p);
                continue;
            }
            let follows = last == Some(k.wrapping_sub(1));
            let end = w.start + (p.end * rate) as usize;
            let stretch = Window {
                start: w.start + (p.start * rate) as usize,
                end,
            };
            let mut held = Vec::new();
            add_segments(&mut held, w, d.no_speech_prob, vec![p], code);
            match switched.last_mut() {
                Some(s) if follows => {
                    s.window.end = end;
                    s.held.extend(held);
                }
                _ => switched.push(Switched {
                    window: stretch,
                    from: code.to_owned(),
                    held,
                }),
            }
            last = Some(k);
        }
        kept
    }
}

/// Adds window `w`'s pieces (as [`Whisper::heard`] gives them: each with its words)
/// to `segments`, at their place in the recording.
pub(super) fn add_segments(
    segments: &mut Vec<Segment>,
    w: &Window,
    no_speech_prob: f32,
    pieces: Vec<decode::Piece>,
    code: &str,
) {
    let offset = w.start as f64 / audio::SAMPLE_RATE as f64;
    for p in pieces {
        segments.push(Segment {
            start: round_ms(offset + p.start),
            end: round_ms(offset + p.end),
            text: p.text,
            avg_logprob: p.logprob,
            no_speech_prob,
            language: code.to_owned(),
        });
    }
}

/// Which pieces lie in a run the model doubts: consecutive pieces each below
/// [`DOUBT_RUN`], one of them below [`DOUBT`], [`SWITCH_WORDS`] words or more in all.
/// Speech in another language decoded under the window's comes out as made-up words
/// ("The Far-a-Math-a-Telid-Avent …" for German under English) that no text model
/// names, but the model is unsure of every token.
fn doubted(pieces: &[decode::Piece]) -> Vec<bool> {
    let mut out = vec![false; pieces.len()];
    let mut k = 0;
    while k < pieces.len() {
        let run = pieces[k..]
            .iter()
            .take_while(|p| p.logprob < DOUBT_RUN)
            .count();
        let words: usize = pieces[k..k + run]
            .iter()
            .map(|p| p.text.split_whitespace().count())
            .sum();
        if words >= SWITCH_WORDS && pieces[k..k + run].iter().any(|p| p.logprob < DOUBT) {
            out[k..k + run].fill(true);
        }
        k += run.max(1);
    }
    out
}

/// The mean log-probability of `segments`' tokens, weighted by their length in time.
fn certainty(segments: &[Segment]) -> f64 {
    let (sum, seconds) = segments.iter().fold((0.0, 0.0), |(sum, secs), s| {
        let d = (s.end - s.start).max(0.01);
        (sum + s.avg_logprob as f64 * d, secs + d)
    });
    if seconds > 0.0 {
        sum / seconds
    } else {
        f64::NEG_INFINITY
    }
}

/// A stretch of a window whose words look written in another language than the window's,
/// or that the model doubts.
pub(super) struct Switched {
    pub window: Window,
    /// The window's language.
    pub from: String,
    /// Its segments as first decoded: kept where Whisper hears the window's language in
    /// the stretch alone too, or nothing.
    pub held: Vec<Segment>,
}

/// Whisper's probability of a language, for a stretch heard alone, at which that
/// language decides.
const SURE_OF_LANGUAGE: f32 = 0.9;
/// Other languages a stretch heard alone is decoded in: at most this many, each at
/// least this likely.
const CANDIDATES: usize = 3;
const CANDIDATE: f32 = 0.05;

/// Pieces of fewer words are too short to guess their language from their text.
const SWITCH_WORDS: usize = 5;
/// The text model's confidence in another language that has a piece heard alone (a
/// short line of English scores 0.1–0.4, of Spanish 0.3–0.9; Whisper's own detection on
/// the stretch decides).
const SWITCH_GUESS: f64 = 0.1;

/// A piece's mean token log-probability below which the model doubts it (Whisper's
/// own threshold for a window), and below which a piece beside such one joins its run.
const DOUBT: f32 = -1.0;
const DOUBT_RUN: f32 = -0.5;

/// Temperatures tried, in order, for a window that decoded into repetition (compression
/// ratio above 2.4) or into words the model doubts (average log-probability below −1).
const FALLBACK_TEMPERATURES: [f32; 5] = [0.2, 0.4, 0.6, 0.8, 1.0];

impl Whisper {
    /// Whisper's temperature fallback for window `i` of a batch: decoded again alone,
    /// sampling at rising temperatures, until the result is neither repetitive nor
    /// doubtful; the last attempt stands if none passes (as OpenAI's Whisper does;
    /// faster-whisper's choice of the likeliest attempt that does not repeat itself
    /// measured worse on `bench/transcribe.sh`'s 110 s clip: the greedy loop is the
    /// likeliest when every attempt repeats). A window that is likely silence is not
    /// retried.
    #[allow(clippy::too_many_arguments)]
    fn fall_back(
        &self,
        encoded: &Tensor,
        i: usize,
        first: decode::Decoded,
        language: Option<&str>,
        decoder: &Decoder,
        opts: &DecodeOptions,
        seed: u64,
    ) -> candle_core::Result<decode::Decoded> {
        let fails = |d: &decode::Decoded| {
            decode::compression_ratio(&self.tokenizer.decode(&d.tokens)) > 2.4
                || (d.avg_logprob() < -1.0 && d.no_speech_prob <= 0.6)
        };
        let mut current = first;
        if !fails(&current) {
            return Ok(current);
        }
        let one = encoded.narrow(0, i, 1)?;
        for (k, t) in FALLBACK_TEMPERATURES.into_iter().enumerate() {
            let retry = DecodeOptions {
                temperature: t,
                seed: seed.wrapping_mul(31).wrapping_add(k as u64),
                ..*opts
            };
            let mut out = decoder.run(&one, language, &retry)?;
            current = out.windows.remove(0);
            if !fails(&current) {
                break;
            }
        }
        Ok(current)
    }
}

/// The stretches of window `w` that Whisper left out: before its first segment, between
/// two, or after its last, longer than a second and holding at least half a second of
/// speech. Whisper drops a sentence that runs close to the end of its window (it ends
/// the window early and expects the next to start from its last timestamp, which
/// windows cut in advance around speech do not), and skips speech in another language
/// than the window's; decoded again on their own, both are kept.
pub(super) fn left_out(
    w: &Window,
    pieces: &[decode::Piece],
    speech: &windows::Speech,
) -> Vec<Window> {
    if pieces.is_empty() {
        return Vec::new();
    }
    let at = |s: f64| w.start + (s * audio::SAMPLE_RATE as f64) as usize;
    let starts = pieces.iter().map(|p| at(p.start)).chain([w.end]);
    let ends = [w.start]
        .into_iter()
        .chain(pieces.iter().map(|p| at(p.end)));
    ends.zip(starts)
        .filter(|&(from, to)| {
            from + audio::SAMPLE_RATE < to && speech.seconds_within(from, to) >= 0.5
        })
        .map(|(start, end)| Window { start, end })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piece(logprob: f32, text: &str) -> decode::Piece {
        decode::Piece {
            start: 0.0,
            end: 1.0,
            tokens: Vec::new(),
            logprob,
            text: text.to_owned(),
        }
    }

    #[test]
    fn a_run_is_doubted_only_with_one_doubted_piece_and_enough_words() {
        let words = "one two three four five";
        let pieces = [
            piece(-0.2, words),
            piece(-0.7, words),
            piece(-1.3, "a b"),
            piece(-0.6, words),
            piece(-0.1, words),
            piece(-0.9, words),
            piece(-1.4, "just two"),
            piece(-0.3, words),
            piece(-0.6, words),
        ];
        assert_eq!(
            doubted(&pieces),
            [false, true, true, true, false, true, true, false, false]
        );
        // Too few words to doubt: the model is unsure of short replies.
        assert_eq!(doubted(&[piece(-2.0, "Mm.")]), [false]);
        assert_eq!(doubted(&[]), Vec::<bool>::new());
    }

    #[test]
    fn certainty_weighs_segments_by_their_length() {
        let seg = |start: f64, end: f64, avg_logprob: f32| Segment {
            start,
            end,
            text: String::new(),
            avg_logprob,
            no_speech_prob: 0.0,
            language: "en".into(),
        };
        let c = certainty(&[seg(0.0, 3.0, -0.2), seg(3.0, 4.0, -1.0)]);
        assert!((c - -0.4).abs() < 1e-6, "{c}");
        assert_eq!(certainty(&[]), f64::NEG_INFINITY);
    }
}
