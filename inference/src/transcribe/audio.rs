//! Audio in: any container and codec symphonia reads (wav, mp3, flac, ogg/vorbis,
//! m4a/aac), and Opus in Ogg (symphonia demuxes it, the pure-Rust `opus-decoder` decodes
//! it straight to 16 kHz), decoded to 16 kHz mono f32 with a windowed-sinc resampler (cut into windows
//! around speech by `windows`).

use std::io::Cursor;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, CODEC_TYPE_OPUS, DecoderOptions};
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// Whisper's sample rate.
pub const SAMPLE_RATE: usize = 16_000;
/// Whisper's window: 30 s.
pub const WINDOW_SAMPLES: usize = 30 * SAMPLE_RATE;

/// Why audio cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AudioError {
    #[error("the file is empty")]
    Empty,
    #[error("not a recording toex can read ({0})")]
    Unrecognised(String),
    #[error(
        "its codec is not supported ({0}); wav, mp3, flac, ogg/vorbis, ogg/opus and m4a/aac are"
    )]
    Codec(String),
    #[error("the recording is longer than the limit of {limit_s} s")]
    TooLong { limit_s: u64 },
    #[error("cannot decode it: {0}")]
    Decode(String),
}

/// Decoded audio: 16 kHz mono samples.
#[derive(Debug, Clone)]
pub struct Audio {
    pub samples: Vec<f32>,
}

impl Audio {
    pub fn duration(&self) -> f64 {
        self.samples.len() as f64 / SAMPLE_RATE as f64
    }
}

/// Decodes a recording (`extension` is a hint; the content decides) to 16 kHz mono, refusing
/// more than `max_seconds`. A file cut short yields what came before the cut.
pub fn decode(
    bytes: Vec<u8>,
    extension: Option<&str>,
    max_seconds: u64,
) -> Result<Audio, AudioError> {
    if bytes.is_empty() {
        return Err(AudioError::Empty);
    }
    let mut bytes = bytes;
    let whole_pages = complete_ogg_pages(&bytes);
    let ogg = whole_pages.is_some();
    if let Some(end) = whole_pages
        && end < bytes.len()
    {
        // symphonia's Ogg reader refuses a stream whose last page is cut; keep the
        // pages that are whole.
        tracing::warn!(
            kept = end,
            of = bytes.len(),
            "the Ogg recording ends in a cut page"
        );
        bytes.truncate(end);
    }
    let stream = MediaSourceStream::new(Box::new(Cursor::new(bytes)), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = extension {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            stream,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| {
            if ogg {
                AudioError::Decode(format!("the Ogg stream ends before its audio ({e})"))
            } else {
                AudioError::Unrecognised(e.to_string())
            }
        })?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| AudioError::Unrecognised("no audio track".into()))?;
    let track_id = track.id;
    let rate = track.codec_params.sample_rate;
    let mut opus = if track.codec_params.codec == CODEC_TYPE_OPUS {
        Some(OpusStream::new(&track.codec_params)?)
    } else {
        None
    };
    let mut decoder = match opus {
        Some(_) => None,
        None => Some(
            symphonia::default::get_codecs()
                .make(&track.codec_params, &DecoderOptions::default())
                .map_err(|e| AudioError::Codec(e.to_string()))?,
        ),
    };
    let mut resampler: Option<Resampler> = None;
    let mut out = Vec::new();
    let mut buffer: Option<SampleBuffer<f32>> = None;
    let limit = max_seconds as usize * SAMPLE_RATE;
    let mut mono = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                break;
            }
            Err(SymphoniaError::ResetRequired) => break,
            // A damaged container after some audio: keep what decoded.
            Err(e) if !out.is_empty() || resampler.is_some() => {
                tracing::warn!(error = %e, "the recording ends in damaged data");
                break;
            }
            Err(e) => return Err(AudioError::Decode(e.to_string())),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let Some(decoder) = decoder.as_mut() else {
            if let Some(opus) = &mut opus {
                opus.decode(packet.buf(), &mut out);
                if out.len() > limit {
                    return Err(AudioError::TooLong {
                        limit_s: max_seconds,
                    });
                }
            }
            continue;
        };
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            // One bad packet is skipped, as players do.
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(SymphoniaError::IoError(_)) => break,
            Err(e) => return Err(AudioError::Decode(e.to_string())),
        };
        let spec = *decoded.spec();
        let channels = spec.channels.count().max(1);
        let frames = decoded.frames();
        if frames == 0 {
            continue;
        }
        let buf = match &mut buffer {
            Some(b) if b.capacity() >= decoded.capacity() * channels => b,
            slot => slot.insert(SampleBuffer::<f32>::new(decoded.capacity() as u64, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        mono.clear();
        mono.extend(
            buf.samples()
                .chunks_exact(channels)
                .map(|frame| frame.iter().sum::<f32>() / channels as f32),
        );
        let source_rate = rate.unwrap_or(spec.rate) as usize;
        let r = resampler.get_or_insert_with(|| Resampler::new(source_rate, SAMPLE_RATE));
        r.push(&mono, &mut out);
        if out.len() > limit {
            return Err(AudioError::TooLong {
                limit_s: max_seconds,
            });
        }
    }
    if let Some(r) = &mut resampler {
        r.finish(&mut out);
    }
    for s in &mut out {
        if !s.is_finite() {
            *s = 0.0;
        }
    }
    Ok(Audio { samples: out })
}

/// For an Ogg stream, the length of its run of whole pages from the start (`None` for
/// anything else).
fn complete_ogg_pages(bytes: &[u8]) -> Option<usize> {
    const HEADER: usize = 27;
    if !bytes.starts_with(b"OggS") {
        return None;
    }
    let mut end = 0;
    while let Some(header) = bytes.get(end..end + HEADER) {
        if &header[..4] != b"OggS" {
            break;
        }
        let segments = header[26] as usize;
        let Some(lacing) = bytes.get(end + HEADER..end + HEADER + segments) else {
            break;
        };
        let page = HEADER + segments + lacing.iter().map(|&l| l as usize).sum::<usize>();
        if end + page > bytes.len() {
            break;
        }
        end += page;
    }
    Some(end)
}

/// An Opus track decoded straight to 16 kHz mono (Opus decodes at any of its rates, so
/// no resampling), its pre-skip (encoder delay) dropped.
struct OpusStream {
    decoder: opus_decoder::OpusDecoder,
    /// Output samples still to drop at the start.
    skip: usize,
    pcm: Vec<f32>,
}

impl OpusStream {
    fn new(params: &symphonia::core::codecs::CodecParameters) -> Result<Self, AudioError> {
        let channels = params.channels.map_or(1, |c| c.count());
        if channels > 2 {
            return Err(AudioError::Codec(format!(
                "Opus with {channels} channels (multistream)"
            )));
        }
        // Mono out: the decoder mixes a stereo stream down itself.
        let decoder = opus_decoder::OpusDecoder::new(SAMPLE_RATE as u32, 1)
            .map_err(|e| AudioError::Codec(format!("Opus: {e}")))?;
        // Pre-skip counts 48 kHz samples.
        let skip = params.delay.unwrap_or(0) as usize * SAMPLE_RATE / 48_000;
        let pcm = vec![0.0; decoder.max_frame_size_per_channel()];
        Ok(Self { decoder, skip, pcm })
    }

    /// Appends one packet's audio to `out`; a damaged packet is skipped, as players do.
    fn decode(&mut self, packet: &[u8], out: &mut Vec<f32>) {
        // A decoder bug on hostile input costs the packet, not the recording.
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.decoder.decode_float(packet, &mut self.pcm, false)
        }));
        let n = match decoded {
            Ok(Ok(n)) => n.min(self.pcm.len()),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "an Opus packet skipped");
                return;
            }
            Err(_) => {
                tracing::warn!("an Opus packet the decoder could not handle was skipped");
                self.decoder.reset();
                return;
            }
        };
        let dropped = self.skip.min(n);
        self.skip -= dropped;
        out.extend_from_slice(&self.pcm[dropped..n]);
    }
}

/// A streaming windowed-sinc resampler (Hann-windowed, cut-off just under the lower
/// Nyquist). Output sample `j` sits at source position `j × from / to`; its fractional
/// part takes one of `to / gcd(from, to)` values, so the kernel is tabulated once per
/// phase and each output is one dot product.
struct Resampler {
    /// The rate ratio in lowest terms: `from / to`.
    from: usize,
    to: usize,
    half_width: usize,
    /// Per phase, the `2 × half_width` weights for source samples
    /// `floor(centre) − half_width + 1 ..= floor(centre) + half_width`.
    table: Vec<f32>,
    /// Source samples not yet consumed, the first at index `base`.
    pending: Vec<f32>,
    base: usize,
    /// The next output sample's index.
    next: usize,
    passthrough: bool,
}

/// Zero crossings of the sinc on each side.
const ZERO_CROSSINGS: f64 = 12.0;
/// Most phases tabulated (rates whose ratio needs more are approximated to this grid).
const MAX_PHASES: usize = 4096;

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl Resampler {
    fn new(from: usize, to: usize) -> Self {
        let g = gcd(from, to).max(1);
        let (mut from, mut to) = (from / g, to / g);
        if to > MAX_PHASES {
            // An odd pair of rates: a step on a grid of MAX_PHASES phases (the timing
            // error is under a part in a million).
            from = ((from as f64 * MAX_PHASES as f64 / to as f64).round() as usize).max(1);
            to = MAX_PHASES;
        }
        let cutoff = (to as f64 / from as f64).min(1.0) * 0.97;
        let half_width = (ZERO_CROSSINGS / cutoff).ceil() as usize;
        let taps = 2 * half_width;
        let mut table = vec![0f32; to * taps];
        for phase in 0..to {
            let frac = phase as f64 / to as f64;
            for t in 0..taps {
                // Distance from the centre of source sample floor(centre) − hw + 1 + t.
                let x = (t as f64 + 1.0 - half_width as f64) - frac;
                table[phase * taps + t] = kernel(x, cutoff, half_width as f64) as f32;
            }
        }
        Self {
            from,
            to,
            half_width,
            table,
            pending: Vec::new(),
            base: 0,
            next: 0,
            passthrough: from == to,
        }
    }

    fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.passthrough {
            out.extend_from_slice(input);
            return;
        }
        self.pending.extend_from_slice(input);
        self.drain(out, false);
    }

    fn finish(&mut self, out: &mut Vec<f32>) {
        if !self.passthrough {
            self.drain(out, true);
        }
    }

    fn drain(&mut self, out: &mut Vec<f32>, last: bool) {
        let available = self.base + self.pending.len();
        let hw = self.half_width;
        let taps = 2 * hw;
        loop {
            let pos = self.next * self.from;
            let (whole, phase) = (pos / self.to, pos % self.to);
            if whole >= available || (!last && whole + hw >= available) {
                break;
            }
            let weights = &self.table[phase * taps..(phase + 1) * taps];
            // Source samples outside the recording count as silence.
            let first = (whole + 1).saturating_sub(hw);
            let mut acc = 0f32;
            let lo = first.max(self.base);
            let hi = (whole + hw).min(available - 1);
            if lo <= hi {
                // Weight t belongs to source sample whole + 1 − hw + t.
                let w0 = lo + hw - (whole + 1);
                let xs = &self.pending[lo - self.base..=hi - self.base];
                for (x, w) in xs.iter().zip(&weights[w0..]) {
                    acc += x * w;
                }
            }
            out.push(acc);
            self.next += 1;
        }
        // Source samples no later output needs are dropped.
        let keep_from = ((self.next * self.from) / self.to + 1).saturating_sub(hw);
        if keep_from > self.base {
            let drop = (keep_from - self.base).min(self.pending.len());
            self.pending.drain(..drop);
            self.base += drop;
        }
    }
}

/// The Hann-windowed sinc at distance `x` (source samples) for `cutoff` (a fraction of
/// the source Nyquist), zero beyond `half_width`.
fn kernel(x: f64, cutoff: f64, half_width: f64) -> f64 {
    if x.abs() >= half_width {
        return 0.0;
    }
    let arg = std::f64::consts::PI * cutoff * x;
    let sinc = if arg.abs() < 1e-9 {
        1.0
    } else {
        arg.sin() / arg
    };
    let window = 0.5 + 0.5 * (std::f64::consts::PI * x / half_width).cos();
    cutoff * sinc * window
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
        let data = samples.len() as u32 * 2;
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + data).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * channels as u32 * 2).to_le_bytes());
        b.extend_from_slice(&(channels * 2).to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&data.to_le_bytes());
        for s in samples {
            b.extend_from_slice(&s.to_le_bytes());
        }
        b
    }

    fn tone(rate: u32, hz: f32, seconds: f32) -> Vec<i16> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| {
                ((i as f32 * hz * std::f32::consts::TAU / rate as f32).sin() * 12_000.0) as i16
            })
            .collect()
    }

    #[test]
    fn resamples_to_16k_mono_keeping_duration_and_pitch() {
        let left = tone(44_100, 440.0, 1.0);
        let stereo: Vec<i16> = left.iter().flat_map(|&s| [s, s]).collect();
        let a = decode(wav(44_100, 2, &stereo), Some("wav"), 60).unwrap();
        assert!(
            (a.samples.len() as i64 - 16_000).abs() <= 2,
            "{}",
            a.samples.len()
        );
        // Zero crossings in the middle: 440 Hz means 880 a second.
        let mid = &a.samples[2000..14_000];
        let crossings = mid
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
        assert!((crossings as i64 - 660).abs() <= 4, "{crossings}");
        let peak = mid.iter().fold(0f32, |m, s| m.max(s.abs()));
        assert!((peak - 12_000.0 / 32_768.0).abs() < 0.02, "{peak}");
    }

    #[test]
    fn bad_files_get_clear_errors() {
        assert_eq!(
            decode(Vec::new(), Some("wav"), 60).unwrap_err(),
            AudioError::Empty
        );
        let not_audio = decode(b"hello, this is text".to_vec(), Some("wav"), 60).unwrap_err();
        assert!(
            matches!(not_audio, AudioError::Unrecognised(_)),
            "{not_audio:?}"
        );
        let full = wav(16_000, 1, &tone(16_000, 300.0, 2.0));
        let cut = decode(full[..full.len() / 2].to_vec(), Some("wav"), 60).unwrap();
        assert!(
            cut.duration() > 0.9 && cut.duration() < 1.1,
            "{}",
            cut.duration()
        );
        let long = decode(full, Some("wav"), 1).unwrap_err();
        assert_eq!(long, AudioError::TooLong { limit_s: 1 });
    }
}
