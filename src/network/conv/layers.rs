//! Each layer's part of a convolutional step: its forward lines and its backward lines, read
//! off the engine's values and gradients ([`At`]) — a convolution's nets, kernel, bias and input
//! gradients; a dense layer's nets, weight gradients and path sums; an activation's outputs and
//! local derivatives; a pool's choice and its routing. Each adds to [`Built`].

use super::lines::{Grid, Line, Part, Rule, Section, product, sum};
use super::taps::{Tap, conv_taps, image, pool_windows};
use super::{ConvNetwork, ConvTrace, PoolTrace};
use crate::loss::Loss;
use crate::nn::{Activation, LayerSpec, SampleShape};
use crate::present::num;
use crate::tensor::Tensor;

/// One layer's numbers: its place, the names and values below and above it, and E's gradient in
/// each (from the tape).
pub(super) struct At<'a> {
    pub net: &'a ConvNetwork,
    pub i: usize,
    pub layer: LayerSpec,
    pub title: String,
    pub below: &'a [String],
    pub here: &'a [String],
    pub x_in: &'a [f64],
    pub y: &'a [f64],
    pub de_in: &'a [f64],
    pub de_out: &'a [f64],
    pub shape_in: SampleShape,
    pub shape_out: SampleShape,
    pub is_last: bool,
}

/// A weighted layer's parameters: their names, values and the engine's gradients.
pub(super) struct Weights<'a> {
    pub names: &'a super::step::Named,
    pub weight: Vec<f64>,
    pub bias: Vec<f64>,
    pub weight_gradient: Vec<f64>,
    pub bias_gradient: Vec<f64>,
}

/// What the layers have built so far (backward sections in forward order; reversed at the end).
#[derive(Default)]
pub(super) struct Built {
    pub forward: Vec<Section>,
    pub backward: Vec<Section>,
    pub traces: Vec<ConvTrace>,
    pub grids: Vec<Grid>,
}

/// A convolution: each output's net as kernel × patch; the kernel's gradients as sums over the
/// positions each weight touched, the bias's, and the input's as the full convolution with the
/// kernel flipped.
pub(super) fn convolution(at: &At, kernel: usize, weights: Weights, out: &mut Built) {
    let At { i, layer, ref title, below, here, x_in, y, de_in, de_out, .. } = *at;
    let Weights { names: named, weight: w, bias, weight_gradient: gw, bias_gradient: gb } = weights;
    let geometry = layer.conv_geometry().expect("a convolution");
    let taps = conv_taps(geometry, kernel, image(at.shape_in), image(at.shape_out));
    let per_filter = here.len() / bias.len();
    out.grids.push(Grid {
        title: format!("kernel of {title}"),
        dims: [w.len() / (kernel * kernel), kernel, kernel],
        names: named.weight_names.clone(),
        values: w.clone(),
    });
    let nets = (0..here.len())
        .map(|o| {
            let terms = taps
                .iter()
                .filter(|t| t.out == o)
                .map(|t| {
                    product(
                        named.weight_names[t.weight].clone(),
                        w[t.weight],
                        Some((below[t.input].clone(), x_in[t.input])),
                    )
                })
                .collect();
            let f = o / per_filter;
            sum(here[o].clone(), terms, Some((named.bias_names[f].clone(), bias[f])), y[o])
        })
        .collect();
    out.forward.push(Section {
        part: Part::ConvolutionNets,
        layer: i,
        title: format!(
            "Convolution, {title}: each position's net is the kernel times the patch under it, plus the bias"
        ),
        note: None,
        lines: nets,
    });
    let de_dnet = |o: usize| (format!("dE/d{}", here[o]), de_out[o]);
    let kernel_lines = (0..w.len())
        .map(|k| {
            let terms = taps
                .iter()
                .filter(|t| t.weight == k)
                .map(|t| {
                    let (s, v) = de_dnet(t.out);
                    product(s, v, Some((below[t.input].clone(), x_in[t.input])))
                })
                .collect();
            sum(format!("dE/d{}", named.weight_names[k]), terms, None, gw[k])
        })
        .collect();
    let input_lines = (0..below.len())
        .map(|p| {
            let mut touching: Vec<&Tap> = taps.iter().filter(|t| t.input == p).collect();
            // The flipped kernel's order: the last kernel row and column first.
            touching.sort_by_key(|t| (std::cmp::Reverse(t.offset), t.out));
            let terms = touching
                .iter()
                .map(|t| {
                    let (s, v) = de_dnet(t.out);
                    product(s, v, Some((named.weight_names[t.weight].clone(), w[t.weight])))
                })
                .collect();
            sum(format!("dE/d{}", below[p]), terms, None, de_in[p])
        })
        .collect();
    out.backward.push(Section {
        part: Part::InputGradients,
        layer: i,
        title: format!("Input gradients, {title}: the full convolution of dE/dC with the kernel flipped"),
        note: Some(
            "dE/dx_rc = Σ_uv dE/dC_((r,c)−(u,v)) · k_uv: each pixel collects from every position whose patch held it"
                .into(),
        ),
        lines: input_lines,
    });
    let bias_lines = (0..bias.len())
        .map(|f| {
            let terms = (f * per_filter..(f + 1) * per_filter)
                .map(|o| {
                    let (s, v) = de_dnet(o);
                    product(s, v, None)
                })
                .collect();
            sum(format!("dE/d{}", named.bias_names[f]), terms, None, gb[f])
        })
        .collect();
    out.backward.push(Section {
        part: Part::BiasGradients,
        layer: i,
        title: format!("Bias gradients, {title}: the bias is added at every position"),
        note: None,
        lines: bias_lines,
    });
    out.backward.push(Section {
        part: Part::KernelGradients,
        layer: i,
        title: format!("Kernel gradients, {title}: each weight's gradient is the sum over the positions it touched"),
        note: Some("dE/dk_uv = Σ_p dE/dC_p · x_(p+(u,v)), p over every output position".into()),
        lines: kernel_lines,
    });
    out.traces.push(ConvTrace {
        layer: i,
        taps,
        kernel: w,
        kernel_side: kernel,
        kernel_names: named.weight_names.clone(),
        bias_names: named.bias_names.clone(),
        inputs: x_in.to_vec(),
        input_names: below.to_vec(),
        output_names: here.to_vec(),
        de_dnet: de_out.to_vec(),
        local: vec![1.0; here.len()],
        pool: None,
    });
}

/// A dense layer: the lecture's nets, each weight's gradient, and each input's path sum.
pub(super) fn dense(at: &At, weights: Weights, out: &mut Built) {
    let At { i, ref title, below, here, x_in, y, de_in, de_out, .. } = *at;
    let Weights { names: named, weight: w, bias, weight_gradient: gw, bias_gradient: gb } = weights;
    let cols = below.len();
    let nets = (0..here.len())
        .map(|j| {
            let terms = (0..cols)
                .map(|c| {
                    product(
                        below[c].clone(),
                        x_in[c],
                        Some((named.weight_names[j * cols + c].clone(), w[j * cols + c])),
                    )
                })
                .collect();
            sum(here[j].clone(), terms, Some((named.bias_names[j].clone(), bias[j])), y[j])
        })
        .collect();
    out.forward.push(Section {
        part: Part::DenseNets,
        layer: i,
        title: format!("Dense, {title}"),
        note: None,
        lines: nets,
    });
    let mut lines = vec![];
    for j in 0..here.len() {
        let delta = (format!("dE/d{}", here[j]), de_out[j]);
        for c in 0..cols {
            let right = Some((below[c].clone(), x_in[c]));
            let terms = vec![product(delta.0.clone(), delta.1, right)];
            lines.push(sum(format!("dE/d{}", named.weight_names[j * cols + c]), terms, None, gw[j * cols + c]));
        }
        let terms = vec![product(delta.0.clone(), delta.1, None)];
        lines.push(sum(format!("dE/d{}", named.bias_names[j]), terms, None, gb[j]));
    }
    if i > 0 {
        let lines = (0..cols)
            .map(|c| {
                let terms = (0..here.len())
                    .map(|j| {
                        product(
                            format!("dE/d{}", here[j]),
                            de_out[j],
                            Some((named.weight_names[j * cols + c].clone(), w[j * cols + c])),
                        )
                    })
                    .collect();
                sum(format!("dE/d{}", below[c]), terms, None, de_in[c])
            })
            .collect();
        out.backward.push(Section {
            part: Part::PathSums,
            layer: i,
            title: format!("Path sums into {title}: each input's gradient over every unit it feeds"),
            note: None,
            lines,
        });
    }
    out.backward.push(Section {
        part: Part::WeightGradients,
        layer: i,
        title: format!("Weight gradients, {title}: dE/dw = dE/dnet · the input it multiplies"),
        note: None,
        lines,
    });
}

/// An activation: each output, and dE/dnet = dE/dout · dout/dnet.
pub(super) fn activation(at: &At, a: Activation, out: &mut Built) {
    let At { i, ref title, below, here, x_in, y, .. } = *at;
    out.forward.push(Section {
        part: Part::Activations,
        layer: i,
        title: format!("Activation, {title}"),
        note: None,
        lines: (0..here.len())
            .map(|j| Line {
                symbol: here[j].clone(),
                rule: Rule::Formula { symbolic: a.formula_for(&below[j]), numeric: None },
                value: y[j],
            })
            .collect(),
    });
    out.backward.push(activation_section(at, a));
    if let Some(t) = out.traces.last_mut().filter(|t| t.layer + 1 == i) {
        let local = a.derivative_at(&Tensor::new(x_in.to_vec(), [x_in.len()]));
        if let Some(d) = local {
            t.local = d.data().to_vec();
        }
    }
}

/// A max, average or global average pool: each output's window, and the gradient's routing.
pub(super) fn pool(at: &At, out: &mut Built) {
    let At { i, layer, ref title, below, here, x_in, y, de_in, de_out, .. } = *at;
    let max = matches!(layer, LayerSpec::MaxPool { .. });
    let windows: Vec<Vec<Option<usize>>> = match layer.pool_window() {
        Some(p) => pool_windows(p, image(at.shape_in), image(at.shape_out)),
        None => {
            let per = below.len() / here.len();
            (0..here.len()).map(|c| (c * per..(c + 1) * per).map(Some).collect()).collect()
        }
    };
    // The first maximum of each window takes the gradient, as the engine routes it.
    let chosen: Vec<Option<usize>> = windows
        .iter()
        .map(|win| {
            max.then(|| {
                win.iter().flatten().copied().fold(None::<usize>, |best, e| match best {
                    Some(b) if x_in[b] >= x_in[e] => Some(b),
                    _ => Some(e),
                })
            })
            .flatten()
        })
        .collect();
    let kind = if max { "max" } else { "mean" };
    let lines = windows
        .iter()
        .enumerate()
        .map(|(o, win)| Line {
            symbol: here[o].clone(),
            rule: Rule::Formula {
                symbolic: window_text(kind, win, &|e| below[e].clone()),
                numeric: Some(window_text(kind, win, &|e| num(x_in[e]))),
            },
            value: y[o],
        })
        .collect();
    let choice = if max { "the largest of its window" } else { "its window's mean, padding counted as 0" };
    out.forward.push(Section {
        part: Part::Pooling,
        layer: i,
        title: format!("Pooling, {title}: each output is {choice}"),
        note: None,
        lines,
    });
    let size = windows.first().map_or(1, Vec::len);
    let routing = (0..below.len())
        .map(|e| {
            let terms = windows
                .iter()
                .enumerate()
                .filter(|(_, win)| win.contains(&Some(e)))
                .map(|(o, _)| {
                    let share = if max {
                        let hit = chosen[o] == Some(e);
                        (if hit { "1 (its max)" } else { "0 (not its max)" }.to_string(), f64::from(u8::from(hit)))
                    } else {
                        (format!("1/{size}"), 1.0 / size as f64)
                    };
                    product(format!("dE/d{}", here[o]), de_out[o], Some(share))
                })
                .collect();
            sum(format!("dE/d{}", below[e]), terms, None, de_in[e])
        })
        .collect();
    let how = if max {
        "each window's gradient goes to its maximum alone (the first, on a tie); the others get 0"
    } else {
        "each window's gradient is shared equally among its elements"
    };
    out.backward.push(Section {
        part: Part::Routing,
        layer: i,
        title: format!("Routing through {title}: {how}"),
        note: None,
        lines: routing,
    });
    let below_conv = (i >= 1).then(|| out.traces.last_mut()).flatten().filter(|t| t.layer + 1 == i || t.layer + 2 == i);
    if let Some(t) = below_conv {
        t.pool = Some(PoolTrace {
            windows: windows.iter().map(|w| w.iter().flatten().copied().collect()).collect(),
            max,
            de_dout: de_out.to_vec(),
            input_names: below.to_vec(),
        });
    }
}

/// The pool text of a window: `max(C11, C12, pad, …)`, names or numbers.
fn window_text(kind: &str, window: &[Option<usize>], show: &dyn Fn(usize) -> String) -> String {
    let items: Vec<String> = window.iter().map(|e| e.map_or("pad".to_string(), show)).collect();
    format!("{kind}({})", items.join(", "))
}

/// The backward lines of an activation: dE/dnet = dE/dout · dout/dnet, elementwise; with
/// softmax and cross-entropy, dE/dy = out − T.
fn activation_section(at: &At, a: Activation) -> Section {
    let At { net, i, ref title, below, here, x_in, y, de_in, de_out, is_last, .. } = *at;
    let local = a.derivative_at(&Tensor::new(x_in.to_vec(), [x_in.len()]));
    let lines = (0..below.len())
        .map(|j| match &local {
            Some(d) => {
                let terms = vec![product(
                    format!("dE/d{}", here[j]),
                    de_out[j],
                    Some((format!("d{}/d{}", here[j], below[j]), d.data()[j])),
                )];
                sum(format!("dE/d{}", below[j]), terms, None, de_in[j])
            }
            None => Line {
                symbol: format!("dE/d{}", below[j]),
                rule: Rule::Formula {
                    symbolic: format!("{} − T{}", here[j], j + 1),
                    numeric: Some(format!("{} − {}", num(y[j]), num(net.targets[j]))),
                },
                value: de_in[j],
            },
        })
        .collect();
    let derivative = a.definition().derivative.map(|d| d.to_string());
    let mut note = derivative;
    if is_last && net.loss == Loss::CrossEntropy {
        note = Some("with softmax and cross-entropy, dE/dy_k = out_y_k − T_k".into());
    }
    Section { part: Part::LocalDerivatives, layer: i, title: format!("Through the activation, {title}"), note, lines }
}
