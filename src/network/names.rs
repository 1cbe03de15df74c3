//! The lecture's names for a network's parts, used wherever a network is shown: inputs `x1…`,
//! hidden units `H1…` (`H{layer}_{unit}` with several hidden layers), outputs `y1…`, weights
//! `w1…` and biases `b1…` numbered row-major through the layers.

use super::Network;

/// Names of the units: `x1…` inputs, `H1…` (or `H{layer}_{unit}` with several hidden
/// layers), `y1…` outputs.
pub fn unit_name(net: &Network, layer: usize, unit: usize) -> String {
    let last = net.model.depth() - 1;
    if layer == last {
        format!("y{}", unit + 1)
    } else if last == 1 {
        format!("H{}", unit + 1)
    } else {
        format!("H{}_{}", layer + 1, unit + 1)
    }
}

/// The name of what feeds input `i` of layer `layer`: `x{i+1}` or the layer below's `out_…`.
pub fn input_name(net: &Network, layer: usize, i: usize) -> String {
    if layer == 0 { format!("x{}", i + 1) } else { format!("out_{}", unit_name(net, layer - 1, i)) }
}

/// The weights' and biases' names: numbered row-major through the layers (w1…, b1…).
pub fn param_names(net: &Network) -> (Vec<Vec<Vec<String>>>, Vec<Vec<String>>) {
    let (mut w, mut b) = (0, 0);
    let m = &net.model;
    let weights = (0..m.depth())
        .map(|l| {
            (0..m.units(l))
                .map(|_| {
                    (0..m.fan_in(l))
                        .map(|_| {
                            w += 1;
                            format!("w{w}")
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let biases = (0..m.depth())
        .map(|l| {
            (0..m.units(l))
                .map(|_| {
                    b += 1;
                    format!("b{b}")
                })
                .collect()
        })
        .collect();
    (weights, biases)
}
