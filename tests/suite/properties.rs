//! Property tests over random shapes: broadcasting and its adjoint (`sum_to`), reductions over
//! an axis, and the matrix product, each against a definition written out by hand here.

use backprop::autograd::{GradcheckOptions, Tape, gradcheck};
use backprop::tensor::{Shape, Tensor};
use proptest::prelude::*;

/// A shape of rank 1–4 with dimensions 1–4.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=4, 1..=4)
}

/// A target shape and a shape that broadcasts to it: some leading axes dropped, some set to 1.
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    shape()
        .prop_flat_map(|target| {
            let rank = target.len();
            (Just(target), 0..=rank, prop::collection::vec(any::<bool>(), rank))
        })
        .prop_map(|(target, drop, ones)| {
            let small = target[drop..].iter().zip(&ones[drop..]).map(|(&d, &one)| if one { 1 } else { d }).collect();
            (target, small)
        })
}

fn values(n: usize) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-2.0f64..2.0, n)
}

fn tensor(dims: Vec<usize>) -> impl Strategy<Value = Tensor<f64>> {
    let n = dims.iter().product();
    values(n).prop_map(move |v| Tensor::new(v, dims.as_slice()))
}

/// Row-major flat index → multi-index.
fn unravel(mut i: usize, dims: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; dims.len()];
    for d in (0..dims.len()).rev() {
        idx[d] = i % dims[d];
        i /= dims[d];
    }
    idx
}

/// The element of `small` that broadcasting reads for multi-index `idx` of the target.
fn broadcast_read(small: &Tensor<f64>, idx: &[usize]) -> f64 {
    let off = idx.len() - small.dims().len();
    let sidx: Vec<usize> =
        small.dims().iter().enumerate().map(|(i, &d)| if d == 1 { 0 } else { idx[off + i] }).collect();
    small.at(&sidx)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// a + b with broadcasting equals the definition element by element.
    #[test]
    fn broadcast_add_matches_the_definition(
        (a, b) in broadcast_pair().prop_flat_map(|(t, s)| (tensor(t), tensor(s)))
    ) {
        let sum = a.add(&b);
        prop_assert_eq!(sum.shape(), a.shape());
        for i in 0..sum.numel() {
            let idx = unravel(i, a.dims());
            prop_assert_eq!(sum.data()[i], a.at(&idx) + broadcast_read(&b, &idx));
        }
    }

    /// sum_to is the adjoint of broadcasting: ⟨broadcast(x), g⟩ = ⟨x, sum_to(g)⟩.
    #[test]
    fn sum_to_is_the_adjoint_of_broadcasting(
        (x, g) in broadcast_pair().prop_flat_map(|(t, s)| (tensor(s), tensor(t)))
    ) {
        let zeros = Tensor::zeros(g.shape());
        let bx = zeros.add(&x); // x broadcast to g's shape
        let lhs: f64 = bx.data().iter().zip(g.data()).map(|(a, b)| a * b).sum();
        let reduced = g.sum_to(x.shape());
        prop_assert_eq!(reduced.shape(), x.shape());
        let rhs: f64 = x.data().iter().zip(reduced.data()).map(|(a, b)| a * b).sum();
        prop_assert!((lhs - rhs).abs() < 1e-9, "{} vs {}", lhs, rhs);
    }

    /// The backward of a broadcasting multiply passes gradcheck for random shape pairs.
    #[test]
    fn broadcast_mul_and_sub_gradients_pass_gradcheck(
        (a, b) in broadcast_pair().prop_flat_map(|(t, s)| (tensor(t), tensor(s)))
    ) {
        let report = gradcheck(|_, v| (v[0] * v[1]) - v[1], &[a, b], &GradcheckOptions::default());
        prop_assert!(report.passed(), "{}", report);
    }

    /// Sum, mean and max over an axis equal the definition, with and without keepdim.
    #[test]
    fn axis_reductions_match_the_definition(
        (t, axis) in shape().prop_flat_map(|d| { let r = d.len(); (tensor(d), 0..r) }),
        keepdim in any::<bool>(),
    ) {
        let tape = Tape::<f64>::new();
        let x = tape.input(&t);
        let (s, m, mx) = (x.sum_axis(axis, keepdim), x.mean_axis(axis, keepdim), x.max_axis(axis, keepdim));
        let dims = t.dims().to_vec();
        let want_shape: Vec<usize> = if keepdim {
            dims.iter().enumerate().map(|(i, &d)| if i == axis { 1 } else { d }).collect()
        } else {
            dims.iter().enumerate().filter(|&(i, _)| i != axis).map(|(_, &d)| d).collect()
        };
        prop_assert_eq!(s.shape(), Shape::new(&want_shape));
        let kept: Vec<usize> = dims.iter().enumerate().map(|(i, &d)| if i == axis { 1 } else { d }).collect();
        let n_out: usize = kept.iter().product();
        for o in 0..n_out {
            let mut idx = unravel(o, &kept);
            let mut along = vec![];
            for j in 0..dims[axis] {
                idx[axis] = j;
                along.push(t.at(&idx));
            }
            let total: f64 = along.iter().sum();
            prop_assert!((s.value().data()[o] - total).abs() < 1e-12);
            prop_assert!((m.value().data()[o] - total / dims[axis] as f64).abs() < 1e-12);
            prop_assert_eq!(mx.value().data()[o], along.iter().copied().fold(f64::MIN, f64::max));
        }
    }

    /// Reductions' gradients pass gradcheck on random shapes and axes.
    #[test]
    fn axis_reduction_gradients_pass_gradcheck(
        (t, axis) in shape().prop_flat_map(|d| { let r = d.len(); (tensor(d), 0..r) }),
    ) {
        let report = gradcheck(
            move |_, v| v[0].sum_axis(axis, false).square() + v[0].mean_axis(axis, false),
            &[t],
            &GradcheckOptions::default(),
        );
        prop_assert!(report.passed(), "{}", report);
    }

    /// The product equals the triple-loop definition for every transpose flag, across the size
    /// where the kernel switches from a plain loop to gemm.
    #[test]
    fn matmul_matches_the_definition(
        (m, k, n) in (1usize..40, 1usize..40, 1usize..40),
        ta in any::<bool>(), tb in any::<bool>(), seed in any::<u64>(),
    ) {
        let val = |i: usize, salt: u64| (((i as u64).wrapping_mul(2654435761) ^ seed ^ salt) % 1000) as f64 / 500.0 - 1.0;
        let a = Tensor::new((0..m * k).map(|i| val(i, 1)).collect(), [m, k]);
        let b = Tensor::new((0..k * n).map(|i| val(i, 2)).collect(), [k, n]);
        let tape = Tape::<f64>::new();
        let a_in = tape.input(&if ta { a.transpose() } else { a.clone() });
        let b_in = tape.input(&if tb { b.transpose() } else { b.clone() });
        let c = a_in.matmul_opts(b_in, ta, tb);
        prop_assert_eq!(c.shape(), Shape::new(&[m, n]));
        for i in 0..m {
            for j in 0..n {
                let want: f64 = (0..k).map(|p| a.at(&[i, p]) * b.at(&[p, j])).sum();
                prop_assert!((c.value().at(&[i, j]) - want).abs() < 1e-10);
            }
        }
    }

    /// The product's gradients pass gradcheck for random shapes and transpose flags.
    #[test]
    fn matmul_gradients_pass_gradcheck(
        (a, b, ta, tb) in (1usize..6, 1usize..6, 1usize..6, any::<bool>(), any::<bool>())
            .prop_flat_map(|(m, k, n, ta, tb)| {
                let sa = if ta { vec![k, m] } else { vec![m, k] };
                let sb = if tb { vec![n, k] } else { vec![k, n] };
                (tensor(sa), tensor(sb), Just(ta), Just(tb))
            }),
    ) {
        let report = gradcheck(move |_, v| v[0].matmul_opts(v[1], ta, tb), &[a, b], &GradcheckOptions::default());
        prop_assert!(report.passed(), "{}", report);
    }
}
