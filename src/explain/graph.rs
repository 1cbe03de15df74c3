//! `explain --format dot`: the computation graph the engine records for a network, as Graphviz
//! source.

use std::collections::HashMap;

use crate::autograd::{Grads, ParamStore, Tape};
use crate::network::conv::ConvNetwork;
use crate::network::model::{Forward, forward};
use crate::network::{Network, unit_name};

/// Graphviz source of the computation graph the engine records for `net`: one node per tape
/// node (its op, value and gradient), edges from each op's inputs — micrograd's `draw_dot`, for
/// any network. Layer values carry their explanation names (`H = net of H1, H2…`).
pub fn computation_graph(net: &Network) -> String {
    let (model, store) = (&net.model.sequential, &net.model.params);
    let tape = Tape::new();
    let Forward { layers, error, .. } = forward(net, model, store, &tape);
    let grads = tape.backward(error);
    let mut names = HashMap::new();
    for (l, &(z, out)) in layers.iter().enumerate() {
        let units: Vec<String> = (0..net.model.units(l)).map(|j| unit_name(net, l, j)).collect();
        names.insert(z.id(), units.join(", "));
        names.insert(out.id(), units.iter().map(|u| format!("out_{u}")).collect::<Vec<_>>().join(", "));
    }
    names.insert(error.id(), "E".to_string());
    dot(&tape, store, &grads, &names)
}

/// The same for a convolutional network: each layer's output node named by its first and last
/// numbers (`C11 … C44`).
pub fn conv_graph(net: &ConvNetwork) -> String {
    let tape = Tape::new();
    let forward = net.forward(&tape);
    let grads = tape.backward(forward.error);
    let mut names = HashMap::new();
    for (var, list) in forward.maps.iter().zip(&net.names()) {
        let span = match (list.first(), list.last()) {
            (Some(a), Some(b)) if a != b => format!("{a} … {b}"),
            (Some(a), _) => a.clone(),
            _ => continue,
        };
        names.insert(var.id(), span);
    }
    names.insert(forward.error.id(), "E".to_string());
    dot(&tape, &net.params, &grads, &names)
}

/// Graphviz source of a tape: one node per tape node (its op, the explanation's `names`, value
/// and gradient), edges from each op's inputs.
fn dot(
    tape: &Tape<f64>,
    store: &ParamStore<f64>,
    grads: &Grads<f64>,
    names: &HashMap<crate::autograd::NodeId, String>,
) -> String {
    let list = |t: &[f64]| t.iter().map(|v| format!("{v:.6}")).collect::<Vec<_>>().join(" ");
    let mut dot = String::from("digraph tape {\n  rankdir=LR;\n  node [shape=record, fontname=\"Helvetica\"];\n");
    for id in 0..tape.len() {
        let op = tape.op(id).clone();
        let label = match (&op, names.get(&id)) {
            (crate::autograd::Op::Param(p), _) => store.name(*p).to_string(),
            (_, Some(n)) => format!("{} | {n}", op.name()),
            _ => op.name().to_string(),
        };
        let value = list(tape.value(id).data());
        let grad = grads.node(id).map_or("—".to_string(), |g| list(g.data));
        dot.push_str(&format!("  n{id} [label=\"{{{label} | value {value} | grad {grad}}}\"];\n"));
        for &input in op.inputs().iter() {
            dot.push_str(&format!("  n{input} -> n{id};\n"));
        }
    }
    dot.push_str("}\n");
    dot
}
