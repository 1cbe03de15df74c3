//! The names of a convolutional network's numbers, in the lecture's manner: the input's pixels
//! `x11` (row 1, column 1), a convolution's nets `C11` and kernel weights `k11` with its bias
//! `bk`, a pool's outputs `P11`, a global average `G1`, dense units `H1` and outputs `y1` with
//! weights `w1…` and biases `b1…`, an activation's outputs `out_C11`. An index is left out when it
//! has one value: a layer's number only when several layers share the letter, a channel only
//! when there are several; indices are run together (`C213`: channel 2, row 1, column 3) when all
//! are single digits, else joined by `_`.

use crate::nn::{LayerSpec, SampleShape};

/// `letter` with its indices (1-based), run together when each is one digit.
pub fn indexed(letter: &str, parts: &[usize]) -> String {
    let sep = if parts.iter().all(|&p| p <= 9) { "" } else { "_" };
    let parts: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
    format!("{letter}{}", parts.join(sep))
}

/// Which letter names a layer's outputs (None: the layer keeps its input's names or prefixes
/// them, as an activation does).
fn letter(layer: LayerSpec, last_dense: bool) -> Option<&'static str> {
    match layer {
        LayerSpec::Conv { .. } => Some("C"),
        LayerSpec::MaxPool { .. } | LayerSpec::AvgPool { .. } => Some("P"),
        LayerSpec::GlobalAvgPool => Some("G"),
        LayerSpec::Dense { .. } if last_dense => Some("y"),
        LayerSpec::Dense { .. } => Some("H"),
        _ => None,
    }
}

/// The names of every layer's outputs, for input `input` and layers with output shapes `shapes`:
/// `names[0]` the input's, `names[i + 1]` layer i's, each in the tensor's own order.
pub fn map_names(input: SampleShape, layers: &[LayerSpec], shapes: &[SampleShape]) -> Vec<Vec<String>> {
    let last_dense = layers.iter().rposition(|l| matches!(l, LayerSpec::Dense { .. }));
    let letters: Vec<Option<&str>> =
        layers.iter().enumerate().map(|(i, &l)| letter(l, Some(i) == last_dense)).collect();
    let mut names = vec![image_names("x", None, input)];
    for (i, &layer) in layers.iter().enumerate() {
        let below = names[i].clone();
        names.push(match (letters[i], layer) {
            (Some(l), _) => {
                let same: Vec<usize> = (0..layers.len()).filter(|&j| letters[j] == Some(l)).collect();
                let tag = (same.len() > 1).then(|| same.iter().position(|&j| j == i).expect("listed") + 1);
                image_names(l, tag, shapes[i])
            }
            (None, LayerSpec::Activation(_)) => below.iter().map(|n| format!("out_{n}")).collect(),
            (None, _) => below,
        });
    }
    names
}

/// The names of a map of `shape` under `letter`, with the layer's `tag` when several share it.
fn image_names(letter: &str, tag: Option<usize>, shape: SampleShape) -> Vec<String> {
    let mut out = vec![];
    match shape {
        SampleShape::Flat(n) => {
            for j in 1..=n {
                out.push(match tag {
                    Some(t) => format!("{letter}{t}_{j}"),
                    None => format!("{letter}{j}"),
                });
            }
        }
        SampleShape::Image { channels, height, width } => {
            for c in 1..=channels {
                for r in 1..=height {
                    for col in 1..=width {
                        let mut parts: Vec<usize> = tag.into_iter().collect();
                        if channels > 1 {
                            parts.push(c);
                        }
                        parts.extend([r, col]);
                        out.push(indexed(letter, &parts));
                    }
                }
            }
        }
    }
    out
}

/// The kernel weights' names of convolution number `tag` (None when it is the only one), in the
/// weight's own order [filters][channels][k][k], and its biases' names.
pub fn kernel_names(tag: Option<usize>, filters: usize, channels: usize, k: usize) -> (Vec<String>, Vec<String>) {
    let mut weights = vec![];
    for f in 1..=filters {
        for c in 1..=channels {
            for u in 1..=k {
                for v in 1..=k {
                    let mut parts: Vec<usize> = tag.into_iter().collect();
                    if filters > 1 {
                        parts.push(f);
                    }
                    if channels > 1 {
                        parts.push(c);
                    }
                    parts.extend([u, v]);
                    weights.push(indexed("k", &parts));
                }
            }
        }
    }
    let biases = (1..=filters)
        .map(|f| {
            let mut parts: Vec<usize> = tag.into_iter().collect();
            if filters > 1 {
                parts.push(f);
            }
            indexed("bk", &parts)
        })
        .collect();
    (weights, biases)
}
