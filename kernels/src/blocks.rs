//! A product's outputs shared out to the pool in blocks of 32: each task takes a run of
//! blocks and, tile by tile of rows, writes those blocks' columns of every output row.

use rayon::prelude::*;

/// Outputs per block.
pub(crate) const BLOCK: usize = 32;

/// Rows a tile takes at most (the 512-bit kernels' 2 × 12 accumulators).
pub(crate) const MAX_TILE_ROWS: usize = 12;

/// Blocks one task of the pool takes: 128 outputs.
const BLOCKS_PER_TASK: usize = 4;

/// One tile's sums: up to `MAX_TILE_ROWS` rows × 32 outputs.
pub(crate) type Tile<A> = [[A; BLOCK]; MAX_TILE_ROWS];

/// `bias` (one per output, or none: zeros) padded with zeros to whole blocks.
pub(crate) fn padded_bias(bias: Option<&[f32]>, outputs: usize) -> Vec<f32> {
    let mut padded = vec![0f32; outputs.div_ceil(BLOCK) * BLOCK];
    if let Some(bias) = bias {
        assert_eq!(bias.len(), outputs, "one bias per output");
        padded[..outputs].copy_from_slice(bias);
    }
    padded
}

/// Where the tasks write: disjoint columns of every row of `y`.
struct Columns(*mut f32);
// SAFETY: tasks write disjoint (row, column) cells of one buffer that outlives them.
unsafe impl Send for Columns {}
// SAFETY: as above; no cell is read or written by two tasks.
unsafe impl Sync for Columns {}

/// `y` (m × n, row-major): for each block `b` and first row `r`, `tile(b, r, sums)` leaves
/// the sums of up to `MAX_TILE_ROWS` rows from `r` in `sums` and says how many;
/// `finish(b, row, its_sums, cells)` turns one row's sums into its cells of block `b`
/// (32, or fewer in the last block).
pub(crate) fn by_blocks<A: Copy + Default + Send>(
    m: usize,
    n: usize,
    tile: impl Fn(usize, usize, &mut Tile<A>) -> usize + Sync,
    finish: impl Fn(usize, usize, &[A; BLOCK], &mut [f32]) + Sync,
) -> Vec<f32> {
    let mut y = vec![0f32; m * n];
    let blocks = n.div_ceil(BLOCK);
    let out = Columns(y.as_mut_ptr());
    let out = &out;
    (0..blocks.div_ceil(BLOCKS_PER_TASK))
        .into_par_iter()
        .for_each(|task| {
            let mut sums = [[A::default(); BLOCK]; MAX_TILE_ROWS];
            let first = task * BLOCKS_PER_TASK;
            for b in first..(first + BLOCKS_PER_TASK).min(blocks) {
                let cols = (n - b * BLOCK).min(BLOCK);
                let mut r = 0;
                while r < m {
                    let rows = tile(b, r, &mut sums);
                    assert!(
                        (1..=m - r).contains(&rows),
                        "a tile takes 1 to {} rows",
                        m - r
                    );
                    for (i, sums) in sums[..rows].iter().enumerate() {
                        // SAFETY: row r + i < m and columns b·32 to b·32 + cols ≤ n are
                        // inside `y`; only this task writes block `b`'s columns.
                        let cells = unsafe {
                            std::slice::from_raw_parts_mut(out.0.add((r + i) * n + b * BLOCK), cols)
                        };
                        finish(b, r + i, sums, cells);
                    }
                    r += rows;
                }
            }
        });
    y
}
