//! A CTranslate2 translation folder (`model.bin`, its `config.json`, and
//! `shared_vocabulary.json` or `.txt`), read as the Hugging Face M2M100 model it was
//! converted from: its settings as a [`Seq2SeqConfig`], its variables under Hugging
//! Face's names with the fused projections split.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use serde::Deserialize;

use super::{Seq2SeqConfig, sinusoids};
use crate::InferenceError;
use crate::ct2::{Ct2Model, count_layers, take_layers, take_norm};
use crate::error::{first_line, weights_digest};

/// True for a CTranslate2 folder: a `model.bin` and no Hugging Face weights.
pub fn is_ct2(dir: &Path) -> bool {
    dir.join("model.bin").is_file()
        && !dir.join("model.safetensors").is_file()
        && !dir.join("pytorch_model.bin").is_file()
}

/// The tokens a CTranslate2 converter wrote into its `config.json`.
#[derive(Debug, Deserialize)]
struct Ct2Settings {
    #[serde(default = "eos")]
    eos_token: String,
    #[serde(default = "eos")]
    decoder_start_token: String,
    #[serde(default = "unk")]
    unk_token: String,
}

fn eos() -> String {
    "</s>".into()
}

fn unk() -> String {
    "<unk>".into()
}

fn error(dir: &Path, name: &str, e: impl std::fmt::Display) -> InferenceError {
    InferenceError::Model(format!("{}: {}", dir.join(name).display(), first_line(e)))
}

/// The folder's one vocabulary (source and target shared), in id order: from
/// `shared_vocabulary.json` (a list), else `shared_vocabulary.txt` (a token a line).
pub fn vocabulary(dir: &Path) -> Result<Vec<String>, InferenceError> {
    let json = dir.join("shared_vocabulary.json");
    let txt = dir.join("shared_vocabulary.txt");
    if json.is_file() {
        let bytes = std::fs::read(&json).map_err(|e| error(dir, "shared_vocabulary.json", e))?;
        serde_json::from_slice(&bytes).map_err(|e| error(dir, "shared_vocabulary.json", e))
    } else if txt.is_file() {
        let text =
            std::fs::read_to_string(&txt).map_err(|e| error(dir, "shared_vocabulary.txt", e))?;
        Ok(text.lines().map(str::to_owned).collect())
    } else if dir.join("source_vocabulary.json").is_file()
        || dir.join("source_vocabulary.txt").is_file()
    {
        Err(InferenceError::Model(format!(
            "{}: separate source and target vocabularies are not supported",
            dir.display()
        )))
    } else {
        Err(InferenceError::Model(format!(
            "{}: a CTranslate2 folder without shared_vocabulary.json or .txt",
            dir.display()
        )))
    }
}

/// `model.bin`'s bytes.
fn read(dir: &Path) -> Result<Vec<u8>, InferenceError> {
    std::fs::read(dir.join("model.bin")).map_err(|e| error(dir, "model.bin", e))
}

/// `model.bin` parsed, with tensors made only of what `keep` takes.
fn parse(
    dir: &Path,
    bytes: &[u8],
    keep: &dyn Fn(&str, &[usize]) -> bool,
) -> Result<Ct2Model, InferenceError> {
    Ct2Model::parse_only(bytes, keep).map_err(|e| error(dir, "model.bin", e))
}

/// The settings of a CTranslate2 folder as a Hugging Face `config.json` would give them
/// (makes tensors of the model's scalars only, and hashes nothing).
pub fn config(dir: &Path) -> Result<Seq2SeqConfig, InferenceError> {
    let model = parse(dir, &read(dir)?, &|_, dims| dims.is_empty())?;
    config_of(dir, &model)
}

fn config_of(dir: &Path, m: &Ct2Model) -> Result<Seq2SeqConfig, InferenceError> {
    let bad = |e: String| error(dir, "model.bin", e);
    if m.spec != "TransformerSpec" {
        return Err(bad(format!(
            "a {} model, not a translation network (TransformerSpec)",
            m.spec
        )));
    }
    let settings: Ct2Settings = match std::fs::read(dir.join("config.json")) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| error(dir, "config.json", e))?,
        Err(e) => return Err(error(dir, "config.json", e)),
    };
    let vocab = vocabulary(dir)?;
    let shape = |name: &str| -> Result<&[usize], InferenceError> {
        m.shapes
            .get(name)
            .map(|(d, _)| d.as_slice())
            .ok_or_else(|| bad(format!("no {name}")))
    };
    let scalar = |name: &str| m.scalar(name).ok_or_else(|| bad(format!("no {name}")));
    let &[v, d] = shape("decoder/embeddings/weight")? else {
        return Err(bad("decoder/embeddings/weight is not a matrix".into()));
    };
    if v != vocab.len() {
        return Err(bad(format!(
            "{v} embeddings for a vocabulary of {} tokens",
            vocab.len()
        )));
    }
    // One table: the encoder's embeddings and the output projection are the decoder's.
    let stored = m.stored_as("decoder/embeddings/weight");
    for name in ["encoder/embeddings_0/weight", "decoder/projection/weight"] {
        if m.shapes.contains_key(name) && m.stored_as(name) != stored {
            return Err(bad(format!(
                "{name} is not the decoder's embeddings (toex ties them into one table)"
            )));
        }
    }
    // Translation models toex runs: pre-norm with a norm after each stack (M2M100).
    let pre_norm = m.scalar("encoder/pre_norm").unwrap_or(0.0) != 0.0
        && m.shapes.contains_key("encoder/layer_norm/gamma");
    if !pre_norm {
        return Err(bad(
            "a post-norm (Marian / OPUS-MT) CTranslate2 model: install its Hugging Face folder \
             instead"
                .into(),
        ));
    }
    let activation = match scalar("encoder/activation")? as i32 {
        0 => "relu",
        2 => "swish",
        3 => "gelu",
        other => return Err(bad(format!("activation {other} is not supported"))),
    };
    // Stored as a factor (sqrt(d_model) or 1) or, by older converters, as a flag.
    let scale = scalar("encoder/scale_embeddings")?;
    let flag = m
        .shapes
        .get("encoder/scale_embeddings")
        .is_some_and(|(_, t)| *t == DType::U8);
    let scale_embedding = if flag {
        scale != 0.0
    } else if (scale - (d as f32).sqrt()).abs() < 1e-3 {
        true
    } else if (scale - 1.0).abs() < 1e-6 {
        false
    } else {
        return Err(bad(format!("embedding scale {scale} is not supported")));
    };
    let id = |token: &str| -> Result<u32, InferenceError> {
        vocab
            .iter()
            .position(|t| t == token)
            .map(|i| i as u32)
            .ok_or_else(|| bad(format!("the vocabulary has no {token}")))
    };
    let heads = |side: &str| scalar(&format!("{side}/num_heads")).map(|h| h as usize);
    let ffn = |side: &str| shape(&format!("{side}/layer_0/ffn/linear_0/weight")).map(|s| s[0]);
    let positions = shape("encoder/position_encodings/encodings")
        .map_err(|_| bad("no position encodings table (toex needs the converted table)".into()))?
        [0];
    Ok(Seq2SeqConfig {
        model_type: Some("m2m_100".into()),
        vocab_size: v,
        decoder_vocab_size: None,
        max_position_embeddings: positions,
        d_model: d,
        encoder_layers: count_layers(&m.shapes, "encoder"),
        encoder_attention_heads: heads("encoder")?,
        encoder_ffn_dim: ffn("encoder")?,
        decoder_layers: count_layers(&m.shapes, "decoder"),
        decoder_attention_heads: heads("decoder")?,
        decoder_ffn_dim: ffn("decoder")?,
        activation_function: activation.into(),
        scale_embedding,
        pad_token_id: id("<pad>")?,
        eos_token_id: id(&settings.eos_token)?,
        decoder_start_token_id: Some(id(&settings.decoder_start_token)?),
        unk_token_id: Some(id(&settings.unk_token)?),
    })
}

/// The weights of a CTranslate2 folder under Hugging Face's names, with the first 12 hex
/// digits of `model.bin`'s SHA-256. Int8 weights come dequantised (the model quantises
/// them again at its own precision).
pub fn weights(
    dir: &Path,
    device: &Device,
) -> Result<(VarBuilder<'static>, String), InferenceError> {
    let bytes = read(dir)?;
    let hex = weights_digest(&bytes);
    let mut m = parse(dir, &bytes, &|_, _| true)?;
    drop(bytes);
    let config = config_of(dir, &m)?;
    let bad = |e: String| error(dir, "model.bin", e);
    // fairseq's sinusoids are what toex computes; a table of anything else is refused.
    let table = m
        .tensors
        .get("encoder/position_encodings/encodings")
        .ok_or_else(|| bad("no encoder/position_encodings/encodings".into()))?;
    let offset = config.pad_token_id as usize + 1;
    let expected = sinusoids(
        config.max_position_embeddings + offset,
        config.d_model,
        true,
        &Device::Cpu,
    )
    .and_then(|s| s.narrow(0, offset, config.max_position_embeddings))
    .map_err(|e| bad(e.to_string()))?;
    let gap = table
        .to_dtype(DType::F32)
        .and_then(|t| (t - expected)?.abs()?.max_all()?.to_scalar::<f32>())
        .map_err(|e| bad(e.to_string()))?;
    if gap > 1e-3 {
        return Err(bad(format!(
            "the position table is not M2M100's sinusoids (differs by {gap})"
        )));
    }
    let mut out = HashMap::new();
    let shared = m
        .tensors
        .remove("decoder/embeddings/weight")
        .ok_or_else(|| bad("no decoder/embeddings/weight".into()))?;
    out.insert("model.shared.weight".to_owned(), shared);
    if m.tensors.contains_key("decoder/projection/bias") {
        let bias = m.tensors["decoder/projection/bias"]
            .reshape((1, config.vocab_size))
            .map_err(|e| bad(e.to_string()))?;
        out.insert("final_logits_bias".into(), bias);
    }
    for side in ["encoder", "decoder"] {
        take_norm(
            &mut m,
            &mut out,
            &format!("{side}/layer_norm"),
            &format!("model.{side}.layer_norm"),
        )
        .map_err(bad)?;
        let layers = match side {
            "encoder" => config.encoder_layers,
            _ => config.decoder_layers,
        };
        take_layers(&mut m, &mut out, side, layers).map_err(bad)?;
    }
    Ok((VarBuilder::from_tensors(out, DType::F32, device), hex))
}
