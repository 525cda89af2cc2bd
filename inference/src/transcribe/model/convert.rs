//! Whisper from a CTranslate2 `model.bin`: its variables renamed and shaped as the
//! candle model expects.

use super::*;

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
    let count = |prefix: &str| {
        (0..)
            .take_while(|i| {
                m.tensors
                    .contains_key(&format!("{prefix}/layer_{i}/ffn/linear_0/weight"))
            })
            .count()
    };
    let heads = |name: &str| {
        m.scalar(name)
            .map(|h| h as usize)
            .ok_or_else(|| format!("no {name}"))
    };
    let config = WhisperConfig {
        n_mels,
        d_model: d,
        encoder_layers: count("encoder"),
        decoder_layers: count("decoder"),
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
    let norm = |m: &mut Ct2Model,
                out: &mut HashMap<String, Tensor>,
                from: &str,
                to: &str|
     -> Result<(), String> {
        for (a, b) in [("gamma", "weight"), ("beta", "bias")] {
            let t = m
                .tensors
                .remove(&format!("{from}/{a}"))
                .ok_or_else(|| format!("no {from}/{a}"))?;
            out.insert(format!("{to}.{b}"), t);
        }
        Ok(())
    };
    let mut fused = Vec::new();
    for (side, layers) in [
        ("encoder", config.encoder_layers),
        ("decoder", config.decoder_layers),
    ] {
        norm(
            &mut m,
            &mut out,
            &format!("{side}/layer_norm"),
            &format!("model.{side}.layer_norm"),
        )?;
        for i in 0..layers {
            let from = format!("{side}/layer_{i}");
            let to = format!("model.{side}.layers.{i}");
            norm(
                &mut m,
                &mut out,
                &format!("{from}/self_attention/layer_norm"),
                &format!("{to}.self_attn_layer_norm"),
            )?;
            norm(
                &mut m,
                &mut out,
                &format!("{from}/ffn/layer_norm"),
                &format!("{to}.final_layer_norm"),
            )?;
            fused.push((
                format!("{from}/self_attention/linear_0"),
                vec![
                    format!("{to}.self_attn.q_proj"),
                    format!("{to}.self_attn.k_proj"),
                    format!("{to}.self_attn.v_proj"),
                ],
            ));
            fused.push((
                format!("{from}/self_attention/linear_1"),
                vec![format!("{to}.self_attn.out_proj")],
            ));
            fused.push((format!("{from}/ffn/linear_0"), vec![format!("{to}.fc1")]));
            fused.push((format!("{from}/ffn/linear_1"), vec![format!("{to}.fc2")]));
            if side == "decoder" {
                norm(
                    &mut m,
                    &mut out,
                    &format!("{from}/attention/layer_norm"),
                    &format!("{to}.encoder_attn_layer_norm"),
                )?;
                fused.push((
                    format!("{from}/attention/linear_0"),
                    vec![format!("{to}.encoder_attn.q_proj")],
                ));
                fused.push((
                    format!("{from}/attention/linear_1"),
                    vec![
                        format!("{to}.encoder_attn.k_proj"),
                        format!("{to}.encoder_attn.v_proj"),
                    ],
                ));
                fused.push((
                    format!("{from}/attention/linear_2"),
                    vec![format!("{to}.encoder_attn.out_proj")],
                ));
            }
        }
    }
    // Fused projections are split into equal row blocks, in order.
    for (from, targets) in fused {
        for p in ["weight", "bias"] {
            let t = m
                .tensors
                .remove(&format!("{from}/{p}"))
                .ok_or_else(|| format!("no {from}/{p}"))?;
            let rows = t.dim(0).map_err(|e| e.to_string())?;
            if rows % targets.len() != 0 {
                return Err(format!(
                    "{from}/{p}: {rows} rows do not split {} ways",
                    targets.len()
                ));
            }
            let each = rows / targets.len();
            for (k, to) in targets.iter().enumerate() {
                let part = t
                    .narrow(0, k * each, each)
                    .and_then(|t| t.contiguous())
                    .map_err(|e| e.to_string())?;
                out.insert(format!("{to}.{p}"), part);
            }
        }
    }
    Ok((config, out))
}
