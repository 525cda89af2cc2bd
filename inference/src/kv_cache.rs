//! A decoder layer's self-attention keys and values so far, and the causal attention of
//! new positions over them: on the host, each row's and head's positions appended in
//! place (a step adds one without copying the rest); on a device, tensors grown by
//! concatenation.

use candle_core::{DType, Tensor};
use rayon::prelude::*;

/// The keys and values cached for every row of a batch.
#[derive(Default)]
pub struct KvCache {
    /// On a device: keys transposed (batch, heads, head_dim, len), values (batch, heads,
    /// len, head_dim).
    device: Option<(Tensor, Tensor)>,
    /// On the host: per row.
    host: Vec<HostRow>,
}

/// One row's keys and values, head by head: `keys[h]` holds len × head_dim values,
/// position after position.
#[derive(Clone)]
struct HostRow {
    keys: Vec<Vec<f32>>,
    values: Vec<Vec<f32>>,
}

/// The shape of the heads: how many, how wide, and the scale still to apply to the
/// queries (1 when it is in the weights).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Heads {
    pub(crate) heads: usize,
    pub(crate) head_dim: usize,
    pub(crate) scale: f32,
}

impl KvCache {
    /// Appends this step's keys and values on a device; returns everything cached.
    pub(crate) fn grow(&mut self, k: Tensor, v: Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let (k, v) = match self.device.take() {
            Some((pk, pv)) => (Tensor::cat(&[&pk, &k], 3)?, Tensor::cat(&[&pv, &v], 2)?),
            None => (k, v),
        };
        self.device = Some((k.clone(), v.clone()));
        Ok((k, v))
    }

    /// Keeps rows `rows`, in that order, a row possibly more than once (beam search
    /// reorders, prunes and widens hypotheses).
    pub fn select_rows(&mut self, rows: &Tensor) -> candle_core::Result<()> {
        if let Some((k, v)) = self.device.take() {
            self.device = Some((k.index_select(rows, 0)?, v.index_select(rows, 0)?));
        }
        if !self.host.is_empty() {
            let rows = rows.to_dtype(DType::U32)?.to_vec1::<u32>()?;
            let held = self.host.len();
            if let Some(bad) = rows.iter().find(|&&r| r as usize >= held) {
                candle_core::bail!("row {bad} of a cache of {held}");
            }
            self.host = rows
                .iter()
                .map(|&r| self.host[r as usize].clone())
                .collect();
        }
        Ok(())
    }

    /// Causal self-attention on the host: `qkv` holds, for each of `rows` rows, `t` new
    /// positions of queries, keys and values (rows × t × 3·d, as the fused projection
    /// gives them). Appends the keys and values; returns the context (rows × t × d),
    /// each new position attending to itself and everything before it.
    pub(crate) fn attend_host(
        &mut self,
        qkv: &[f32],
        rows: usize,
        t: usize,
        shape: Heads,
    ) -> candle_core::Result<Vec<f32>> {
        let Heads {
            heads,
            head_dim: hd,
            scale,
        } = shape;
        let d = heads * hd;
        if qkv.len() != rows * t * 3 * d {
            candle_core::bail!(
                "{} values for {rows} rows × {t} positions × 3·{d}",
                qkv.len()
            );
        }
        if self.host.is_empty() {
            let empty = HostRow {
                keys: vec![Vec::new(); heads],
                values: vec![Vec::new(); heads],
            };
            self.host = vec![empty; rows];
        }
        if self.host.len() != rows {
            candle_core::bail!("the cache holds {} rows, the step {rows}", self.host.len());
        }
        let mut ctx = vec![0f32; rows * t * d];
        self.host
            .par_iter_mut()
            .zip(ctx.par_chunks_mut(t * d))
            .zip(qkv.par_chunks(t * 3 * d))
            .for_each(|((row, ctx), qkv)| {
                let before = row.keys[0].len() / hd;
                for position in qkv.chunks_exact(3 * d) {
                    for h in 0..heads {
                        row.keys[h].extend_from_slice(&position[d + h * hd..d + (h + 1) * hd]);
                        row.values[h]
                            .extend_from_slice(&position[2 * d + h * hd..2 * d + (h + 1) * hd]);
                    }
                }
                let mut scores = Vec::with_capacity(before + t);
                let mut query = vec![0f32; hd];
                for (i, (position, ctx)) in qkv
                    .chunks_exact(3 * d)
                    .zip(ctx.chunks_exact_mut(d))
                    .enumerate()
                {
                    let seen = before + i + 1;
                    for h in 0..heads {
                        for (q, &v) in query.iter_mut().zip(&position[h * hd..(h + 1) * hd]) {
                            *q = v * scale;
                        }
                        scores.clear();
                        let keys = row.keys[h][..seen * hd].chunks_exact(hd);
                        scores.extend(keys.map(|key| dot(&query, key)));
                        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                        let mut sum = 0f32;
                        for s in &mut scores {
                            *s = (*s - max).exp();
                            sum += *s;
                        }
                        let out = &mut ctx[h * hd..(h + 1) * hd];
                        let values = row.values[h][..seen * hd].chunks_exact(hd);
                        for (p, value) in scores.iter().zip(values) {
                            let p = p / sum;
                            for (o, v) in out.iter_mut().zip(value) {
                                *o += p * v;
                            }
                        }
                    }
                }
            });
        Ok(ctx)
    }
}

/// A dot product in eight lanes (vectorised by the compiler).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f32>() + tail
}
