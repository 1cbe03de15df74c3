//! Every speed threshold of the engine, in one place: the sizes at which a kernel changes
//! strategy. Each was measured on this project's machines (2-core AMD EPYC; `cargo bench
//! --bench engine`); change one only with a measurement, and say where the crossover moved.

/// Below this many multiply-adds a product runs as a plain loop: `gemm`'s fixed cost dominates
/// there (the lecture's 1×2·2×2).
pub(crate) const SMALL_PRODUCT: usize = 512;

/// Below this many multiply-adds a product stays on one thread even when more are allowed.
pub(crate) const THREADED_PRODUCT: usize = 1 << 22;

/// Up to this many multiply-adds, the fused linear layer is one dot product per output, with no
/// product dispatch at all, and the two products of its backward rule go straight to the small
/// product's loop.
pub(crate) const TINY_LINEAR: usize = 64;

/// Up to this many rows (and from [`TRANSPOSED_LINEAR_MIN_OUTPUTS`] outputs), the fused linear
/// layer computes `(W·xᵀ)ᵀ` and transposes it (see `tensor::linear` for why).
pub(crate) const TRANSPOSED_LINEAR_ROWS: usize = 128;

/// Narrower layers (the 10 logits) gain nothing from the transposed way and stay direct.
pub(crate) const TRANSPOSED_LINEAR_MIN_OUTPUTS: usize = 64;

/// Below this many elements an elementwise update stays on the calling thread (waking a second
/// thread costs more than it saves).
pub(crate) const PARALLEL_UPDATE: usize = 1 << 14;

/// Inference cuts a batch into one block per thread only when each block gets at least this
/// many rows.
pub(crate) const ROWS_PER_PREDICT_THREAD: usize = 64;

/// Inference runs a batch in blocks of at most this many rows (`Sequential::predict`). The
/// MLP 784-256-128-10 at batch 1,024, one thread, alternating 6 times: blocks of 256 rows ran
/// 129–161k samples/s (median ≈ 141k), the whole batch at once 100–116k (≈ 105k). A table's
/// network runs every block at this size, padding the last: `gemm`'s kernels depend on the
/// rows of a product (on penguins, a row predicted among 1–64 rows differed in the last bits
/// from the same row among 100 or more), and fixed blocks make each row's prediction the same
/// in any batch.
pub(crate) const PREDICT_BLOCK_ROWS: usize = 256;
