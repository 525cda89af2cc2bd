//! Whisper's log-mel spectrogram, computed here: 25 ms periodic-Hann frames every 10 ms
//! (centred, reflect-padded), power spectrum, a Slaney-style mel filterbank built in code,
//! log10 clamped to 8 below the peak and scaled to about [−1, 1].

use std::sync::Arc;

use rustfft::{Fft, FftPlanner, num_complex::Complex32};

use super::audio::{SAMPLE_RATE, WINDOW_SAMPLES};

pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
/// Frames in a 30 s window.
pub const FRAMES: usize = WINDOW_SAMPLES / HOP;

/// A log-mel front end for `n_mels` bins.
pub struct MelFrontEnd {
    n_mels: usize,
    /// (n_mels, N_FFT / 2 + 1), row-major.
    filters: Vec<f32>,
    window: Vec<f32>,
    fft: Arc<dyn Fft<f32>>,
}

fn hz_to_mel(hz: f64) -> f64 {
    let (f_sp, min_log_hz, min_log_mel) = (200.0 / 3.0, 1000.0, 15.0);
    let logstep = 6.4f64.ln() / 27.0;
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let (f_sp, min_log_hz, min_log_mel) = (200.0 / 3.0, 1000.0, 15.0);
    let logstep = 6.4f64.ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        mel * f_sp
    }
}

/// Triangular filters between mel-spaced points from 0 to 8 kHz, each scaled to unit
/// area (Slaney normalisation), as librosa builds Whisper's.
pub fn filterbank(n_mels: usize) -> Vec<f32> {
    let bins = N_FFT / 2 + 1;
    let fft_hz: Vec<f64> = (0..bins)
        .map(|k| k as f64 * SAMPLE_RATE as f64 / N_FFT as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE as f64 / 2.0));
    let points: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut out = vec![0f32; n_mels * bins];
    for m in 0..n_mels {
        let (left, centre, right) = (points[m], points[m + 1], points[m + 2]);
        let norm = 2.0 / (right - left);
        for (k, &f) in fft_hz.iter().enumerate() {
            let rising = (f - left) / (centre - left);
            let falling = (right - f) / (right - centre);
            out[m * bins + k] = (rising.min(falling).max(0.0) * norm) as f32;
        }
    }
    out
}

impl MelFrontEnd {
    pub fn new(n_mels: usize) -> Self {
        let window = (0..N_FFT)
            .map(|n| (0.5 - 0.5 * (std::f64::consts::TAU * n as f64 / N_FFT as f64).cos()) as f32)
            .collect();
        Self {
            n_mels,
            filters: filterbank(n_mels),
            window,
            fft: FftPlanner::new().plan_fft_forward(N_FFT),
        }
    }

    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// The log-mel features of up to 30 s of audio, zero-padded to 30 s:
    /// (n_mels, FRAMES), row-major.
    pub fn window(&self, samples: &[f32]) -> Vec<f32> {
        let mut padded = vec![0f32; WINDOW_SAMPLES];
        let n = samples.len().min(WINDOW_SAMPLES);
        padded[..n].copy_from_slice(&samples[..n]);
        // Centre the frames: reflect N_FFT/2 samples at each end.
        let half = N_FFT / 2;
        let mut x = Vec::with_capacity(padded.len() + N_FFT);
        x.extend((1..=half).rev().map(|i| padded[i]));
        x.extend_from_slice(&padded);
        x.extend((1..=half).map(|i| padded[padded.len() - 1 - i]));
        let bins = N_FFT / 2 + 1;
        let mut power = vec![0f32; FRAMES * bins];
        let mut buf = vec![Complex32::new(0.0, 0.0); N_FFT];
        let mut scratch = vec![Complex32::new(0.0, 0.0); self.fft.get_inplace_scratch_len()];
        for (f, row) in power.chunks_exact_mut(bins).enumerate() {
            let start = f * HOP;
            for (i, c) in buf.iter_mut().enumerate() {
                *c = Complex32::new(x[start + i] * self.window[i], 0.0);
            }
            self.fft.process_with_scratch(&mut buf, &mut scratch);
            for (p, c) in row.iter_mut().zip(&buf) {
                *p = c.norm_sqr();
            }
        }
        let mut mel = vec![0f32; self.n_mels * FRAMES];
        for m in 0..self.n_mels {
            let filter = &self.filters[m * bins..(m + 1) * bins];
            let (first, last) = match (
                filter.iter().position(|&w| w > 0.0),
                filter.iter().rposition(|&w| w > 0.0),
            ) {
                (Some(a), Some(b)) => (a, b),
                _ => continue,
            };
            for f in 0..FRAMES {
                let row = &power[f * bins..(f + 1) * bins];
                let mut acc = 0f32;
                for k in first..=last {
                    acc += filter[k] * row[k];
                }
                mel[m * FRAMES + f] = acc.max(1e-10).log10();
            }
        }
        let peak = mel.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for v in &mut mel {
            *v = (v.max(peak - 8.0) + 4.0) / 4.0;
        }
        mel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_cover_the_band_with_unit_area_triangles() {
        let f = filterbank(80);
        let bins = N_FFT / 2 + 1;
        assert_eq!(f.len(), 80 * bins);
        // Every filter has weight, and the low ones are narrow (a few bins).
        for m in 0..80 {
            assert!(
                f[m * bins..(m + 1) * bins].iter().any(|&w| w > 0.0),
                "filter {m} is empty"
            );
        }
        // Slaney normalisation: area (in Hz) ≈ 1 for a filter well inside the band.
        let hz_per_bin = SAMPLE_RATE as f32 / N_FFT as f32;
        let area: f32 = f[40 * bins..41 * bins].iter().sum::<f32>() * hz_per_bin;
        assert!((area - 1.0).abs() < 0.1, "{area}");
    }

    #[test]
    fn a_tone_lights_the_bin_of_its_pitch() {
        let fe = MelFrontEnd::new(80);
        let tone: Vec<f32> = (0..SAMPLE_RATE)
            .map(|i| (i as f32 * 1000.0 * std::f32::consts::TAU / SAMPLE_RATE as f32).sin() * 0.5)
            .collect();
        let mel = fe.window(&tone);
        assert_eq!(mel.len(), 80 * FRAMES);
        let frame = 50;
        let loudest = (0..80)
            .max_by(|&a, &b| mel[a * FRAMES + frame].total_cmp(&mel[b * FRAMES + frame]))
            .unwrap();
        // 1 kHz is mel 15 of 0–45.2 over 82 points: the filter centred nearest is ~26.
        assert!((25..=28).contains(&loudest), "{loudest}");
        // The padded silence sits at the floor: 8 (log10) below the peak, scaled.
        let peak = mel.iter().copied().fold(f32::MIN, f32::max);
        let silent = mel[10 * FRAMES + 2000];
        assert!((peak - silent - 2.0).abs() < 1e-4, "{peak} {silent}");
    }
}
