//! CPU kernels inference spends its time in: matrix products for decoding steps (weights
//! quantised and packed once at load in the order the kernel reads them) and softmax,
//! GELU and SiLU with a vectorised exponential (`elementwise`), the instruction set chosen
//! once at run time; and the heap policy that keeps their large buffers reused (`heap`).

#[allow(unsafe_code)]
mod blocks;
#[allow(unsafe_code)]
mod elementwise;
#[allow(unsafe_code)]
mod f32;
#[allow(unsafe_code)]
mod heap;
#[allow(unsafe_code)]
mod int8;
#[allow(unsafe_code)]
pub mod peak;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86;
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
mod x86_f32;

use std::sync::OnceLock;

pub use elementwise::{exp, gelu_erf, silu, softmax_rows};
pub use f32::PackedF32;
pub use heap::keep_buffers_on_heap;
pub use int8::PackedI8;

/// The instruction sets the kernels have code for, fastest first. The f32 kernel uses
/// each one's vector width (512 bits for the first, 256 for the next two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// 512-bit integer dot products (`vpdpbusd`): Xeon since Cascade Lake, Zen 4.
    Avx512Vnni,
    /// The 256-bit form of the same instruction: Alder Lake and later cores.
    AvxVnni,
    /// `vpmaddubsw` and `vpmaddwd`: every x86-64-v3 CPU.
    Avx2,
    /// Plain Rust: any CPU, and the reference the others are tested against.
    Portable,
}

impl Isa {
    /// Every instruction set this CPU runs, fastest first (`Portable` always last).
    /// Detected once per process (the products check it on every call).
    pub fn available() -> &'static [Isa] {
        static AVAILABLE: OnceLock<Vec<Isa>> = OnceLock::new();
        AVAILABLE.get_or_init(|| {
            let mut all = Vec::new();
            #[cfg(target_arch = "x86_64")]
            {
                if is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vnni")
                {
                    all.push(Isa::Avx512Vnni);
                }
                if is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("fma")
                    && is_x86_feature_detected!("avxvnni")
                {
                    all.push(Isa::AvxVnni);
                }
                if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                    all.push(Isa::Avx2);
                }
            }
            all.push(Isa::Portable);
            all
        })
    }

    /// The instruction set products run on: the fastest this CPU has, or a slower one
    /// named by `TOEX_CPU_KERNEL` (for comparing kernels; a set the CPU lacks is refused
    /// by falling back to the fastest). Decided once per process.
    pub fn chosen() -> Isa {
        static CHOSEN: OnceLock<Isa> = OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let all = Self::available();
            let asked = std::env::var("TOEX_CPU_KERNEL").ok();
            asked
                .and_then(|name| all.iter().copied().find(|isa| isa.name() == name))
                .unwrap_or(all[0])
        })
    }

    /// The name `TOEX_CPU_KERNEL` and the benches use.
    pub fn name(self) -> &'static str {
        match self {
            Isa::Avx512Vnni => "avx512vnni",
            Isa::AvxVnni => "avxvnni",
            Isa::Avx2 => "avx2",
            Isa::Portable => "portable",
        }
    }
}
