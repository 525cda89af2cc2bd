//! Reader for CTranslate2's `model.bin` (as faster-whisper ships models): a format
//! version, the spec name, then named tensors each with a dtype id and raw bytes, then
//! aliases. Int8 weights are dequantised with their `weight_scale`.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};

/// The named tensors of a CTranslate2 model (scalars included, as rank-0): floats in the
/// file's type, int8 weights dequantised and integers in f32.
#[derive(Debug)]
pub struct Ct2Model {
    pub spec: String,
    pub tensors: HashMap<String, Tensor>,
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
        if version >= 3 {
            let aliases = r.u32()?;
            for _ in 0..aliases {
                let alias = r.string()?;
                let target = r.string()?;
                let t = tensors
                    .get(&target)
                    .cloned()
                    .ok_or_else(|| format!("alias {alias} names a missing {target}"))?;
                tensors.insert(alias, t);
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
        Ok(Self { spec, tensors })
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

    #[test]
    fn reads_tensors_aliases_scalars_and_int8() {
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
        f.extend_from_slice(&1u32.to_le_bytes());
        string(&mut f, "b/weight");
        string(&mut f, "a/weight");
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
