//! Marian models with seeded random weights and a matching tokenizer, written as a
//! Hugging Face folder: for tests (no OPUS-MT weights can be downloaded here) and for
//! benchmarks at a real model's dimensions. Not a translation model: its output is noise.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Tensor};

use crate::InferenceError;

/// The shape of a random model.
#[derive(Debug, Clone)]
pub struct RandomModel {
    pub d_model: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub max_positions: usize,
    /// Pieces besides `</s>` (0), `<unk>` (1) and `<pad>` (last); short synthetic pieces
    /// are added until the vocabulary has `vocab_size` entries.
    pub pieces: Vec<String>,
    pub vocab_size: usize,
    /// Added to the end token's logit: very negative, and the model never stops.
    pub eos_bias: f32,
    pub seed: u64,
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
            d_model: 16,
            layers: 2,
            heads: 2,
            ffn: 32,
            max_positions: 64,
            vocab_size: pieces.len() + 3,
            pieces,
            eos_bias: 0.0,
            seed: 7,
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

    /// Writes `config.json`, `tokenizer.json` and `model.safetensors` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), InferenceError> {
        let io = |e: std::io::Error| InferenceError::Model(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
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
        }
        // As in trained Marian models, the padding token (the decoder's start) embeds to
        // zeros; CTranslate2 starts its decoder from a zero embedding.
        let shared = t.remove("model.shared.weight").expect("just added");
        let mut table: Vec<f32> = shared
            .flatten_all()
            .and_then(|s| s.to_vec1())
            .map_err(|e| InferenceError::Model(e.to_string()))?;
        table[(v - 1) * d..].fill(0.0);
        t.insert(
            "model.shared.weight".into(),
            Tensor::from_vec(table, (v, d), &dev)
                .map_err(|e| InferenceError::Model(e.to_string()))?,
        );
        let mut bias = vec![0f32; v];
        bias[0] = self.eos_bias;
        t.insert(
            "final_logits_bias".into(),
            Tensor::from_vec(bias, (1, v), &dev)
                .map_err(|e| InferenceError::Model(e.to_string()))?,
        );
        candle_core::safetensors::save(&t, dir.join("model.safetensors"))
            .map_err(|e| InferenceError::Model(e.to_string()))
    }
}
