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
        let encode_ms = clock.elapsed().as_millis();
        let out = pass.decoder.run(&encoded, language, pass.dopts)?;
        tracing::debug!(
            windows = batch.len(),
            encode_ms,
            decode_ms = clock.elapsed().as_millis() - encode_ms,
            tokens = out.windows.iter().map(|w| w.tokens.len()).sum::<usize>(),
            "speech batch"
        );
        let mut decoded = Vec::with_capacity(batch.len());
        for (i, (w, d)) in batch.iter().zip(out.windows).enumerate() {
            decoded.push(if pass.opts.fallback {
                let code = d.language.as_ref().map(|l| l.0.clone());
                let seed = w.start as u64;
                self.fall_back(
                    &encoded,
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
    /// language: Whisper often writes a switch of language inside a window in the new
    /// language's words under the window's language token. Each run of such pieces
    /// becomes a [`Switched`] stretch, for Whisper to name its language from that
    /// stretch alone (an encoder pass each, so only where the text suggests a switch);
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
        let mut kept = Vec::with_capacity(pieces.len());
        let mut last: Option<usize> = None;
        for (k, p) in pieces.into_iter().enumerate() {
            let other = guesses[k]
                .as_ref()
                .is_some_and(|(l, alone)| *alone || (k > 0 && sure(k - 1, l)) || sure(k + 1, l));
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

/// A stretch of a window whose words look written in another language than the window's.
pub(super) struct Switched {
    pub window: Window,
    /// The window's language.
    pub from: String,
    /// Its segments as first decoded: kept where Whisper hears the window's language in
    /// the stretch alone too, or nothing.
    pub held: Vec<Segment>,
}

/// Pieces of fewer words are too short to guess their language from their text.
const SWITCH_WORDS: usize = 5;
/// The text model's confidence in another language that has a piece heard alone (a
/// short line of English scores 0.1–0.4, of Spanish 0.3–0.9; Whisper's own detection on
/// the stretch decides).
const SWITCH_GUESS: f64 = 0.1;

/// Temperatures tried, in order, for a window that decoded into repetition (compression
/// ratio above 2.4) or into words the model doubts (average log-probability below −1).
const FALLBACK_TEMPERATURES: [f32; 5] = [0.2, 0.4, 0.6, 0.8, 1.0];

impl Whisper {
    /// Whisper's temperature fallback for window `i` of a batch: decoded again alone,
    /// sampling at rising temperatures, until the result is neither repetitive nor
    /// doubtful; the last attempt stands if none passes. A window that is likely silence
    /// is not retried.
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
