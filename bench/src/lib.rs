//! Seeded synthetic material for the search benchmarks: English and Arabic messages
//! drawn from Zipf-distributed vocabularies, grouped into documents of segments.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use toex_formats::Segment;
use toex_indexer::NewDocument;

const ENGLISH: &str = "the a to and of in he she it was at on with his her they for that car van phone garage flat school meet money drive police night tomorrow girl boy address house street park shop call text number red silver white black said told went take bring come send pick party friend brother cousin uncle Leeds Bradford Halifax Manchester station road lane takeaway hotel room";
const ARABIC: &str = "في من على الى عن مع هذا السيارة البيت الشقة الرقم التلفون بكرة اليوم الليل المدرسة البنت الولد الفلوس الشرطة الشارع المحل روح تعال جيب خذ قال قالت اتصل رسالة حبيبي خالد محمد احمد علي عمر يوسف الكراج الفندق الحفلة";

/// A generator of documents; the same seed gives the same corpus.
pub struct Corpus {
    rng: ChaCha8Rng,
    english: Vec<&'static str>,
    arabic: Vec<&'static str>,
    n: usize,
}

impl Corpus {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            english: ENGLISH.split(' ').collect(),
            arabic: ARABIC.split(' ').collect(),
            n: 0,
        }
    }

    fn word<'a>(rng: &mut ChaCha8Rng, words: &[&'a str]) -> &'a str {
        // Zipf-like: rank r with probability ∝ 1/(r+1).
        let u: f64 = rng.random();
        let r = ((words.len() as f64 + 1.0).powf(u) - 1.0) as usize;
        words[r.min(words.len() - 1)]
    }

    /// A chat-like document of `segments` messages, a fifth of documents in Arabic.
    pub fn document(&mut self, segments: usize) -> NewDocument {
        self.n += 1;
        let arabic = self.n.is_multiple_of(5);
        let words = if arabic { &self.arabic } else { &self.english };
        let segs: Vec<Segment> = (0..segments)
            .map(|i| {
                let len = self.rng.random_range(4..16);
                let mut text = (0..len)
                    .map(|_| Self::word(&mut self.rng, words))
                    .collect::<Vec<_>>()
                    .join(" ");
                if self.rng.random_bool(0.05) {
                    text.push_str(&format!(" 07700 9{:05}", self.rng.random_range(0..100_000)));
                }
                Segment {
                    text,
                    line: Some(i as u32 + 1),
                    start_ms: Some(i as u64 * 4_000),
                    end_ms: Some(i as u64 * 4_000 + 3_500),
                    speaker: Some(["A", "B"][i % 2].to_owned()),
                    ..Segment::default()
                }
            })
            .collect();
        NewDocument {
            title: format!("conversation {}", self.n),
            text: segs
                .iter()
                .map(|s| s.text.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            language: Some(if arabic { "ar" } else { "en" }.to_owned()),
            translation: None,
            force: ["WYP", "GMP", "MPS", "WMP"][self.n % 4].to_owned(),
            operation: Some(format!("op-{}", self.n % 50)),
            source_type: "transcript".to_owned(),
            segments: segs,
            mentions: Vec::new(),
            translation_meta: None,
            correction: None,
            provenance: None,
        }
    }
}
