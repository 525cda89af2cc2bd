//! Where the speech is: windows of at most 30 s around it (silence skipped, every window
//! keeping its place in the recording), and how much of a stretch is speech.

use super::audio::{SAMPLE_RATE, WINDOW_SAMPLES};

/// A stretch of the recording Whisper reads at once (at most 30 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First sample.
    pub start: usize,
    /// One past the last sample.
    pub end: usize,
}

/// Energy frames: 20 ms.
const FRAME: usize = SAMPLE_RATE / 50;
/// Frames a cut looks for quiet over (200 ms).
const QUIET: usize = 10;

/// The loudness of a recording, frame by frame, and the level above which a frame is
/// speech: −45 dBFS, or a tenth of the recording's loud level, whichever is higher.
pub struct Speech {
    frames: Vec<f32>,
    floor: f32,
    samples: usize,
}

impl Speech {
    pub fn of(samples: &[f32]) -> Self {
        let frames: Vec<f32> = samples
            .chunks(FRAME)
            .map(|c| (c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32).sqrt())
            .collect();
        let mut sorted = frames.clone();
        sorted.sort_by(f32::total_cmp);
        let loud = sorted
            .get((sorted.len() * 95 / 100).min(sorted.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0);
        Speech {
            frames,
            floor: (loud * 0.1).max(10f32.powf(-45.0 / 20.0)),
            samples: samples.len(),
        }
    }

    /// Seconds of speech between two samples.
    pub fn seconds_within(&self, start: usize, end: usize) -> f64 {
        let (a, b) = (start / FRAME, end.div_ceil(FRAME).min(self.frames.len()));
        let loud = self.frames[a.min(b)..b]
            .iter()
            .filter(|&&e| e >= self.floor)
            .count();
        (loud * FRAME) as f64 / SAMPLE_RATE as f64
    }

    /// Speech windows: speech frames padded by 0.3 s; pauses shorter than 2 s are kept;
    /// stretches longer than 30 s are cut in the middle of their quietest 200 ms in the
    /// last 3 s before the limit.
    pub fn windows(&self) -> Vec<Window> {
        let frames = &self.frames;
        let pad = 15; // frames (0.3 s)
        let gap = 100; // frames (2 s)
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for (i, &e) in frames.iter().enumerate() {
            if e < self.floor {
                continue;
            }
            let (s, t) = (i.saturating_sub(pad), (i + 1 + pad).min(frames.len()));
            match spans.last_mut() {
                Some(last) if s <= last.1 + gap => last.1 = last.1.max(t),
                _ => spans.push((s, t)),
            }
        }
        let max = WINDOW_SAMPLES / FRAME;
        let search = 3 * SAMPLE_RATE / FRAME;
        let quiet = |a: usize| frames[a..a + QUIET].iter().sum::<f32>();
        let mut windows = Vec::new();
        for (mut s, t) in spans {
            while t - s > max {
                // The middle of the quietest 200 ms: the quietest single frame can be a
                // consonant's closure inside a word rather than the pause after it.
                let cut = (s + max - search..s + max - QUIET)
                    .min_by(|&a, &b| quiet(a).total_cmp(&quiet(b)))
                    .map_or(s + max, |a| a + QUIET / 2);
                windows.push((s, cut.max(s + 1)));
                s = cut.max(s + 1);
            }
            windows.push((s, t));
        }
        windows
            .into_iter()
            .map(|(s, t)| Window {
                start: s * FRAME,
                end: (t * FRAME).min(self.samples),
            })
            .filter(|w| w.end > w.start)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_skipped_and_long_speech_is_cut_under_30_s() {
        let mut s = vec![0f32; 10 * SAMPLE_RATE];
        s.extend(
            (0..70 * SAMPLE_RATE).map(|i| {
                (i as f32 * 0.05).sin() * 0.3 * if (i / 8000) % 9 == 0 { 0.0 } else { 1.0 }
            }),
        );
        s.extend(vec![0f32; 20 * SAMPLE_RATE]);
        let w = Speech::of(&s).windows();
        assert!(w.len() >= 3, "{w:?}");
        assert!(w.iter().all(|w| w.end - w.start <= WINDOW_SAMPLES));
        let first = w.first().unwrap().start as f32 / SAMPLE_RATE as f32;
        let last = w.last().unwrap().end as f32 / SAMPLE_RATE as f32;
        // Speech starts at 10.5 s (the pattern opens with half a second of silence), padded by 0.3 s.
        assert!((10.1..10.3).contains(&first), "{first}");
        assert!((80.0..80.5).contains(&last), "{last}");
        assert!(
            Speech::of(&vec![0f32; 3600 * SAMPLE_RATE / 10])
                .windows()
                .is_empty()
        );
    }

    /// Regression: a window was cut at the quietest 20 ms frame of its last 3 s, which
    /// can be a consonant's closure inside a word ("know" was lost at such a cut).
    #[test]
    fn a_window_is_cut_in_a_pause_not_at_a_gap_inside_a_word() {
        let at = |s: f64| (s * SAMPLE_RATE as f64) as usize;
        let mut s: Vec<f32> = (0..at(40.0))
            .map(|i| (i as f32 * 0.05).sin() * 0.3)
            .collect();
        // A 20 ms silence inside a word at 29.0 s; a quieter 200 ms pause at 28.0 s.
        s[at(29.0)..at(29.02)].fill(0.0);
        for x in &mut s[at(28.0)..at(28.2)] {
            *x *= 0.15;
        }
        let w = Speech::of(&s).windows();
        let cut = w[0].end as f64 / SAMPLE_RATE as f64;
        assert!((28.0..=28.2).contains(&cut), "cut at {cut} s: {w:?}");
        assert_eq!(w[1].start, w[0].end);
    }

    #[test]
    fn speech_is_counted_by_the_recordings_own_level() {
        let mut s = vec![0f32; 2 * SAMPLE_RATE];
        s.extend((0..SAMPLE_RATE).map(|i| (i as f32 * 0.05).sin() * 0.3));
        s.extend(vec![0.001f32; SAMPLE_RATE]);
        let speech = Speech::of(&s);
        let near = |a: f64, b: f64| (a - b).abs() < 0.05;
        assert!(near(speech.seconds_within(0, s.len()), 1.0));
        assert!(near(speech.seconds_within(0, 2 * SAMPLE_RATE), 0.0));
        assert!(
            near(speech.seconds_within(3 * SAMPLE_RATE, s.len()), 0.0),
            "hum is not speech"
        );
        assert!(Speech::of(&[]).windows().is_empty());
    }
}
