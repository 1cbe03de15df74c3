//! Where a convolution's and a pool's sums run: every (output position, kernel weight, input
//! pixel) a convolution multiplies ([`conv_taps`]), and every pool window's elements. The
//! forward nets, the kernel gradients, the input gradients and the checker's variants are all
//! sums over the same taps, so what is shown is what was summed.

use crate::nn::SampleShape;
use crate::tensor::{Conv2dGeometry, Pool2d};

/// One (output position, kernel weight, input pixel) a convolution multiplies: flat indices
/// into its output [filters, rows, columns], its weight [filters, channels, k, k] and its input
/// [channels, rows, columns]. Taps that fall on the padding are not listed (they add 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tap {
    pub out: usize,
    pub weight: usize,
    pub input: usize,
    /// The kernel offset (row, column) of this tap.
    pub offset: (usize, usize),
}

/// Every tap of a convolution of `geometry` with `k`×`k` kernels, from `input` [channels, rows,
/// columns] to `output` [filters, rows, columns], output by output.
pub fn conv_taps(g: Conv2dGeometry, k: usize, input: [usize; 3], output: [usize; 3]) -> Vec<Tap> {
    let ([c_in, h, w], [filters, oh, ow]) = (input, output);
    let mut taps = vec![];
    for f in 0..filters {
        for oy in 0..oh {
            for ox in 0..ow {
                for c in 0..c_in {
                    for u in 0..k {
                        for v in 0..k {
                            let r = (oy * g.stride[0] + u * g.dilation[0]) as isize - g.padding[0] as isize;
                            let col = (ox * g.stride[1] + v * g.dilation[1]) as isize - g.padding[1] as isize;
                            if r < 0 || col < 0 || r >= h as isize || col >= w as isize {
                                continue;
                            }
                            taps.push(Tap {
                                out: (f * oh + oy) * ow + ox,
                                weight: ((f * c_in + c) * k + u) * k + v,
                                input: (c * h + r as usize) * w + col as usize,
                                offset: (u, v),
                            });
                        }
                    }
                }
            }
        }
    }
    taps
}

/// Each window of a pool over `input` [channels, rows, columns]: the flat indices of its
/// elements (None where it lies on the padding), output by output.
pub(super) fn pool_windows(p: Pool2d, input: [usize; 3], output: [usize; 3]) -> Vec<Vec<Option<usize>>> {
    let ([c_in, h, w], [_, oh, ow]) = (input, output);
    let mut windows = vec![];
    for c in 0..c_in {
        for oy in 0..oh {
            for ox in 0..ow {
                let mut window = vec![];
                for u in 0..p.kernel[0] {
                    for v in 0..p.kernel[1] {
                        let r = (oy * p.stride[0] + u) as isize - p.padding[0] as isize;
                        let col = (ox * p.stride[1] + v) as isize - p.padding[1] as isize;
                        let inside = r >= 0 && col >= 0 && r < h as isize && col < w as isize;
                        window.push(inside.then(|| (c * h + r as usize) * w + col as usize));
                    }
                }
                windows.push(window);
            }
        }
    }
    windows
}

pub(super) fn image(shape: SampleShape) -> [usize; 3] {
    match shape {
        SampleShape::Image { channels, height, width } => [channels, height, width],
        SampleShape::Flat(n) => [1, 1, n],
    }
}
