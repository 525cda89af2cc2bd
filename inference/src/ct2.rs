//! Reader for CTranslate2's `model.bin` (faster-whisper's models, converted NLLB-200): a
//! format version, the spec name, then named tensors each with a dtype id and raw bytes,
//! then aliases. Int8 weights are dequantised with their `weight_scale`.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};

/// The named tensors of a CTranslate2 model (scalars included, as rank-0): floats in the
/// file's type, int8 weights dequantised and integers in f32.
#[derive(Debug)]
pub struct Ct2Model {
    pub spec: String,
    pub tensors: HashMap<String, Tensor>,
    /// Every variable's shape and stored type (int8 as `U8`), aliases included, whether
    /// or not its tensor was kept.
    pub shapes: HashMap<String, (Vec<usize>, DType)>,
    /// Alias → the variable it names.
    pub aliases: HashMap<String, String>,
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| {
                format!(
                    "the file ends early (needed {n} bytes at offset {})",
                    self.at
                )
            })?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, String> {
        Ok(u16::from_le_bytes(
            self.take(2)?.try_into().expect("two bytes"),
        ))
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("four bytes"),
        ))
    }

    /// A length-prefixed, NUL-terminated string.
    fn string(&mut self) -> Result<String, String> {
        let n = self.u16()? as usize;
        let raw = self.take(n)?;
        let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
        String::from_utf8(raw.to_vec()).map_err(|_| "a name is not UTF-8".to_owned())
    }
}

/// Bytes per element and candle dtype of a CTranslate2 dtype id.
fn dtype(id: u8) -> Result<(usize, DType), String> {
    Ok(match id {
        0 => (4, DType::F32),
        1 => (1, DType::U8), // int8, reinterpreted below
        2 => (2, DType::I16),
        3 => (4, DType::I32),
        4 => (2, DType::F16),
        5 => (2, DType::BF16),
        other => return Err(format!("unknown dtype id {other}")),
    })
}

impl Ct2Model {
    /// Parses `model.bin` bytes (format versions 2 to 6).
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        Self::parse_only(bytes, &|_, _| true)
    }

    /// Parses `model.bin` bytes, making tensors only of the variables `keep` takes (by
    /// name and shape; an int8 weight's scale is kept with it); the rest are only in
    /// `shapes`.
    pub fn parse_only(bytes: &[u8], keep: &dyn Fn(&str, &[usize]) -> bool) -> Result<Self, String> {
        let mut r = Reader { bytes, at: 0 };
        let version = r.u32()?;
        if !(2..=6).contains(&version) {
            return Err(format!(
                "format version {version} is not supported (2 to 6 are); is this a CTranslate2 model.bin?"
            ));
        }
        let spec = r.string()?;
        let _revision = r.u32()?;
        let count = r.u32()?;
        if count > 100_000 {
            return Err(format!("{count} tensors: not a model file"));
        }
        let mut tensors = HashMap::new();
        let mut shapes = HashMap::new();
        let mut int8 = Vec::new();
        for _ in 0..count {
            let name = r.string()?;
            let rank = r.u8()? as usize;
            let dims = (0..rank)
                .map(|_| r.u32().map(|d| d as usize))
                .collect::<Result<Vec<_>, _>>()?;
            let (size, dt) = if version >= 4 {
                dtype(r.u8()?)?
            } else {
                match r.u8()? {
                    4 => (4, DType::F32),
                    2 => (2, DType::F16),
                    1 => (1, DType::U8),
                    other => return Err(format!("{name}: item size {other} is not supported")),
                }
            };
            let n_bytes = r.u32()? as usize;
            let elements: usize = dims.iter().product();
            if elements * size != n_bytes {
                return Err(format!(
                    "{name}: {n_bytes} bytes do not hold {dims:?} of {size}-byte items"
                ));
            }
            let raw = r.take(n_bytes)?;
            shapes.insert(name.clone(), (dims.clone(), dt));
            let wanted = keep(&name, &dims)
                || name
                    .strip_suffix("_scale")
                    .is_some_and(|w| shapes.get(w).is_some_and(|(d, _)| keep(w, d)));
            if !wanted {
                continue;
            }
            let t = if dt == DType::U8 {
                // int8: shift to unsigned storage, undone after the cast.
                let shifted: Vec<f32> = raw.iter().map(|&b| b as i8 as f32).collect();
                int8.push(name.clone());
                Tensor::from_vec(shifted, dims.as_slice(), &Device::Cpu)
            } else if dt == DType::I16 {
                let v: Vec<f32> = raw
                    .chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]) as f32)
                    .collect();
                Tensor::from_vec(v, dims.as_slice(), &Device::Cpu)
            } else if dt == DType::I32 {
                let v: Vec<f32> = raw
                    .chunks_exact(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f32)
                    .collect();
                Tensor::from_vec(v, dims.as_slice(), &Device::Cpu)
            } else {
                // Kept in the file's type (f16 for the usual model.bin): each tensor is
                // made f32 only as the model takes it, so a model is never held whole in
                // f32 beside its file.
                Tensor::from_raw_buffer(raw, dt, &dims, &Device::Cpu)
            }
            .map_err(|e| format!("{name}: {e}"))?;
            tensors.insert(name, t);
        }
        let mut aliases = Vec::new();
        if version >= 3 {
            for _ in 0..r.u32()? {
                let alias = r.string()?;
                let target = r.string()?;
                let shape = shapes
                    .get(&target)
                    .cloned()
                    .ok_or_else(|| format!("alias {alias} names a missing {target}"))?;
                shapes.insert(alias.clone(), shape);
                aliases.push((alias, target));
            }
        }
        // Int8 weights: CTranslate2 stores round(w × scale) with one scale per row.
        for name in int8 {
            let Some(base) = name.strip_suffix("weight") else {
                continue;
            };
            let scale_name = format!("{base}weight_scale");
            let Some(scale) = tensors.get(&scale_name) else {
                return Err(format!("{name} is int8 without a {scale_name}"));
            };
            let w = &tensors[&name];
            let rows = w.dim(0).map_err(|e| e.to_string())?;
            let scale = scale
                .to_dtype(DType::F32)
                .and_then(|s| s.reshape((rows, 1)))
                .map_err(|e| e.to_string())?;
            let deq = w
                .broadcast_div(&scale)
                .map_err(|e| format!("{name}: {e}"))?;
            tensors.insert(name, deq);
        }
        // Aliases after dequantising: an alias of an int8 weight is its scaled values.
        for (alias, target) in &aliases {
            if let Some(t) = tensors.get(target).cloned() {
                tensors.insert(alias.clone(), t);
            }
        }
        Ok(Self {
            spec,
            tensors,
            shapes,
            aliases: aliases.into_iter().collect(),
        })
    }

    /// The variable `name` is stored as (itself unless it is an alias).
    pub fn stored_as<'a>(&'a self, name: &'a str) -> &'a str {
        self.aliases.get(name).map_or(name, String::as_str)
    }

    /// A rank-0 (or one-element) tensor's value.
    pub fn scalar(&self, name: &str) -> Option<f32> {
        let t = self.tensors.get(name)?;
        t.flatten_all()
            .and_then(|t| t.to_dtype(DType::F32))
            .ok()?
            .to_vec1::<f32>()
            .ok()?
            .first()
            .copied()
    }
}

/// Moves a layer norm's `gamma`/`beta` at `from` to `{to}.weight`/`{to}.bias`.
pub fn take_norm(
    m: &mut Ct2Model,
    out: &mut HashMap<String, Tensor>,
    from: &str,
    to: &str,
) -> Result<(), String> {
    for (a, b) in [("gamma", "weight"), ("beta", "bias")] {
        let t = m
            .tensors
            .remove(&format!("{from}/{a}"))
            .ok_or_else(|| format!("no {from}/{a}"))?;
        out.insert(format!("{to}.{b}"), t);
    }
    Ok(())
}

/// Moves the layers of one stack (`encoder` or `decoder`, `layers` of them) from
/// CTranslate2's names to Hugging Face's (`model.{side}.layers.{i}.…`, the same in
/// Whisper, Marian and M2M100), splitting fused projections into equal row blocks:
/// self-attention's query-key-value and, in the decoder, cross-attention's key-value.
pub fn take_layers(
    m: &mut Ct2Model,
    out: &mut HashMap<String, Tensor>,
    side: &str,
    layers: usize,
) -> Result<(), String> {
    let mut fused = Vec::new();
    for i in 0..layers {
        let from = format!("{side}/layer_{i}");
        let to = format!("model.{side}.layers.{i}");
        let mut norms = vec![
            ("self_attention", "self_attn_layer_norm"),
            ("ffn", "final_layer_norm"),
        ];
        fused.push((
            format!("{from}/self_attention/linear_0"),
            vec!["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"],
            to.clone(),
        ));
        fused.push((
            format!("{from}/self_attention/linear_1"),
            vec!["self_attn.out_proj"],
            to.clone(),
        ));
        fused.push((format!("{from}/ffn/linear_0"), vec!["fc1"], to.clone()));
        fused.push((format!("{from}/ffn/linear_1"), vec!["fc2"], to.clone()));
        if side == "decoder" {
            norms.push(("attention", "encoder_attn_layer_norm"));
            fused.push((
                format!("{from}/attention/linear_0"),
                vec!["encoder_attn.q_proj"],
                to.clone(),
            ));
            fused.push((
                format!("{from}/attention/linear_1"),
                vec!["encoder_attn.k_proj", "encoder_attn.v_proj"],
                to.clone(),
            ));
            fused.push((
                format!("{from}/attention/linear_2"),
                vec!["encoder_attn.out_proj"],
                to.clone(),
            ));
        }
        for (a, b) in norms {
            take_norm(
                m,
                out,
                &format!("{from}/{a}/layer_norm"),
                &format!("{to}.{b}"),
            )?;
        }
    }
    for (from, targets, to) in fused {
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
            for (k, target) in targets.iter().enumerate() {
                let part = t
                    .narrow(0, k * each, each)
                    .and_then(|t| t.contiguous())
                    .map_err(|e| e.to_string())?;
                out.insert(format!("{to}.{target}.{p}"), part);
            }
        }
    }
    Ok(())
}

/// How many `{side}/layer_{i}` a model has.
pub fn count_layers(shapes: &HashMap<String, (Vec<usize>, DType)>, side: &str) -> usize {
    (0..)
        .take_while(|i| shapes.contains_key(&format!("{side}/layer_{i}/ffn/linear_0/weight")))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(&((s.len() + 1) as u16).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }

    fn tensor(out: &mut Vec<u8>, name: &str, dims: &[u32], dtype: u8, data: &[u8]) {
        string(out, name);
        out.push(dims.len() as u8);
        for d in dims {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.push(dtype);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    }

    /// f16 `a/weight` aliased as `b/weight`, an i16 scalar `heads`, int8 `q/weight`
    /// with its scales, aliased as `p/weight`.
    fn sample() -> Vec<u8> {
        let mut f = Vec::new();
        f.extend_from_slice(&6u32.to_le_bytes());
        string(&mut f, "WhisperSpec");
        f.extend_from_slice(&3u32.to_le_bytes());
        f.extend_from_slice(&4u32.to_le_bytes());
        let halves: Vec<u8> = [1.5f32, -2.0]
            .iter()
            .flat_map(|v| half_bits(*v).to_le_bytes())
            .collect();
        tensor(&mut f, "a/weight", &[2], 4, &halves);
        tensor(&mut f, "heads", &[], 2, &6i16.to_le_bytes());
        tensor(&mut f, "q/weight", &[2, 2], 1, &[10u8, 246, 127, 0]);
        let scale: Vec<u8> = [10f32, 127.0]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        tensor(&mut f, "q/weight_scale", &[2], 0, &scale);
        f.extend_from_slice(&2u32.to_le_bytes());
        string(&mut f, "b/weight");
        string(&mut f, "a/weight");
        string(&mut f, "p/weight");
        string(&mut f, "q/weight");
        f
    }

    #[test]
    fn reads_tensors_aliases_scalars_and_int8() {
        let f = sample();
        let m = Ct2Model::parse(&f).unwrap();
        assert_eq!(m.spec, "WhisperSpec");
        // f16 stays f16 (the model takes each tensor as f32 when it loads it).
        for name in ["a/weight", "b/weight"] {
            let t = &m.tensors[name];
            assert_eq!(t.dtype(), DType::F16);
            let values = t.to_dtype(DType::F32).unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(values, [1.5, -2.0]);
        }
        assert_eq!(m.scalar("heads"), Some(6.0));
        assert_eq!(
            m.tensors["q/weight"].to_vec2::<f32>().unwrap(),
            [[1.0, -1.0], [1.0, 0.0]]
        );
    }

    #[test]
    fn an_alias_of_an_int8_weight_is_dequantised() {
        let m = Ct2Model::parse(&sample()).unwrap();
        assert_eq!(
            m.tensors["p/weight"].to_vec2::<f32>().unwrap(),
            [[1.0, -1.0], [1.0, 0.0]]
        );
    }

    #[test]
    fn a_partial_read_keeps_what_it_asks_for_and_every_shape() {
        let m = Ct2Model::parse_only(&sample(), &|_, dims| dims.is_empty()).unwrap();
        assert_eq!(m.scalar("heads"), Some(6.0));
        assert!(!m.tensors.contains_key("q/weight") && !m.tensors.contains_key("p/weight"));
        assert_eq!(m.shapes["p/weight"], (vec![2, 2], DType::U8));
        assert_eq!(m.shapes["b/weight"], (vec![2], DType::F16));
    }

    #[test]
    fn truncated_and_foreign_files_are_refused() {
        assert!(Ct2Model::parse(b"").unwrap_err().contains("ends early"));
        assert!(
            Ct2Model::parse(b"RIFF\0\0\0\0WAVE")
                .unwrap_err()
                .contains("version")
        );
        let mut f = Vec::new();
        f.extend_from_slice(&6u32.to_le_bytes());
        string(&mut f, "WhisperSpec");
        f.extend_from_slice(&3u32.to_le_bytes());
        f.extend_from_slice(&1u32.to_le_bytes());
        tensor(&mut f, "x", &[4], 0, &[0; 16]);
        let cut = &f[..f.len() - 3];
        assert!(Ct2Model::parse(cut).unwrap_err().contains("ends early"));
    }

    fn half_bits(v: f32) -> u16 {
        // Exact for the small values used here.
        let bits = v.to_bits();
        let sign = ((bits >> 16) & 0x8000) as u16;
        let exp = ((bits >> 23) & 0xff) as i32 - 127 + 15;
        let mant = ((bits >> 13) & 0x3ff) as u16;
        sign | ((exp as u16) << 10) | mant
    }
}
