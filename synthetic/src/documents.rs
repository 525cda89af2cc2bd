//! The demo's documents: chats in English and Iraqi Arabic that mention the planted
//! network, and an interview transcript with its recording (tones, no voice).

use std::fmt::Write as _;
use std::path::Path;

/// Fictional material for the demo's search index, written into `dir`: a WhatsApp-style
/// group chat and an Iraqi-Arabic chat that mention Operation Aurora's shared phone,
/// flat and suspects, and an interview transcript (SRT) with its recording (a WAV of
/// tones, one per cue: no voice, no person). `toex ingest` reads them; the transcript
/// and the recording share a name, so the recording is kept with it.
pub fn write_documents(dir: &Path, shared_phone: &str, flat: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let arabic_phone: String = shared_phone
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(0x0660 + d).unwrap_or(c),
            None => c,
        })
        .collect();
    let chat = format!(
        "14/03/2024, 21:02 - Mo: new number {shared_phone} dont give it out\n\
         14/03/2024, 21:03 - Jay: sound. pick up from the flat {flat} at 11?\n\
         14/03/2024, 21:05 - Mo: yeah bring the girls, message sophie on snap @sophie_x0\n\
         14/03/2024, 21:07 - Jay: taking the silver golf, reg YX19 ABC\n\
         14/03/2024, 21:09 - Mo: Mohammed Al-Jubouri says nobody talks to the police\n\
         15/03/2024, 08:15 - Jay: garage by the flat has cameras now, use the back lane\n"
    );
    std::fs::write(dir.join("aurora-group-chat.txt"), chat)?;
    let arabic = format!(
        "15/03/2024, 22:10 - محمد: رقمي الجديد {arabic_phone} لا تنطيه لأحد\n\
         15/03/2024, 22:11 - علي: زين، السيارة بالكراج يم الشقة\n\
         15/03/2024, 22:14 - محمد: اكو شرطة بالمنطقة، لا تجي هسه\n\
         15/03/2024, 22:20 - علي: ماكو مشكلة، نلتقي باچر الصبح\n"
    );
    std::fs::write(dir.join("aurora-chat-arabic.txt"), arabic)?;
    let cues: [(u32, u32, String); 6] = [
        (
            0,
            3,
            "Officer: This interview is being recorded. Are you happy to continue?".into(),
        ),
        (
            3,
            6,
            "Witness: Yes. I want to say what happened at the flat.".into(),
        ),
        (
            6,
            10,
            format!("Witness: They gave me a phone. The number was {shared_phone}."),
        ),
        (
            10,
            14,
            format!("Witness: The flat is above the takeaway, postcode {flat}."),
        ),
        (
            14,
            18,
            "Witness: The older one, Mohammed Al-Jubouri, drove a silver Golf.".into(),
        ),
        (
            18,
            22,
            "Officer: Thank you. We will stop the recording there.".into(),
        ),
    ];
    let mut srt = String::new();
    for (i, (start, end, text)) in cues.iter().enumerate() {
        let _ = write!(
            srt,
            "{}\n00:00:{start:02},000 --> 00:00:{end:02},000\n{text}\n\n",
            i + 1
        );
    }
    std::fs::write(dir.join("interview-2024-04-12.srt"), srt)?;
    let spans: Vec<(u32, u32)> = cues.iter().map(|(s, e, _)| (*s, *e)).collect();
    std::fs::write(
        dir.join("interview-2024-04-12.wav"),
        tone_wav(&spans, 8_000),
    )?;
    Ok(())
}

/// A mono 16-bit PCM WAV at `rate` Hz: a soft tone (its pitch rising cue by cue) over
/// each `(start, end)` span in seconds, with a short fade, and silence between.
pub fn tone_wav(spans: &[(u32, u32)], rate: u32) -> Vec<u8> {
    let total = spans.iter().map(|s| s.1).max().unwrap_or(0) * rate;
    let mut samples = vec![0i16; total as usize];
    for (k, &(start, end)) in spans.iter().enumerate() {
        let freq = 330.0 + 55.0 * k as f64;
        let (a, b) = (
            (start * rate) as usize,
            ((end * rate) as usize).saturating_sub(rate as usize / 5),
        );
        for (i, sample) in samples.iter_mut().enumerate().take(b).skip(a) {
            let t = (i - a) as f64 / f64::from(rate);
            let fade = ((i - a).min(b - i) as f64 / (f64::from(rate) * 0.05)).min(1.0);
            *sample = (f64::sin(2.0 * std::f64::consts::PI * freq * t) * 6_000.0 * fade) as i16;
        }
    }
    let data_bytes = samples.len() as u32 * 2;
    let mut out = Vec::with_capacity(44 + data_bytes as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_bytes).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_bytes.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}
