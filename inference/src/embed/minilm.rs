//! all-MiniLM-L6-v2 (a 6-layer BERT) on candle: batches of texts to L2-normalised
//! mean-pooled 384-dimensional vectors, as sentence-transformers computes them.

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use sha2::{Digest, Sha256};

use super::WordPiece;
use crate::InferenceError;

/// Dimension of the vectors.
pub const EMBEDDING_DIM: usize = 384;
/// Tokens per text, as the model was trained (`max_seq_length`).
const MAX_TOKENS: usize = 256;

fn model_err(e: impl std::fmt::Display) -> InferenceError {
    InferenceError::Model(e.to_string())
}

/// The loaded model. Load once; share behind an `Arc`.
pub struct Embedder {
    model: BertModel,
    tokenizer: WordPiece,
    device: Device,
    /// `all-MiniLM-L6-v2@<first 12 hex of the weights' SHA-256>`.
    pub model_id: String,
}

impl Embedder {
    /// The model in `dir`, loaded once per process and shared.
    pub fn shared(dir: &Path) -> Result<std::sync::Arc<Self>, InferenceError> {
        use std::collections::HashMap;
        use std::sync::{Arc, Mutex, OnceLock};
        static LOADED: OnceLock<Mutex<HashMap<std::path::PathBuf, Arc<Embedder>>>> =
            OnceLock::new();
        let key = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        let mut loaded = LOADED
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(e) = loaded.get(&key) {
            return Ok(e.clone());
        }
        let e = Arc::new(Self::load(dir)?);
        loaded.insert(key, e.clone());
        Ok(e)
    }

    /// Loads `config.json`, `model.safetensors` and `vocab.txt` from `dir`.
    pub fn load(dir: &Path) -> Result<Self, InferenceError> {
        let file = |name: &str| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(InferenceError::Model(format!(
                    "{} is missing (scripts/fetch-models.sh installs the model)",
                    path.display()
                )))
            }
        };
        let config_path = file("config.json")?;
        let weights = file("model.safetensors")?;
        let tokenizer = WordPiece::from_vocab_file(&file("vocab.txt")?)?;
        let config: Config =
            serde_json::from_str(&std::fs::read_to_string(&config_path).map_err(model_err)?)
                .map_err(|e| InferenceError::Model(format!("{}: {e}", config_path.display())))?;
        if config.hidden_size != EMBEDDING_DIM {
            return Err(InferenceError::Model(format!(
                "expected a {EMBEDDING_DIM}-dimensional model, found {}",
                config.hidden_size
            )));
        }
        let device = super::device::select();
        let bytes = std::fs::read(&weights).map_err(model_err)?;
        let digest = Sha256::digest(&bytes);
        let vb = VarBuilder::from_buffered_safetensors(bytes, DType::F32, &device)
            .map_err(|e| InferenceError::Model(format!("{}: {e}", weights.display())))?;
        let model = BertModel::load(vb, &config).map_err(model_err)?;
        let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            model,
            tokenizer,
            device,
            model_id: format!("all-MiniLM-L6-v2@{hex}"),
        })
    }

    /// One unit vector per text.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, InferenceError> {
        let mut out = Vec::with_capacity(texts.len());
        // Sort by length so each batch pads little; restore the order at the end.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        let encoded: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| self.tokenizer.encode(t, MAX_TOKENS))
            .collect();
        order.sort_by_key(|&i| encoded[i].len());
        let mut vectors: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        for chunk in order.chunks(32) {
            let width = chunk.iter().map(|&i| encoded[i].len()).max().unwrap_or(2);
            let mut ids = Vec::with_capacity(chunk.len() * width);
            let mut mask = Vec::with_capacity(chunk.len() * width);
            for &i in chunk {
                let e = &encoded[i];
                ids.extend(
                    e.iter()
                        .copied()
                        .chain(std::iter::repeat_n(0, width - e.len())),
                );
                mask.extend(
                    std::iter::repeat_n(1u32, e.len())
                        .chain(std::iter::repeat_n(0, width - e.len())),
                );
            }
            let shape = (chunk.len(), width);
            let ids = Tensor::from_vec(ids, shape, &self.device).map_err(model_err)?;
            let mask = Tensor::from_vec(mask, shape, &self.device).map_err(model_err)?;
            let types = ids.zeros_like().map_err(model_err)?;
            let hidden = self
                .model
                .forward(&ids, &types, Some(&mask))
                .map_err(model_err)?;
            let pooled = mean_pool(&hidden, &mask).map_err(model_err)?;
            for (row, &i) in pooled.into_iter().zip(chunk) {
                vectors[i] = Some(row);
            }
        }
        for v in vectors {
            out.push(v.ok_or_else(|| InferenceError::Model("a text was not embedded".to_owned()))?);
        }
        Ok(out)
    }
}

/// Mean of the token vectors under the mask, then L2-normalised, per row.
fn mean_pool(hidden: &Tensor, mask: &Tensor) -> candle_core::Result<Vec<Vec<f32>>> {
    let mask = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
    let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
    let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
    let mean = summed.broadcast_div(&counts)?;
    let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::MAX)?;
    mean.broadcast_div(&norm)?.to_vec2::<f32>()
}
