//! int8 products `y = x · wᵀ + b`: weights quantised per output row and packed once in
//! blocks of 32 outputs, activations quantised per input row once per product, exact
//! integer dot products, then one scale per (row, output).

use rayon::prelude::*;

use super::Isa;
use super::blocks::{BLOCK, MAX_TILE_ROWS, Tile, by_blocks, padded_bias};

/// 16 outputs × 4 consecutive inputs: byte `4 j + t` is output `j`, input `4 g + t` of
/// group `g`, the layout `vpdpbusd` sums (one 32-bit lane per output).
#[repr(C, align(64))]
#[derive(Clone, Copy)]
pub(super) struct Line(pub(super) [i8; 64]);

/// Weights of an (outputs × inputs) projection in int8, packed for [`PackedI8::forward`].
pub struct PackedI8 {
    outputs: usize,
    inputs: usize,
    /// `inputs` rounded up to a multiple of 4 (the padding is zero).
    k4: usize,
    /// Block `b`, group `g`, half `h` at `(b · groups + g) · 2 + h`.
    lines: Vec<Line>,
    /// Per output (padded to whole blocks): the weight scale, 128 × the sum of its
    /// quantised weights (what the unsigned activations of the VNNI kernels add), bias.
    scale: Vec<f32>,
    offset: Vec<i32>,
    bias: Vec<f32>,
}

impl PackedI8 {
    /// Quantises and packs `w` ((outputs × inputs), row-major, as Hugging Face stores a
    /// linear layer's weight) and keeps `bias` (one per output).
    pub fn new(w: &[f32], outputs: usize, inputs: usize, bias: Option<&[f32]>) -> Self {
        assert_eq!(w.len(), outputs * inputs, "weights are outputs × inputs");
        let k4 = inputs.div_ceil(4) * 4;
        let groups = k4 / 4;
        let blocks = outputs.div_ceil(BLOCK);
        let padded = blocks * BLOCK;
        let mut lines = vec![Line([0; 64]); blocks * groups * 2];
        let mut scale = vec![0f32; padded];
        let mut offset = vec![0i32; padded];
        // Block by block on the pool (a 256,206-token vocabulary is 8,000 blocks).
        lines
            .par_chunks_mut(groups * 2)
            .zip(
                scale
                    .par_chunks_mut(BLOCK)
                    .zip(offset.par_chunks_mut(BLOCK)),
            )
            .enumerate()
            .for_each(|(b, (lines, (scale, offset)))| {
                let rows = w.chunks_exact(inputs.max(1)).skip(b * BLOCK).take(BLOCK);
                for (j, row) in rows.enumerate() {
                    let s = scale_of(row);
                    let mut sum = 0i32;
                    for (i, v) in row.iter().enumerate() {
                        let q = (v / s).round_ties_even().clamp(-127.0, 127.0) as i8;
                        sum += i32::from(q);
                        lines[(i / 4) * 2 + j / 16].0[(j % 16) * 4 + i % 4] = q;
                    }
                    (scale[j], offset[j]) = (s, 128 * sum);
                }
            });
        Self {
            outputs,
            inputs,
            k4,
            lines,
            scale,
            offset,
            bias: padded_bias(bias, outputs),
        }
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// The weights of the outputs `rows` as the product uses them (each int8 weight times
    /// its output's scale), one after the other (`inputs` each): a lookup in a table tied
    /// to this projection, such as a model's token embeddings, held once, in int8.
    pub fn weight_rows(&self, rows: &[usize]) -> Vec<f32> {
        let lines = self.k4 / 4 * 2;
        let mut out = Vec::with_capacity(rows.len() * self.inputs);
        for &o in rows {
            assert!(o < self.outputs, "row {o} of {}", self.outputs);
            let (b, j) = (o / BLOCK, o % BLOCK);
            let block = &self.lines[b * lines..(b + 1) * lines];
            let s = self.scale[o];
            out.extend(
                (0..self.inputs)
                    .map(|i| f32::from(block[(i / 4) * 2 + j / 16].0[(j % 16) * 4 + i % 4]) * s),
            );
        }
        out
    }

    /// `y = x · wᵀ + b` for the `m` rows of `x` (m × inputs, row-major): m × outputs.
    pub fn forward(&self, x: &[f32], m: usize) -> Vec<f32> {
        self.forward_on(Isa::chosen(), x, m)
    }

    /// [`Self::forward`] on a given instruction set (one this CPU has: see
    /// [`Isa::available`]); every set gives the same answer to the bit.
    pub fn forward_on(&self, isa: Isa, x: &[f32], m: usize) -> Vec<f32> {
        assert_eq!(x.len(), m * self.inputs, "input is m × inputs");
        assert!(
            Isa::available().contains(&isa),
            "this CPU has no {}",
            isa.name()
        );
        let n = self.outputs;
        if m == 0 || n == 0 {
            return vec![0f32; m * n];
        }
        let unsigned = matches!(isa, Isa::Avx512Vnni | Isa::AvxVnni);
        let (xq, xs) = quantise_rows(x, m, self.inputs, self.k4, unsigned);
        // The VNNI kernels' activations carry +128: their sums carry 128 × Σ w.
        let unsigned = i32::from(unsigned);
        let (k4, groups) = (self.k4, self.k4 / 4);
        let lines = |b: usize| &self.lines[b * groups * 2..(b + 1) * groups * 2];
        by_blocks(
            m,
            n,
            |b, r, sums| tile(isa, lines(b), &xq[r * k4..], k4, m - r, sums),
            |b, row, sums, cells| {
                let (o, xs) = (b * BLOCK..b * BLOCK + cells.len(), xs[row]);
                let per_output = self.offset[o.clone()].iter().zip(&self.scale[o.clone()]);
                for ((cell, &dot), ((&offset, &s), &bias)) in cells
                    .iter_mut()
                    .zip(sums)
                    .zip(per_output.zip(&self.bias[o]))
                {
                    *cell = (dot - offset * unsigned) as f32 * (xs * s) + bias;
                }
            },
        )
    }
}

/// The scale that maps a row's largest magnitude to 127 (1 for a row of zeros).
fn scale_of(row: &[f32]) -> f32 {
    let amax = row.iter().fold(0f32, |m, v| m.max(v.abs()));
    if amax > 0.0 { amax / 127.0 } else { 1.0 }
}

/// Quantises each row to int8 with its own scale (max |x| ↦ 127), padded to `k4` with
/// zeros; `unsigned` stores each value plus 128, as the VNNI kernels take it.
fn quantise_rows(x: &[f32], m: usize, k: usize, k4: usize, unsigned: bool) -> (Vec<u8>, Vec<f32>) {
    let bias = if unsigned { 0x80u8 } else { 0 };
    let mut q = vec![bias; m * k4];
    let mut scales = Vec::with_capacity(m);
    for (row, out) in x.chunks_exact(k.max(1)).zip(q.chunks_exact_mut(k4)).take(m) {
        let s = scale_of(row);
        let inv = 1.0 / s;
        for (v, o) in row.iter().zip(out.iter_mut()) {
            // Ties to even: one vector instruction (ties away from zero is not).
            *o = ((v * inv).round_ties_even().clamp(-127.0, 127.0) as i8 as u8) ^ bias;
        }
        scales.push(s);
    }
    (q, scales)
}

/// Runs the kernel for up to `rows` rows of `x` against one block, leaving each row's 32
/// integer dot products in `acc`; returns how many rows it took.
fn tile(isa: Isa, w: &[Line], x: &[u8], k4: usize, rows: usize, acc: &mut Tile<i32>) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let take = rows.min(super::x86::max_rows(isa));
        assert!(
            w.len() * 2 == k4 && x.len() >= take * k4,
            "tile out of bounds"
        );
        if isa != Isa::Portable {
            // SAFETY: `isa` was checked against what this CPU has in `forward_on`, and
            // the slices hold the `take` rows and the whole block the kernel reads.
            return unsafe { super::x86::tile(isa, w, x, k4, take, acc) };
        }
    }
    let take = rows.min(MAX_TILE_ROWS);
    portable(w, x, k4, take, acc);
    take
}

/// The reference kernel: signed bytes, one product at a time.
fn portable(w: &[Line], x: &[u8], k4: usize, rows: usize, acc: &mut [[i32; BLOCK]]) {
    let groups = k4 / 4;
    for (r, acc) in acc[..rows].iter_mut().enumerate() {
        let x = &x[r * k4..(r + 1) * k4];
        for (j, out) in acc.iter_mut().enumerate() {
            let (h, lane) = (j / 16, j % 16);
            *out = (0..groups)
                .map(|g| {
                    let line = &w[g * 2 + h].0[lane * 4..lane * 4 + 4];
                    let xs = &x[g * 4..g * 4 + 4];
                    line.iter()
                        .zip(xs)
                        .map(|(&a, &b)| i32::from(a) * i32::from(b as i8))
                        .sum::<i32>()
                })
                .sum();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn random(len: usize, rng: &mut rand_chacha::ChaCha8Rng) -> Vec<f32> {
        (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    #[test]
    fn every_instruction_set_gives_the_same_bits_and_stays_near_the_f32_product() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        // Sizes off every multiple (outputs not whole blocks, inputs not whole groups, rows
        // not whole tiles), and the shapes of a decoding step.
        for (n, k, m) in [(70, 37, 13), (33, 5, 1), (512, 512, 32), (96, 2048, 25)] {
            let w = random(n * k, &mut rng);
            let b = random(n, &mut rng);
            let x = random(m * k, &mut rng);
            let packed = PackedI8::new(&w, n, k, Some(&b));
            let reference = packed.forward_on(Isa::Portable, &x, m);
            for &isa in Isa::available() {
                assert_eq!(
                    packed.forward_on(isa, &x, m),
                    reference,
                    "{isa:?} {n}×{k}, {m} rows"
                );
            }
            for r in 0..m {
                for o in 0..n {
                    let exact: f32 =
                        (0..k).map(|i| x[r * k + i] * w[o * k + i]).sum::<f32>() + b[o];
                    let got = reference[r * n + o];
                    // Two roundings to 1/254 of the largest value, over k products.
                    let bound = 0.02 * (k as f32).sqrt() + 1e-3;
                    assert!(
                        (got - exact).abs() < bound,
                        "{n}×{k} row {r} out {o}: {got} vs {exact}"
                    );
                }
            }
        }
    }

    #[test]
    fn weight_rows_are_the_weights_the_product_uses() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let (n, k) = (70, 37);
        let w = random(n * k, &mut rng);
        let packed = PackedI8::new(&w, n, k, None);
        let rows = [0, 69, 31, 32, 5, 5];
        let looked_up = packed.weight_rows(&rows);
        assert_eq!(looked_up.len(), rows.len() * k);
        for (r, &o) in rows.iter().enumerate() {
            let row = &looked_up[r * k..(r + 1) * k];
            // Within half a step of the original weights.
            let step = scale_of(&w[o * k..(o + 1) * k]);
            for (got, want) in row.iter().zip(&w[o * k..(o + 1) * k]) {
                assert!(
                    (got - want).abs() <= step / 2.0 + 1e-6,
                    "row {o}: {got} vs {want}"
                );
            }
            // The product of a one-hot row is that column of the looked-up weights.
            for i in [0, 17, k - 1] {
                let mut x = vec![0f32; k];
                x[i] = 1.0;
                let y = packed.forward_on(Isa::Portable, &x, 1);
                assert!(
                    (y[o] - row[i]).abs() <= 1e-6,
                    "row {o} input {i}: {} vs {}",
                    y[o],
                    row[i]
                );
            }
        }
    }

    #[test]
    fn a_row_of_zeros_and_an_empty_batch_give_the_bias() {
        let packed = PackedI8::new(&[1.0, -2.0, 0.5, 0.0, 0.0, 0.0], 2, 3, Some(&[0.25, -1.0]));
        for &isa in Isa::available() {
            assert_eq!(packed.forward_on(isa, &[0.0; 3], 1), vec![0.25, -1.0]);
            assert!(packed.forward_on(isa, &[], 0).is_empty());
        }
    }
}
