//! Whisper from a CTranslate2 `model.bin`: its variables renamed and shaped as the
//! candle model expects.

use super::*;
use crate::ct2::{count_layers, take_layers, take_norm};

/// A CTranslate2 Whisper model's tensors under Hugging Face names, with its shapes.
pub(super) fn from_ct2(
    mut m: Ct2Model,
    extra: Ct2Config,
) -> Result<(WhisperConfig, HashMap<String, Tensor>), String> {
    if m.spec != "WhisperSpec" {
        return Err(format!("a {} model, not Whisper", m.spec));
    }
    let dims = |m: &Ct2Model, name: &str| -> Result<Vec<usize>, String> {
        Ok(m.tensors
            .get(name)
            .ok_or_else(|| format!("no {name}"))?
            .dims()
            .to_vec())
    };
    let conv1 = dims(&m, "encoder/conv1/weight")?;
    let (d, n_mels) = (conv1[0], conv1[1]);
    let heads = |name: &str| {
        m.scalar(name)
            .map(|h| h as usize)
            .ok_or_else(|| format!("no {name}"))
    };
    let config = WhisperConfig {
        n_mels,
        d_model: d,
        encoder_layers: count_layers(&m.shapes, "encoder"),
        decoder_layers: count_layers(&m.shapes, "decoder"),
        encoder_heads: heads("encoder/num_heads")?,
        decoder_heads: heads("decoder/num_heads")?,
        vocab_size: dims(&m, "decoder/embeddings/weight")?[0],
        audio_ctx: dims(&m, "encoder/position_encodings/encodings")?[0],
        text_ctx: dims(&m, "decoder/position_encodings/encodings")?[0],
        suppress: extra.suppress_ids,
        suppress_begin: extra.suppress_ids_begin,
    };
    let mut out = HashMap::new();
    let mut renames: Vec<(String, String)> = ["conv1", "conv2"]
        .iter()
        .flat_map(|part| {
            ["weight", "bias"].map(|p| {
                (
                    format!("encoder/{part}/{p}"),
                    format!("model.encoder.{part}.{p}"),
                )
            })
        })
        .collect();
    for (from, to) in [
        (
            "encoder/position_encodings/encodings",
            "model.encoder.embed_positions.weight",
        ),
        (
            "decoder/position_encodings/encodings",
            "model.decoder.embed_positions.weight",
        ),
        (
            "decoder/embeddings/weight",
            "model.decoder.embed_tokens.weight",
        ),
    ] {
        renames.push((from.to_owned(), to.to_owned()));
    }
    for (from, to) in renames {
        let t = m
            .tensors
            .remove(&from)
            .ok_or_else(|| format!("no {from}"))?;
        out.insert(to, t);
    }
    for (side, layers) in [
        ("encoder", config.encoder_layers),
        ("decoder", config.decoder_layers),
    ] {
        take_norm(
            &mut m,
            &mut out,
            &format!("{side}/layer_norm"),
            &format!("model.{side}.layer_norm"),
        )?;
        take_layers(&mut m, &mut out, side, layers)?;
    }
    Ok((config, out))
}
