//! f32 products `y = x · wᵀ + b` with the weights packed once in blocks of 32 outputs, one
//! input at a time: a tile of rows × 32 outputs accumulates by fused multiply-add in
//! registers, each (row, output) summed in input order whatever the batch.

use rayon::prelude::*;

use super::Isa;
use super::blocks::{BLOCK, MAX_TILE_ROWS, Tile, by_blocks, padded_bias};

/// The 32 outputs' weights for one input.
#[repr(C, align(64))]
#[derive(Clone, Copy)]
pub(super) struct Lane([f32; BLOCK]);

/// Weights of an (outputs × inputs) projection in f32, packed for [`PackedF32::forward`].
pub struct PackedF32 {
    outputs: usize,
    inputs: usize,
    /// Block `b`, input `i` at `b · inputs + i`.
    lanes: Vec<Lane>,
    /// Per output, padded to whole blocks.
    bias: Vec<f32>,
}

impl PackedF32 {
    /// Packs `w` ((outputs × inputs), row-major) and keeps `bias` (one per output).
    pub fn new(w: &[f32], outputs: usize, inputs: usize, bias: Option<&[f32]>) -> Self {
        assert_eq!(w.len(), outputs * inputs, "weights are outputs × inputs");
        let blocks = outputs.div_ceil(BLOCK);
        let mut lanes = vec![Lane([0.0; BLOCK]); blocks * inputs];
        // Block by block on the pool: each is a transpose of its 32 rows.
        lanes
            .par_chunks_mut(inputs.max(1))
            .enumerate()
            .for_each(|(b, lanes)| {
                let rows = w.chunks_exact(inputs.max(1)).skip(b * BLOCK).take(BLOCK);
                for (j, row) in rows.enumerate() {
                    for (lane, &v) in lanes.iter_mut().zip(row) {
                        lane.0[j] = v;
                    }
                }
            });
        Self {
            outputs,
            inputs,
            lanes,
            bias: padded_bias(bias, outputs),
        }
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The weights of the outputs `rows`, one after the other (`inputs` each): a lookup
    /// in a table tied to this projection, such as a model's token embeddings.
    pub fn weight_rows(&self, rows: &[usize]) -> Vec<f32> {
        let k = self.inputs;
        let mut out = Vec::with_capacity(rows.len() * k);
        for &o in rows {
            assert!(o < self.outputs, "row {o} of {}", self.outputs);
            let (b, j) = (o / BLOCK, o % BLOCK);
            out.extend(self.lanes[b * k..(b + 1) * k].iter().map(|lane| lane.0[j]));
        }
        out
    }

    /// `y = x · wᵀ + b` for the `m` rows of `x` (m × inputs, row-major): m × outputs.
    pub fn forward(&self, x: &[f32], m: usize) -> Vec<f32> {
        self.forward_on(Isa::chosen(), x, m)
    }

    /// [`Self::forward`] on a given instruction set (one this CPU has). Every set sums
    /// each output in the same order with fused multiply-adds, so they agree to the bit.
    pub fn forward_on(&self, isa: Isa, x: &[f32], m: usize) -> Vec<f32> {
        assert_eq!(x.len(), m * self.inputs, "input is m × inputs");
        assert!(
            Isa::available().contains(&isa),
            "this CPU has no {}",
            isa.name()
        );
        let (n, k) = (self.outputs, self.inputs);
        if m == 0 || n == 0 {
            return vec![0f32; m * n];
        }
        let lanes = |b: usize| &self.lanes[b * k..(b + 1) * k];
        by_blocks(
            m,
            n,
            |b, r, sums| tile(isa, lanes(b), &x[r * k..], k, m - r, sums),
            |b, _, sums, cells| {
                let bias = &self.bias[b * BLOCK..];
                for ((cell, &v), &bias) in cells.iter_mut().zip(sums).zip(bias) {
                    *cell = v + bias;
                }
            },
        )
    }
}

/// Runs the kernel for up to `rows` rows of `x` against one block, leaving each row's 32
/// sums in `acc`; returns how many rows it took.
fn tile(isa: Isa, w: &[Lane], x: &[f32], k: usize, rows: usize, acc: &mut Tile<f32>) -> usize {
    #[cfg(target_arch = "x86_64")]
    if isa != Isa::Portable {
        let take = rows.min(super::x86_f32::max_rows(isa));
        assert!(w.len() == k && x.len() >= take * k, "tile out of bounds");
        // SAFETY: `isa` was checked against what this CPU has in `forward_on`, and the
        // slices hold the `take` rows and the whole block the kernel reads.
        return unsafe { super::x86_f32::tile(isa, w, x, k, take, acc) };
    }
    let _ = isa;
    let take = rows.min(MAX_TILE_ROWS);
    for (r, acc) in acc[..take].iter_mut().enumerate() {
        *acc = [0.0; BLOCK];
        for (lane, &xv) in w.iter().zip(&x[r * k..(r + 1) * k]) {
            for (a, &wv) in acc.iter_mut().zip(&lane.0) {
                *a = xv.mul_add(wv, *a);
            }
        }
    }
    take
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn every_instruction_set_gives_the_same_bits_whatever_the_batch() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut random =
            |len: usize| -> Vec<f32> { (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect() };
        for (n, k, m) in [(70, 37, 13), (33, 5, 1), (512, 512, 32), (96, 2048, 25)] {
            let (w, b, x) = (random(n * k), random(n), random(m * k));
            let packed = PackedF32::new(&w, n, k, Some(&b));
            let reference = packed.forward_on(Isa::Portable, &x, m);
            for &isa in Isa::available() {
                assert_eq!(
                    packed.forward_on(isa, &x, m),
                    reference,
                    "{isa:?} {n}×{k}, {m} rows"
                );
                // Each row alone, as a decoding step of one hypothesis computes it.
                let last = &x[(m - 1) * k..];
                assert_eq!(
                    packed.forward_on(isa, last, 1)[..],
                    reference[(m - 1) * n..]
                );
            }
            let rows = [n - 1, 0, n / 2];
            let looked_up: Vec<f32> = rows
                .iter()
                .flat_map(|&o| w[o * k..(o + 1) * k].to_vec())
                .collect();
            assert_eq!(packed.weight_rows(&rows), looked_up);
            for r in 0..m {
                for o in 0..n {
                    let exact: f64 = (0..k)
                        .map(|i| f64::from(x[r * k + i]) * f64::from(w[o * k + i]))
                        .sum::<f64>()
                        + f64::from(b[o]);
                    let got = f64::from(reference[r * n + o]);
                    assert!(
                        (got - exact).abs() < 1e-4,
                        "{n}×{k} row {r} out {o}: {got} vs {exact}"
                    );
                }
            }
        }
    }
}
