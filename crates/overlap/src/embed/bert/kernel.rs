//! The product kernel of the transformer (its linear layers and attention's two products): rows
//! of activations times one packed strip of weights, and its GELU, compiled for the CPU's vector
//! width and chosen when it runs.
//!
//! Every output is `sum_i x[r][i] * w[i][l]`, each product rounded, then added to the running sum
//! in index order `i = 0, 1, ..`: lanes are output columns, never parts of one sum. So an output's
//! bits depend neither on the strip width, nor on the rows per tile, nor on the vector width
//! (SSE2, AVX2, AVX-512): every path below gives the same floats on every CPU, which
//! `dispatched_kernel_equals_portable` checks. FMA is never used on purpose: a fused
//! multiply-add rounds once instead of twice, so its results would differ, and differ by CPU.
//! Rust never fuses `a * b + c` by itself (only `mul_add` does, which is not called here), so
//! this holds also in the AVX-512 build, where LLVM could use the FMA instructions.
//!
//! The three builds are one generic function; only the target features of the wrapper that
//! inlines it and the rows per tile (as many accumulators as the registers hold) differ. GELU's
//! `f64` operations are per value, so their lanes cannot change a bit either. Its `exp`, and
//! softmax's, is [`exp`] below (a polynomial of plain `f64` operations) rather than libm's: glibc
//! picks an FMA build of `exp` where the CPU has FMA, so libm's last bits could differ by CPU, and
//! a call per value cannot vectorize.
//!
//! Memory: none beyond `R x STRIP` accumulators on the stack.

/// Output columns per packed strip: one AVX-512 register, two AVX2 ones, four SSE2 ones.
pub const STRIP: usize = 16;

/// Which build of the kernel runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// The x86-64 baseline (SSE2), or the target's own vectors elsewhere.
    Portable,
    /// x86-64 with AVX2 (8 floats per instruction).
    Avx2,
    /// x86-64 with AVX-512F (16 floats per instruction).
    Avx512,
}

/// Environment variable that caps the kernel's build (`portable`, `avx2`, `avx512`), for
/// measuring one against another; the CPU must still have the features, else a lower build runs.
pub const KERNEL_ENV: &str = "OVERLAP_KERNEL";

/// The build [`strip_product`] uses on this CPU (detected once).
pub fn isa() -> Isa {
    static ISA: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
    *ISA.get_or_init(|| {
        let cap = match std::env::var(KERNEL_ENV).as_deref() {
            Ok("portable") => Isa::Portable,
            Ok("avx2") => Isa::Avx2,
            _ => Isa::Avx512,
        };
        detect().min_by_cap(cap)
    })
}

impl Isa {
    fn rank(self) -> u8 {
        match self {
            Isa::Portable => 0,
            Isa::Avx2 => 1,
            Isa::Avx512 => 2,
        }
    }

    fn min_by_cap(self, cap: Isa) -> Isa {
        if cap.rank() < self.rank() {
            cap
        } else {
            self
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Isa {
    if std::arch::is_x86_feature_detected!("avx512f") {
        Isa::Avx512
    } else if std::arch::is_x86_feature_detected!("avx2") {
        Isa::Avx2
    } else {
        Isa::Portable
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Isa {
    Isa::Portable
}

/// `out` (`n x STRIP`, row-major) = `x` (`n x k`, row-major) times the packed strip `w`
/// (`k x STRIP`), by the fastest build this CPU runs (the same bits by every build).
pub fn strip_product(x: &[f32], k: usize, n: usize, w: &[f32], out: &mut [f32]) {
    strip_product_by(isa(), x, k, n, w, out)
}

/// [`strip_product`] by the build `isa` (one the CPU lacks runs the portable build).
pub fn strip_product_by(isa: Isa, x: &[f32], k: usize, n: usize, w: &[f32], out: &mut [f32]) {
    assert!(x.len() >= n * k && w.len() == k * STRIP && out.len() == n * STRIP);
    run(isa, Job::Product { x, k, n, w, out })
}

/// BERT's exact GELU of every value, in place: the formula of `bert::gelu` (the same `f64`
/// operations in the same order, so the same bits), its polynomial vectorized.
pub fn gelu_in_place(v: &mut [f32]) {
    gelu_by(isa(), v)
}

/// [`gelu_in_place`] by the build `isa` (one the CPU lacks runs the portable build).
pub fn gelu_by(isa: Isa, v: &mut [f32]) {
    run(isa, Job::Gelu(v))
}

/// Softmax's exponentials: every `v` becomes `exp(v - max)` (the difference in `f32`, as before,
/// its [`exp`] in `f64`, rounded to `f32`).
pub fn softmax_exp_in_place(v: &mut [f32], max: f32) {
    softmax_exp_by(isa(), v, max)
}

/// [`softmax_exp_in_place`] by the build `isa` (one the CPU lacks runs the portable build).
pub fn softmax_exp_by(isa: Isa, v: &mut [f32], max: f32) {
    run(isa, Job::SoftmaxExp(v, max))
}

/// `e^x` by plain `f64` operations in a fixed order, the same bits on every CPU and in every
/// build (no FMA, no table, no branch, so a loop of it vectorizes): `x = k ln 2 + r` with `k`
/// the nearest integer to `x / ln 2` and `ln 2` in two parts (Cody and Waite: `k * LN2_HI` is
/// exact for `|k| < 2^21`), `e^r` by its Taylor series to `r^13 / 13!` (`|r| <= ln 2 / 2`, so
/// the first term left out is below `4.3e-18`), then times `2^k` built in the exponent bits.
/// Within a few units in the last place of the exact value for `-708 <= x <= 709`; below that
/// range 0 (the true value is below `3.4e-308`; GELU and softmax only ever add it to 1 or more
/// or multiply it by a value of at most 2), above it `e^709`.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    // Adding 1.5 * 2^52 rounds a value below 2^51 to an integer (to nearest, ties to even), which
    // then sits in the low bits of the sum's mantissa.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const C: [f64; 12] = [
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let clamped = x.clamp(-708.0, 709.0);
    let shifted = clamped * std::f64::consts::LOG2_E + SHIFT;
    let k = shifted - SHIFT;
    let r = (clamped - k * LN2_HI) - k * LN2_LO;
    let mut p = C[11];
    for &c in C[..11].iter().rev() {
        p = p * r + c;
    }
    let e_r = (p * r + 1.0) * r + 1.0;
    // `k` as an integer is the difference of the two sums' bits (both have the exponent of
    // SHIFT); -1022 <= k <= 1023, so `k + 1023` is a normal exponent.
    let k_bits = shifted.to_bits().wrapping_sub(SHIFT.to_bits());
    let scale = f64::from_bits(k_bits.wrapping_add(1023) << 52);
    // `x < -708` (or NaN, which stays NaN) picks the limit; a select, not a branch.
    let y = e_r * scale;
    if x < -708.0 {
        0.0
    } else if x.is_nan() {
        x
    } else {
        y
    }
}

/// One call into a build of the kernel.
enum Job<'a> {
    Product {
        x: &'a [f32],
        k: usize,
        n: usize,
        w: &'a [f32],
        out: &'a mut [f32],
    },
    Gelu(&'a mut [f32]),
    SoftmaxExp(&'a mut [f32], f32),
}

/// Run `job` by the build `isa` if the CPU has its features, else by the portable one.
fn run(isa: Isa, job: Job<'_>) {
    #[cfg(target_arch = "x86_64")]
    if isa.rank() <= detect().rank() {
        match isa {
            // SAFETY: calling a `target_feature` function is unsafe only because the CPU might
            // lack the features; `detect()` has just found them (AVX-512F implies AVX2). The
            // functions themselves are safe code (bounds-checked slices).
            #[allow(unsafe_code)]
            Isa::Avx512 => return unsafe { x86::avx512(job) },
            #[allow(unsafe_code)]
            Isa::Avx2 => return unsafe { x86::avx2(job) },
            Isa::Portable => {}
        }
    }
    let _ = isa;
    match job {
        Job::Product { x, k, n, w, out } => rows::<2>(x, k, n, w, out),
        Job::Gelu(v) => gelu_values(v),
        Job::SoftmaxExp(v, max) => softmax_exp(v, max),
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{gelu_values, rows, softmax_exp, Job};

    /// Products by 8 rows: 8 accumulators of one 16-float register each, of the 32 registers.
    #[target_feature(enable = "avx512f")]
    pub(super) fn avx512(job: Job<'_>) {
        match job {
            Job::Product { x, k, n, w, out } => rows::<8>(x, k, n, w, out),
            Job::Gelu(v) => gelu_values(v),
            Job::SoftmaxExp(v, max) => softmax_exp(v, max),
        }
    }

    /// Products by 4 rows: 8 accumulators of 8 floats (two registers a row), of the 16 registers.
    #[target_feature(enable = "avx2")]
    pub(super) fn avx2(job: Job<'_>) {
        match job {
            Job::Product { x, k, n, w, out } => rows::<4>(x, k, n, w, out),
            Job::Gelu(v) => gelu_values(v),
            Job::SoftmaxExp(v, max) => softmax_exp(v, max),
        }
    }
}

/// Numerical Recipes' Chebyshev fit of `erfc(x)`, up to its `exp`: `(t, exponent)`, with
/// `erfc(x) = erfc_from(x, t, exponent.exp())` (fractional error below 1.2e-7).
#[inline(always)]
pub fn erfc_exponent(x: f64) -> (f64, f64) {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    (t, poly)
}

/// See [`erfc_exponent`]; `e` is `exp` of its exponent.
#[inline(always)]
pub fn erfc_from(x: f64, t: f64, e: f64) -> f64 {
    let r = t * e;
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// GELU, one value at a time in one loop that vectorizes ([`exp`] is no call).
#[inline(always)]
fn gelu_values(v: &mut [f32]) {
    for x in v.iter_mut() {
        let a = f64::from(*x) / std::f64::consts::SQRT_2;
        let (t, e) = erfc_exponent(a);
        let erfc = erfc_from(a, t, exp(e));
        *x = (f64::from(*x) * (1.0 - 0.5 * erfc)) as f32;
    }
}

/// See [`softmax_exp_in_place`].
#[inline(always)]
fn softmax_exp(v: &mut [f32], max: f32) {
    for s in v.iter_mut() {
        *s = exp(f64::from(*s - max)) as f32;
    }
}

/// All `n` rows by tiles of `R` rows (`R` a power of two), the last few by smaller tiles.
#[inline(always)]
fn rows<const R: usize>(x: &[f32], k: usize, n: usize, w: &[f32], out: &mut [f32]) {
    let mut r = 0;
    while r + R <= n {
        tile::<R>(x, k, r, w, &mut out[r * STRIP..(r + R) * STRIP]);
        r += R;
    }
    if R > 4 && r + 4 <= n {
        tile::<4>(x, k, r, w, &mut out[r * STRIP..(r + 4) * STRIP]);
        r += 4;
    }
    if R > 2 && r + 2 <= n {
        tile::<2>(x, k, r, w, &mut out[r * STRIP..(r + 2) * STRIP]);
        r += 2;
    }
    while r < n {
        tile::<1>(x, k, r, w, &mut out[r * STRIP..(r + 1) * STRIP]);
        r += 1;
    }
}

/// `R` rows of `x` (from row `r0`) times one packed strip `w` (`k x STRIP`) into `out`
/// (`R x STRIP`). Each output is summed over `i` in order, a separate multiply and add.
#[inline(always)]
fn tile<const R: usize>(x: &[f32], k: usize, r0: usize, w: &[f32], out: &mut [f32]) {
    let mut acc = [[0f32; STRIP]; R];
    let rows: [&[f32]; R] = std::array::from_fn(|r| &x[(r0 + r) * k..(r0 + r + 1) * k]);
    for (i, wi) in w.chunks_exact(STRIP).enumerate() {
        let wi: &[f32; STRIP] = wi.try_into().expect("strip width");
        for r in 0..R {
            let xv = rows[r][i];
            for l in 0..STRIP {
                acc[r][l] += xv * wi[l];
            }
        }
    }
    for r in 0..R {
        out[r * STRIP..(r + 1) * STRIP].copy_from_slice(&acc[r]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(x: &[f32], k: usize, n: usize, w: &[f32]) -> Vec<f32> {
        let mut out = vec![0f32; n * STRIP];
        for r in 0..n {
            for l in 0..STRIP {
                let mut s = 0f32;
                for i in 0..k {
                    s += x[r * k + i] * w[i * STRIP + l];
                }
                out[r * STRIP + l] = s;
            }
        }
        out
    }

    /// The own `exp` stays within a few units in the last place of libm's over the range GELU and
    /// softmax use, and gives the limits outside it.
    #[test]
    fn exp_is_within_a_few_ulp_of_libm() {
        let mut worst = 0f64;
        let mut x = -708.0f64;
        while x <= 709.0 {
            for d in [0.0, 1e-9, 0.3466, 0.5, std::f64::consts::LN_2] {
                let v = x + d;
                if v > 709.0 {
                    continue;
                }
                let (got, want) = (exp(v), v.exp());
                let ulp = (want.to_bits() as i64 - got.to_bits() as i64).unsigned_abs() as f64;
                worst = worst.max(ulp);
            }
            x += 0.0137;
        }
        assert!(worst <= 2.0, "worst {worst} ulp");
        eprintln!("own exp against libm: worst {worst} ulp");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(-709.0), 0.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
        let e = std::f64::consts::E;
        assert!((exp(1.0) - e).abs() <= e * f64::EPSILON, "{}", exp(1.0));
        // Softmax's values rounded to f32: the same as libm's `exp` rounded, on a dense grid.
        let mut differ = 0;
        for i in 0..200_000 {
            let v = -(i as f32) * 0.000_5;
            if exp(f64::from(v)) as f32 != f64::from(v).exp() as f32 {
                differ += 1;
            }
        }
        assert!(
            differ <= 2,
            "{differ} of 200,000 differ after rounding to f32"
        );
    }

    /// Every build's softmax exponentials have the bits of the scalar formula.
    #[test]
    fn softmax_exp_is_the_same_in_every_build() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let values: Vec<f32> = (0..1001)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                ((state >> 11) as f64 / (1u64 << 53) as f64 * 60.0 - 50.0) as f32
            })
            .collect();
        let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let want: Vec<u32> = values
            .iter()
            .map(|&v| (exp(f64::from(v - max)) as f32).to_bits())
            .collect();
        for b in [Isa::Portable, Isa::Avx2, Isa::Avx512] {
            let mut got = values.clone();
            softmax_exp_by(b, &mut got, max);
            let got: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, want, "{b:?}");
        }
    }

    /// Every build's GELU has the bits of the scalar formula, over values of every size and sign.
    #[test]
    fn vectorized_gelu_equals_the_scalar_formula() {
        let scalar = super::super::gelu;
        let mut state = 0x853c_49e6_748f_ea9bu64;
        let mut values: Vec<f32> =
            vec![0.0, -0.0, 1.0, -1.0, 5.5, -5.5, 30.0, -30.0, 1e-30, -1e-30];
        for _ in 0..5000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            values.push(((u - 0.5) * 10f64.powi((state % 5) as i32 - 1)) as f32);
        }
        let want: Vec<u32> = values.iter().map(|&v| scalar(v).to_bits()).collect();
        for b in [Isa::Portable, Isa::Avx2, Isa::Avx512] {
            // A length that leaves a short last block.
            let mut got = values.clone();
            gelu_by(b, &mut got);
            let got: Vec<u32> = got.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got, want, "{b:?}");
        }
    }

    /// Every build this CPU runs gives the bits of the plain sum, on random shapes and values.
    #[test]
    fn dispatched_kernel_equals_portable() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let best = detect();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            assert_ne!(
                best,
                Isa::Portable,
                "this CPU has AVX2: the test must run it"
            );
        }
        let builds: Vec<Isa> = [Isa::Portable, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|b| b.rank() <= best.rank())
            .collect();
        for _ in 0..200 {
            let n = (next() % 40) as usize + 1;
            let k = (next() % 300) as usize + 1;
            // Values of mixed magnitudes and signs, so that rounding differs by summation order.
            let mut val = || {
                let v = (next() >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                (v * 10f64.powi((next() % 7) as i32 - 3)) as f32
            };
            let x: Vec<f32> = (0..n * k).map(|_| val()).collect();
            let w: Vec<f32> = (0..k * STRIP).map(|_| val()).collect();
            let want = plain(&x, k, n, &w);
            for &b in &builds {
                let mut out = vec![f32::NAN; n * STRIP];
                strip_product_by(b, &x, k, n, &w, &mut out);
                let (got, exp): (Vec<u32>, Vec<u32>) = (
                    out.iter().map(|v| v.to_bits()).collect(),
                    want.iter().map(|v| v.to_bits()).collect(),
                );
                assert_eq!(got, exp, "{b:?}, n {n}, k {k}");
            }
            let mut out = vec![f32::NAN; n * STRIP];
            strip_product(&x, k, n, &w, &mut out);
            assert_eq!(
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }
}
