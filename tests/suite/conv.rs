//! 2-D convolution's and pooling's forward values against their definitions, written out
//! here (pooling: the maximum or the mean over each window, padding −∞ or 0), and convolution's (PyTorch's `conv2d`: y[n, k, oy, ox] = b[k] + Σ_c Σ_i Σ_j w[k, c, i, j]·x[n, c, oy·s + i·d − p,
//! ox·s + j·d − p], zero outside the image), and a hand-worked case. The backward rules are
//! checked against finite differences in `gradcheck_ops.rs`.

use backprop::autograd::Tape;
use backprop::tensor::{Conv2dGeometry, Pool2d, Tensor};
use rand::{Rng, SeedableRng};

/// The definition, one output at a time.
fn by_definition(x: &Tensor<f64>, w: &Tensor<f64>, b: &Tensor<f64>, g: Conv2dGeometry) -> Vec<f64> {
    let [n, c_in, h, wd] = x.dims()[..] else { panic!() };
    let [c_out, _, kh, kw] = w.dims()[..] else { panic!() };
    let out =
        |len: usize, k: usize, a: usize| (len + 2 * g.padding[a] - (g.dilation[a] * (k - 1) + 1)) / g.stride[a] + 1;
    let (oh, ow) = (out(h, kh, 0), out(wd, kw, 1));
    let mut y = vec![];
    for img in 0..n {
        for k in 0..c_out {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut sum = b.data()[k];
                    for c in 0..c_in {
                        for i in 0..kh {
                            for j in 0..kw {
                                let yy = (oy * g.stride[0] + i * g.dilation[0]) as isize - g.padding[0] as isize;
                                let xx = (ox * g.stride[1] + j * g.dilation[1]) as isize - g.padding[1] as isize;
                                if yy < 0 || xx < 0 || yy >= h as isize || xx >= wd as isize {
                                    continue;
                                }
                                let xv = x.data()[((img * c_in + c) * h + yy as usize) * wd + xx as usize];
                                sum += w.data()[((k * c_in + c) * kh + i) * kw + j] * xv;
                            }
                        }
                    }
                    y.push(sum);
                }
            }
        }
    }
    y
}

fn random(rng: &mut rand_chacha::ChaCha8Rng, dims: &[usize]) -> Tensor<f64> {
    Tensor::new((0..dims.iter().product()).map(|_| rng.random_range(-1.0..1.0)).collect(), dims)
}

#[test]
fn the_forward_pass_is_the_definitions_sum_for_any_geometry() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
    for case in 0..40 {
        let g = Conv2dGeometry {
            stride: [rng.random_range(1..=3), rng.random_range(1..=3)],
            padding: [rng.random_range(0..=2), rng.random_range(0..=2)],
            dilation: [rng.random_range(1..=2), rng.random_range(1..=2)],
        };
        let (kh, kw) = (rng.random_range(1..=3), rng.random_range(1..=3));
        let (h, w) = (rng.random_range(5..=12), rng.random_range(5..=12));
        let (n, c_in, c_out) = (rng.random_range(1..=3), rng.random_range(1..=4), rng.random_range(1..=5));
        let (x, wt, b) =
            (random(&mut rng, &[n, c_in, h, w]), random(&mut rng, &[c_out, c_in, kh, kw]), random(&mut rng, &[c_out]));
        let tape = Tape::new();
        let y = tape.input(&x).conv2d(tape.input(&wt), tape.input(&b), g);
        let want = by_definition(&x, &wt, &b, g);
        assert_eq!(y.value().data().len(), want.len(), "case {case}: {g:?}, shape {:?}", y.value().dims());
        for (got, want) in y.value().data().iter().zip(&want) {
            assert!((got - want).abs() < 1e-12, "case {case}: {g:?}: {got} vs {want}");
        }
    }
}

/// A batch too large for one product (45 images of 32 channels: their columns are split in two
/// runs of images): the values are the definition's, and the gradients are the sums of each
/// image's own, run alone.
#[test]
fn a_batch_split_across_products_is_the_sum_of_its_images() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let g = Conv2dGeometry { stride: [1, 1], padding: [1, 1], dilation: [1, 1] };
    let (n, c, hw) = (45, 32, 10);
    let (x, wt, b) = (random(&mut rng, &[n, c, hw, hw]), random(&mut rng, &[3, c, 5, 5]), random(&mut rng, &[3]));
    let upstream = random(&mut rng, &[n, 3, 8, 8]);
    let gradients = |x: &Tensor<f64>, up: &[f64]| {
        let tape = Tape::new();
        let (xv, wv, bv) = (tape.variable(x), tape.variable(&wt), tape.variable(&b));
        let y = xv.conv2d(wv, bv, g);
        let grads = tape.backward_from(y, &Tensor::new(up.to_vec(), y.shape().dims()));
        let d = |v| grads.wrt(v).unwrap().data().to_vec();
        (y.value().data().to_vec(), d(xv), d(wv), d(bv))
    };
    let (y, dx, dw, db) = gradients(&x, upstream.data());
    for (got, want) in y.iter().zip(by_definition(&x, &wt, &b, g)) {
        assert!((got - want).abs() < 1e-11, "{got} vs {want}");
    }
    let (mut dw_sum, mut db_sum) = (vec![0.0; dw.len()], vec![0.0; db.len()]);
    let (per_x, per_y) = (c * hw * hw, 3 * 64);
    for i in 0..n {
        let one = Tensor::new(x.data()[i * per_x..(i + 1) * per_x].to_vec(), [1, c, hw, hw]);
        let (_, dxi, dwi, dbi) = gradients(&one, &upstream.data()[i * per_y..(i + 1) * per_y]);
        for (got, want) in dx[i * per_x..(i + 1) * per_x].iter().zip(&dxi) {
            assert!((got - want).abs() < 1e-11, "image {i}: {got} vs {want}");
        }
        dw_sum.iter_mut().zip(&dwi).for_each(|(s, v)| *s += v);
        db_sum.iter_mut().zip(&dbi).for_each(|(s, v)| *s += v);
    }
    for (got, want) in dw.iter().zip(&dw_sum).chain(db.iter().zip(&db_sum)) {
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }
}

/// By hand: the 3×3 image 1…9 and the 2×2 kernel [[1, 0], [0, −1]] (each output is the top
/// left of its window minus the bottom right: 1 − 5, 2 − 6, 4 − 8, 5 − 9 = −4 each), bias 0.5.
#[test]
fn a_hand_worked_convolution() {
    let tape = Tape::new();
    let x = tape.input(&Tensor::new((1..=9).map(f64::from).collect(), [1, 1, 3, 3]));
    let w = tape.input(&Tensor::new(vec![1.0, 0.0, 0.0, -1.0], [1, 1, 2, 2]));
    let b = tape.input(&Tensor::new(vec![0.5], [1]));
    let y = x.conv2d(w, b, Conv2dGeometry::default());
    assert_eq!(y.value().dims(), [1, 1, 2, 2]);
    assert_eq!(y.value().data(), [-3.5, -3.5, -3.5, -3.5]);
}

#[test]
#[should_panic(expected = "conv2d: input [1, 2, 3, 3], weight [1, 3, 2, 2], bias [1]")]
fn mismatched_channels_are_a_panic_naming_the_shapes() {
    let tape = Tape::new();
    let x = tape.input(&Tensor::<f64>::zeros([1, 2, 3, 3]));
    let w = tape.input(&Tensor::<f64>::zeros([1, 3, 2, 2]));
    let b = tape.input(&Tensor::<f64>::zeros([1]));
    let _ = x.conv2d(w, b, Conv2dGeometry::default());
}

/// Pooling by its definition: each output the maximum (padding never chosen) or the sum over
/// the whole window size (padding counted as zeros) of one window.
fn pooled(x: &Tensor<f64>, p: Pool2d, max: bool) -> Vec<f64> {
    let [n, c, h, w] = x.dims()[..] else { panic!() };
    let out = |len: usize, a: usize| (len + 2 * p.padding[a] - p.kernel[a]) / p.stride[a] + 1;
    let mut y = vec![];
    for plane in 0..n * c {
        for oy in 0..out(h, 0) {
            for ox in 0..out(w, 1) {
                let mut values = vec![];
                for i in 0..p.kernel[0] {
                    for j in 0..p.kernel[1] {
                        let yy = (oy * p.stride[0] + i) as isize - p.padding[0] as isize;
                        let xx = (ox * p.stride[1] + j) as isize - p.padding[1] as isize;
                        if yy >= 0 && xx >= 0 && (yy as usize) < h && (xx as usize) < w {
                            values.push(x.data()[(plane * h + yy as usize) * w + xx as usize]);
                        }
                    }
                }
                y.push(if max {
                    values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                } else {
                    values.iter().sum::<f64>() / (p.kernel[0] * p.kernel[1]) as f64
                });
            }
        }
    }
    y
}

#[test]
fn pooling_is_the_windows_maximum_or_mean_for_any_window() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    for case in 0..40 {
        let kernel = [rng.random_range(1..=3), rng.random_range(1..=3)];
        let p = Pool2d {
            kernel,
            stride: [rng.random_range(1..=3), rng.random_range(1..=3)],
            padding: [rng.random_range(0..=kernel[0] / 2), rng.random_range(0..=kernel[1] / 2)],
        };
        // Every fourth case the usual `maxpool 2`, which has a path of its own.
        let p = if case % 4 == 0 { Pool2d::square(2) } else { p };
        let dims = [rng.random_range(1..=2), rng.random_range(1..=3), rng.random_range(4..=9), rng.random_range(4..=9)];
        let x = random(&mut rng, &dims);
        let tape = Tape::new();
        for max in [true, false] {
            let v = tape.input(&x);
            let y = if max { v.max_pool2d(p) } else { v.avg_pool2d(p) };
            let want = pooled(&x, p, max);
            assert_eq!(y.value().data(), &want[..], "case {case}: {p:?}, max {max}");
        }
    }
}

/// A tie sends the whole gradient to the first maximum in row-major order (the top-left one),
/// as PyTorch's CPU kernel does.
#[test]
fn max_pooling_routes_a_tie_to_the_first_maximum() {
    let tape = Tape::new();
    let x = tape.variable(&Tensor::new(vec![1.0, 3.0, 3.0, 3.0], [1, 1, 2, 2]));
    let y = x.max_pool2d(Pool2d::square(2));
    let grads = tape.backward_from(y, &Tensor::new(vec![1.0], [1, 1, 1, 1]));
    assert_eq!(grads.wrt(x).unwrap().to_tensor().data(), [0.0, 1.0, 0.0, 0.0]);
}

/// Batch normalisation by its definition: per channel, the mean and the biased variance of the
/// n·h·w values, then γ·(x − μ)/√(σ² + ε) + β; every channel of the output then has mean β
/// and standard deviation γ (up to ε).
#[test]
fn batch_norm_normalises_each_channel_by_the_batch() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let (n, c, h, w) = (4, 3, 5, 2);
    let x = random(&mut rng, &[n, c, h, w]);
    let (gamma, beta) = (Tensor::new(vec![1.5, 0.5, 2.0], [c]), Tensor::new(vec![0.1, -0.2, 0.3], [c]));
    let tape = Tape::new();
    let y = tape.input(&x).batch_norm2d(tape.input(&gamma), tape.input(&beta), 1e-5);
    let y = y.value();
    for k in 0..c {
        let channel = |t: &Tensor<f64>| -> Vec<f64> {
            (0..n).flat_map(|i| t.data()[(i * c + k) * h * w..(i * c + k + 1) * h * w].to_vec()).collect()
        };
        let xs = channel(&x);
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        for (got, v) in channel(&y).iter().zip(&xs) {
            let want = gamma.data()[k] * (v - mean) / (var + 1e-5).sqrt() + beta.data()[k];
            assert!((got - want).abs() < 1e-12, "channel {k}: {got} vs {want}");
        }
        let ys = channel(&y);
        let out_mean = ys.iter().sum::<f64>() / ys.len() as f64;
        assert!((out_mean - beta.data()[k]).abs() < 1e-12);
    }
}
