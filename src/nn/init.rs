//! Weight initialisers. Each draws from a generator passed in explicitly, so a seed fixes every
//! starting weight (no global random state).

use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};
use serde::{Deserialize, Serialize};

use crate::tensor::{Float, Shape, Tensor};

/// How to fill a new parameter. The scaled ones keep the variance of activations roughly
/// constant from layer to layer, which is what lets a deep network start learning at all.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// Glorot & Bengio (2010): U(−a, a) with a = √(6 / (fan_in + fan_out)); for sigmoid and tanh.
    XavierUniform,
    /// Glorot & Bengio (2010): N(0, 2 / (fan_in + fan_out)).
    XavierNormal,
    /// He et al. (2015): U(−a, a) with a = √(6 / fan_in); for ReLU.
    HeUniform,
    /// He et al. (2015): N(0, 2 / fan_in).
    HeNormal,
    Zeros,
    Constant(f64),
}

impl Init {
    /// A tensor of `shape` for a layer with `fan_in` inputs and `fan_out` outputs per unit.
    pub fn tensor<T: Float>(
        self,
        shape: impl Into<Shape>,
        fan_in: usize,
        fan_out: usize,
        rng: &mut impl Rng,
    ) -> Tensor<T> {
        let shape = shape.into();
        let n = shape.numel();
        let (fan_in, fan_out) = (fan_in.max(1) as f64, fan_out.max(1) as f64);
        let uniform = |a: f64, rng: &mut dyn rand::RngCore| -> Vec<T> {
            let d = Uniform::new_inclusive(-a, a).expect("a finite, non-negative bound");
            (0..n).map(|_| T::of(d.sample(rng))).collect()
        };
        let normal = |std: f64, rng: &mut dyn rand::RngCore| -> Vec<T> {
            let d = Normal::new(0.0, std).expect("a finite, non-negative deviation");
            (0..n).map(|_| T::of(d.sample(rng))).collect()
        };
        let data = match self {
            Init::XavierUniform => uniform((6.0 / (fan_in + fan_out)).sqrt(), rng),
            Init::XavierNormal => normal((2.0 / (fan_in + fan_out)).sqrt(), rng),
            Init::HeUniform => uniform((6.0 / fan_in).sqrt(), rng),
            Init::HeNormal => normal((2.0 / fan_in).sqrt(), rng),
            Init::Zeros => vec![T::zero(); n],
            Init::Constant(c) => vec![T::of(c); n],
        };
        Tensor::new(data, shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn stats(t: &Tensor<f64>) -> (f64, f64, f64) {
        let n = t.numel() as f64;
        let mean = t.sum() / n;
        let var = t.data().iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        let max = t.data().iter().fold(0.0f64, |m, x| m.max(x.abs()));
        (mean, var, max)
    }

    #[test]
    fn each_initialiser_has_its_published_spread() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (fan_in, fan_out) = (300, 100);
        let shape = [fan_out, fan_in];
        // Uniform(−a, a) has variance a²/3.
        let cases = [
            (Init::XavierUniform, 2.0 / 400.0, Some((6.0f64 / 400.0).sqrt())),
            (Init::XavierNormal, 2.0 / 400.0, None),
            (Init::HeUniform, 2.0 / 300.0, Some((6.0f64 / 300.0).sqrt())),
            (Init::HeNormal, 2.0 / 300.0, None),
        ];
        for (init, want_var, bound) in cases {
            let t: Tensor<f64> = init.tensor(shape, fan_in, fan_out, &mut rng);
            let (mean, var, max) = stats(&t);
            assert!(mean.abs() < 0.01, "{init:?}: mean {mean}");
            assert!((var / want_var - 1.0).abs() < 0.05, "{init:?}: variance {var}, expected {want_var}");
            if let Some(a) = bound {
                assert!(max <= a, "{init:?}: {max} outside ±{a}");
            }
        }
        let c: Tensor<f32> = Init::Constant(0.35).tensor([2], 1, 1, &mut rng);
        assert_eq!(c.data(), &[0.35, 0.35]);
        assert_eq!(Init::Zeros.tensor::<f32>([3], 1, 1, &mut rng).data(), &[0.0; 3]);
    }

    #[test]
    fn a_seed_fixes_the_weights() {
        let draw = |seed| Init::HeNormal.tensor::<f32>([4, 4], 4, 4, &mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }
}
