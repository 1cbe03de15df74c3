//! `explain --format html`: one self-contained page, an SVG drawing of the network (each
//! unit's net input and output, each connection's weight and gradient) beside the text
//! derivation.

use std::fmt::Write;

use super::render::text;
use crate::network::{Network, Steps};
use crate::present::{PageStyle, escape, num, page as shell};

/// One page: an SVG drawing of the network (net/out of each unit, weight and gradient of each
/// connection) beside the derivation. Needs nothing from the network.
pub(super) fn page(net: &Network, explained: &Steps) -> String {
    let step = &explained.steps[0];
    let columns: Vec<Vec<(String, String)>> =
        std::iter::once(net.inputs.iter().enumerate().map(|(i, x)| (format!("x{}", i + 1), num(*x))).collect())
            .chain(step.layers.iter().map(|units| {
                units
                    .iter()
                    .map(|u| (u.name.clone(), format!("{} = {}, out {}", u.name, num(u.net), num(u.out))))
                    .collect()
            }))
            .collect();
    let (col_gap, row_gap) = (320i64, 170i64);
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(1) as i64;
    let (w, h) = (col_gap * (columns.len() as i64 - 1) + 220, row_gap * tallest + 60);
    let pos = |c: usize, r: usize, n: usize| -> (i64, i64) {
        let x = 80 + col_gap * c as i64;
        let y = h / 2 + (r as i64 * 2 - n as i64 + 1) * row_gap / 2;
        (x, y)
    };
    let halo = "paint-order=\"stroke\" stroke=\"white\" stroke-width=\"4\"";
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    );
    for p in &step.params {
        if let (l, j, Some(i)) = p.at {
            let (x1, y1) = pos(l, i, columns[l].len());
            let (x2, y2) = pos(l + 1, j, columns[l + 1].len());
            let _ = writeln!(
                svg,
                "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" stroke=\"#8899aa\" stroke-width=\"1.5\"/>"
            );
            // Labels sit past the middle, clear of the crossing of edges and of the circles.
            let t = 0.6;
            let (mx, my) = (x1 as f64 + t * (x2 - x1) as f64, y1 as f64 + t * (y2 - y1) as f64);
            let _ = writeln!(
                svg,
                "<text x=\"{mx:.0}\" y=\"{:.0}\" text-anchor=\"middle\" {halo}><tspan fill=\"#1f4e8c\">{} = {}</tspan><tspan x=\"{mx:.0}\" dy=\"14\" fill=\"#b03a2e\">∂E/∂{} = {}</tspan></text>",
                my - 4.0,
                p.name,
                num(p.value),
                p.name,
                num(p.gradient)
            );
        }
    }
    for (c, col) in columns.iter().enumerate() {
        for (r, (name, label)) in col.iter().enumerate() {
            let (x, y) = pos(c, r, col.len());
            let _ = writeln!(
                svg,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"30\" fill=\"#eef4fb\" stroke=\"#1f4e8c\" stroke-width=\"2\"/>"
            );
            let _ = writeln!(
                svg,
                "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{name}</text>",
                y + 4
            );
            let _ = writeln!(
                svg,
                "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" {halo}>{}</text>",
                y - 40,
                escape(label)
            );
        }
    }
    svg.push_str("</svg>\n");
    let intro = format!(
        "Step 1: each unit's net input and output; on each connection its weight and the gradient ∂E/∂w. E = {}.",
        num(step.loss)
    );
    let style = PageStyle { heading_px: Some(22), text_px: 13, line_height: "1.45" };
    shell("backprop explain", "Backpropagation, step by step", &intro, &svg, &text(net, explained), style)
}
