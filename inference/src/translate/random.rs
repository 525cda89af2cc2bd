//! Translation models with seeded random weights and a matching tokenizer, written as a
//! Hugging Face folder — Marian (OPUS-MT: `tokenizer.json`), NLLB-200
//! (`sentencepiece.bpe.model` and its language tokens) or M2M100 (the same with
//! `vocab.json` and `__xx__` language tokens): for tests (no weights can be
//! downloaded here) and for benchmarks at a real model's dimensions. Not a translation
//! model: its output is noise.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};

use super::seq2seq::Family;
use super::spm::{Algorithm, PieceKind, write_model};
use crate::InferenceError;

/// The shape of a random model.
#[derive(Debug, Clone)]
pub struct RandomModel {
    pub family: Family,
    pub d_model: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub max_positions: usize,
    /// Marian: pieces besides `</s>` (0), `<unk>` (1) and `<pad>` (last). NLLB: words,
    /// each written as the BPE chain of its prefixes (so merges reach it), and every
    /// character. Short synthetic pieces are added until the vocabulary (with NLLB's
    /// language tokens and `<mask>`) has `vocab_size` entries.
    pub pieces: Vec<String>,
    pub vocab_size: usize,
    /// Added to the end token's logit: very negative, and the model never stops.
    pub eos_bias: f32,
    pub seed: u64,
    /// M2M100's tokenizer layout instead of NLLB-200's: `vocab.json` numbering the
    /// pieces in an order of its own (not SentencePiece's), M2M100's language tokens in
    /// `special_tokens_map.json` after them, then its eight `madeupword`s.
    pub m2m100_vocab: bool,
}

impl RandomModel {
    /// A tiny model for tests: 16 wide, 2 layers, Arabic and English pieces.
    pub fn tiny() -> Self {
        let mut pieces: Vec<String> = [
            "▁",
            "▁the",
            "▁car",
            "▁is",
            "▁garage",
            "▁السيارة",
            "▁بالكراج",
            "▁يم",
            "▁الشقة",
            "▁[[",
            "]]",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        pieces.extend(
            "abcdefghijklmnopqrstuvwxyz0123456789اأبتثجحخدذرزسشصضطظعغفقكلمنهويةىء"
                .chars()
                .map(String::from),
        );
        Self {
            family: Family::Marian,
            d_model: 16,
            layers: 2,
            heads: 2,
            ffn: 32,
            max_positions: 64,
            vocab_size: pieces.len() + 3,
            pieces,
            eos_bias: 0.0,
            seed: 7,
            m2m100_vocab: false,
        }
    }

    /// The dimensions of Helsinki-NLP/opus-mt-ar-en (512 wide, 6 + 6 layers, 8 heads,
    /// 2048 feed-forward, 62,834 pieces, 512 positions).
    pub fn opus_mt_ar_en() -> Self {
        Self {
            d_model: 512,
            layers: 6,
            heads: 8,
            ffn: 2048,
            max_positions: 512,
            vocab_size: 62_834,
            ..Self::tiny()
        }
    }

    /// A tiny NLLB-shaped model: 16 wide, 2 layers, Arabic, English and Vietnamese
    /// words, a handful of language tokens.
    pub fn nllb_tiny() -> Self {
        let mut pieces: Vec<String> = NLLB_SAMPLE
            .split_whitespace()
            .map(|w| format!("▁{w}"))
            .collect();
        pieces.extend(
            NLLB_SAMPLE
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(String::from),
        );
        Self {
            family: Family::M2M100,
            max_positions: 128,
            vocab_size: 0,
            pieces,
            ..Self::tiny()
        }
    }

    /// A tiny model in M2M100's layout (facebook/m2m100_418M's tokenizer files).
    pub fn m2m100_tiny() -> Self {
        Self {
            m2m100_vocab: true,
            seed: 11,
            ..Self::nllb_tiny()
        }
    }

    /// The dimensions of facebook/nllb-200-distilled-600M (1024 wide, 12 + 12 layers, 16
    /// heads, 4096 feed-forward, 256,206 tokens, 1,024 positions).
    pub fn nllb_600m() -> Self {
        Self {
            d_model: 1024,
            layers: 12,
            heads: 16,
            ffn: 4096,
            max_positions: 1024,
            vocab_size: 256_206,
            ..Self::nllb_tiny()
        }
    }

    /// Writes the model folder into `dir`: `config.json`, the tokenizer's files and
    /// `model.safetensors`.
    pub fn write(&self, dir: &Path) -> Result<(), InferenceError> {
        let io = |e: std::io::Error| InferenceError::Model(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let (v, pad) = match self.family {
            Family::Marian => self.write_marian_tokenizer(dir)?,
            Family::M2M100 => self.write_nllb_tokenizer(dir)?,
        };
        self.write_weights(dir, v, pad)
    }

    /// `config.json` and `tokenizer.json` of a Marian model; (vocabulary, padding id).
    fn write_marian_tokenizer(&self, dir: &Path) -> Result<(usize, usize), InferenceError> {
        let io = |e: std::io::Error| InferenceError::Model(format!("{}: {e}", dir.display()));
        let mut vocab: Vec<(String, f64)> = vec![("</s>".into(), 0.0), ("<unk>".into(), 0.0)];
        vocab.extend(self.pieces.iter().map(|p| {
            let score = if p.chars().count() > 1 { -2.0 } else { -5.0 };
            (p.clone(), score)
        }));
        let mut n = 0usize;
        while vocab.len() + 1 < self.vocab_size {
            vocab.push((format!("▁x{n}"), -9.0));
            n += 1;
        }
        vocab.truncate(self.vocab_size.max(3) - 1);
        vocab.push(("<pad>".into(), 0.0));
        let v = vocab.len();
        let config = serde_json::json!({
            "vocab_size": v, "decoder_vocab_size": v, "max_position_embeddings": self.max_positions,
            "d_model": self.d_model, "encoder_layers": self.layers,
            "encoder_attention_heads": self.heads, "encoder_ffn_dim": self.ffn,
            "decoder_layers": self.layers, "decoder_attention_heads": self.heads,
            "decoder_ffn_dim": self.ffn, "activation_function": "swish", "scale_embedding": true,
            "pad_token_id": v - 1, "eos_token_id": 0, "decoder_start_token_id": v - 1,
            "forced_eos_token_id": 0, "use_cache": true, "is_encoder_decoder": true,
            "share_encoder_decoder_embeddings": true,
            "architectures": ["MarianMTModel"], "model_type": "marian"
        });
        std::fs::write(dir.join("config.json"), config.to_string()).map_err(io)?;
        let tokenizer = serde_json::json!({
            "model": { "type": "Unigram", "unk_id": 1,
                       "vocab": vocab.iter().map(|(p, s)| serde_json::json!([p, s])).collect::<Vec<_>>() }
        });
        std::fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).map_err(io)?;
        Ok((v, v - 1))
    }

    /// `config.json`, `sentencepiece.bpe.model` and `tokenizer_config.json` of an NLLB
    /// model (and M2M100's `vocab.json` and `special_tokens_map.json`); (vocabulary,
    /// padding id).
    fn write_nllb_tokenizer(&self, dir: &Path) -> Result<(usize, usize), InferenceError> {
        let io = |e: std::io::Error| InferenceError::Model(format!("{}: {e}", dir.display()));
        let mut pieces: Vec<(String, PieceKind)> = vec![
            ("<unk>".into(), PieceKind::Unknown),
            ("<s>".into(), PieceKind::Control),
            ("</s>".into(), PieceKind::Control),
        ];
        let mut seen = std::collections::HashSet::new();
        for p in &self.pieces {
            let chars: Vec<char> = p.chars().collect();
            for end in 1..=chars.len() {
                let prefix: String = chars[..end].iter().collect();
                if seen.insert(prefix.clone()) {
                    pieces.push((prefix, PieceKind::Normal));
                }
            }
        }
        let codes: Vec<String> = if self.m2m100_vocab {
            M2M100_LANGUAGES
                .split_whitespace()
                .map(|c| format!("__{c}__"))
                .collect()
        } else {
            NLLB_LANGUAGES
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        };
        // Pieces, then fairseq's four specials (one shared with the pieces' offset),
        // the language tokens and NLLB's `<mask>` or M2M100's eight `madeupword`s.
        let after = if self.m2m100_vocab { 8 } else { 1 };
        let specials = 1 + codes.len() + after;
        let mut n = 0usize;
        while pieces.len() + specials < self.vocab_size {
            pieces.push((format!("▁x{n}"), PieceKind::Normal));
            n += 1;
        }
        // Longer pieces score lower, so a word's prefixes merge in order.
        let scored: Vec<(&str, f32, PieceKind)> = pieces
            .iter()
            .enumerate()
            .map(|(i, (p, k))| {
                let score = if *k == PieceKind::Normal {
                    -(i as f32)
                } else {
                    0.0
                };
                (p.as_str(), score, *k)
            })
            .collect();
        std::fs::write(
            dir.join("sentencepiece.bpe.model"),
            write_model(&scored, Algorithm::Bpe),
        )
        .map_err(io)?;
        let v = pieces.len() + specials;
        let json = |name: &str, value: serde_json::Value| {
            std::fs::write(dir.join(name), value.to_string()).map_err(io)
        };
        if self.m2m100_vocab {
            // fairseq's dictionary numbers pieces by its own order: here, reversed.
            let mut vocab = serde_json::Map::new();
            for (i, special) in ["<s>", "<pad>", "</s>", "<unk>"].iter().enumerate() {
                vocab.insert((*special).to_owned(), i.into());
            }
            for (p, _) in pieces.iter().skip(3).rev() {
                let id = vocab.len();
                vocab.insert(p.clone(), id.into());
            }
            json("vocab.json", vocab.into())?;
            json(
                "special_tokens_map.json",
                serde_json::json!({ "additional_special_tokens": codes }),
            )?;
            json(
                "tokenizer_config.json",
                serde_json::json!({ "tokenizer_class": "M2M100Tokenizer", "src_lang": "en",
                                    "tgt_lang": "en" }),
            )?;
        } else {
            json(
                "tokenizer_config.json",
                serde_json::json!({
                    "tokenizer_class": "NllbTokenizer", "src_lang": "eng_Latn",
                    "tgt_lang": "eng_Latn", "additional_special_tokens": codes,
                }),
            )?;
        }
        let config = serde_json::json!({
            "vocab_size": v, "max_position_embeddings": self.max_positions,
            "d_model": self.d_model, "encoder_layers": self.layers,
            "encoder_attention_heads": self.heads, "encoder_ffn_dim": self.ffn,
            "decoder_layers": self.layers, "decoder_attention_heads": self.heads,
            "decoder_ffn_dim": self.ffn, "activation_function": "relu", "scale_embedding": true,
            "bos_token_id": 0, "pad_token_id": 1, "eos_token_id": 2, "decoder_start_token_id": 2,
            "is_encoder_decoder": true, "architectures": ["M2M100ForConditionalGeneration"],
            "model_type": "m2m_100"
        });
        std::fs::write(dir.join("config.json"), config.to_string()).map_err(io)?;
        Ok((v, 1))
    }

    /// Seeded weights for a vocabulary of `v`, the padding token `pad` embedding to zeros.
    fn write_weights(&self, dir: &Path, v: usize, pad: usize) -> Result<(), InferenceError> {
        let dev = Device::Cpu;
        let mut seed = self.seed;
        let mut t: HashMap<String, Tensor> = HashMap::new();
        let mut put = |name: String,
                       shape: &[usize],
                       scale: f32,
                       offset: f32|
         -> Result<(), InferenceError> {
            let count = shape.iter().product();
            let data: Vec<f32> = (0..count)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale + offset
                })
                .collect();
            let tensor = Tensor::from_vec(data, shape, &dev)
                .map_err(|e| InferenceError::Model(e.to_string()))?;
            t.insert(name, tensor);
            Ok(())
        };
        let (d, f) = (self.d_model, self.ffn);
        // Scales keep activations in range whatever the width.
        let w = (1.0 / d as f32).sqrt() * 1.6;
        put("model.shared.weight".into(), &[v, d], 0.5, 0.0)?;
        for (side, cross) in [("encoder", false), ("decoder", true)] {
            for l in 0..self.layers {
                let p = format!("model.{side}.layers.{l}");
                let mut attns = vec!["self_attn"];
                if cross {
                    attns.push("encoder_attn");
                }
                for a in attns {
                    for proj in ["q_proj", "k_proj", "v_proj", "out_proj"] {
                        put(format!("{p}.{a}.{proj}.weight"), &[d, d], w, 0.0)?;
                        put(format!("{p}.{a}.{proj}.bias"), &[d], 0.1, 0.0)?;
                    }
                    put(format!("{p}.{a}_layer_norm.weight"), &[d], 0.1, 1.0)?;
                    put(format!("{p}.{a}_layer_norm.bias"), &[d], 0.1, 0.0)?;
                }
                put(format!("{p}.fc1.weight"), &[f, d], w, 0.0)?;
                put(format!("{p}.fc1.bias"), &[f], 0.1, 0.0)?;
                put(
                    format!("{p}.fc2.weight"),
                    &[d, f],
                    (1.0 / f as f32).sqrt() * 1.6,
                    0.0,
                )?;
                put(format!("{p}.fc2.bias"), &[d], 0.1, 0.0)?;
                put(format!("{p}.final_layer_norm.weight"), &[d], 0.1, 1.0)?;
                put(format!("{p}.final_layer_norm.bias"), &[d], 0.1, 0.0)?;
            }
            if self.family == Family::M2M100 {
                put(format!("model.{side}.layer_norm.weight"), &[d], 0.1, 1.0)?;
                put(format!("model.{side}.layer_norm.bias"), &[d], 0.1, 0.0)?;
            }
        }
        // As in trained models, the padding token (Marian's decoder start) embeds to
        // zeros; CTranslate2 starts its decoder from a zero embedding.
        let shared = t.remove("model.shared.weight").expect("just added");
        let mut table: Vec<f32> = shared
            .flatten_all()
            .and_then(|s| s.to_vec1())
            .map_err(|e| InferenceError::Model(e.to_string()))?;
        table[pad * d..(pad + 1) * d].fill(0.0);
        t.insert(
            "model.shared.weight".into(),
            Tensor::from_vec(table, (v, d), &dev)
                .map_err(|e| InferenceError::Model(e.to_string()))?,
        );
        // M2M100 has no logits bias: one is written only to rule out the end token.
        if self.family == Family::Marian || self.eos_bias != 0.0 {
            let eos = if self.family == Family::Marian { 0 } else { 2 };
            let mut bias = vec![0f32; v];
            bias[eos] = self.eos_bias;
            t.insert(
                "final_logits_bias".into(),
                Tensor::from_vec(bias, (1, v), &dev)
                    .map_err(|e| InferenceError::Model(e.to_string()))?,
            );
        }
        candle_core::safetensors::save(&t, dir.join("model.safetensors"))
            .map_err(|e| InferenceError::Model(e.to_string()))
    }
}

/// The words and characters of the tiny NLLB model: Arabic, English and Vietnamese chat.
const NLLB_SAMPLE: &str = "السيارة بالكراج يم الشقة وين انت هسه the car is at garage where are you now \
     anh đang ở đâu xe trong nhà để ngày mai gặp nhau [[ ]] 0123456789";

/// The language tokens of the random M2M100 models, in M2M100's order for these.
const M2M100_LANGUAGES: &str = "am ar en fa pl ps ro sq ur vi zh";

/// The language tokens of the random NLLB models, in NLLB-200's order for these.
const NLLB_LANGUAGES: &str = "acm_Arab amh_Ethi arb_Arab ckb_Arab eng_Latn kmr_Latn \
     pbt_Arab pes_Arab pol_Latn ron_Latn als_Latn tir_Ethi urd_Arab vie_Latn zho_Hans";
