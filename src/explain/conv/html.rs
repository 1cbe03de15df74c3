//! `explain --format html` for a convolutional network: one self-contained page that draws the
//! first step's maps as tables of cells shaded by value — the image, the kernel, each layer's
//! outputs — then, for each output position, the image with the patch under the kernel
//! highlighted beside its sum, and for each kernel weight the pixels it touched; the text
//! derivation follows.

use std::collections::HashSet;
use std::fmt::Write;

use super::text;
use crate::network::conv::{ConvNetwork, ConvSteps, Grid, Line, Part, Rule};
use crate::present::{PageStyle, escape, num, page as shell};

/// At most this many patches (or kernel weights) are drawn per layer; the text has every one.
const MAX_DRAWN: usize = 36;

/// A cell's background: blue for positive, red for negative, stronger for larger |value|.
fn shade(value: f64, largest: f64) -> String {
    let a = if largest > 0.0 { (value.abs() / largest).min(1.0) * 0.55 } else { 0.0 };
    if value >= 0.0 { format!("rgba(31,78,140,{a:.2})") } else { format!("rgba(176,58,46,{a:.2})") }
}

/// A map as a table (channels side by side), with `marked` cells outlined.
fn grid_table(grid: &Grid, marked: &HashSet<&str>, compact: bool) -> String {
    let [channels, rows, cols] = grid.dims;
    let largest = grid.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut out = String::from("<div class=\"maps\">");
    for c in 0..channels {
        out.push_str("<table class=\"grid\">");
        for r in 0..rows {
            out.push_str("<tr>");
            for col in 0..cols {
                let i = (c * rows + r) * cols + col;
                let (name, value) = (&grid.names[i], grid.values[i]);
                let class = if marked.contains(name.as_str()) { " class=\"patch\"" } else { "" };
                let label = if compact { String::new() } else { format!("<small>{}</small><br>", escape(name)) };
                let _ = write!(
                    out,
                    "<td{class} style=\"background:{}\" title=\"{} = {}\">{label}{}</td>",
                    shade(value, largest),
                    escape(name),
                    num(value),
                    num(value)
                );
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
    }
    out.push_str("</div>");
    out
}

/// The symbols a line's products multiply on their right (the patch's pixels, or the pixels a
/// kernel weight touched).
fn right_symbols(line: &Line) -> HashSet<&str> {
    match &line.rule {
        Rule::Sum { terms, .. } => terms.iter().filter_map(|t| t.right.as_ref().map(|(s, _)| s.as_str())).collect(),
        Rule::Formula { .. } => HashSet::new(),
    }
}

/// The grid whose names include `symbol` (the map a line's inputs come from).
fn grid_holding<'a>(grids: &'a [Grid], symbol: &str) -> Option<&'a Grid> {
    grids.iter().find(|g| g.names.iter().any(|n| n == symbol))
}

/// One figure per line: the input map with the line's pixels outlined, and the line.
fn figures(out: &mut String, title: &str, lines: &[Line], grids: &[Grid], symbol_of: impl Fn(&Line) -> String) {
    let _ = write!(out, "<h3>{}</h3><div class=\"figures\">", escape(title));
    for line in lines.iter().take(MAX_DRAWN) {
        let marked = right_symbols(line);
        let Some(grid) = marked.iter().next().and_then(|s| grid_holding(grids, s)) else { continue };
        let _ = write!(
            out,
            "<figure>{}<figcaption>{} = {}</figcaption></figure>",
            grid_table(grid, &marked, true),
            escape(&symbol_of(line)),
            num(line.value)
        );
    }
    if lines.len() > MAX_DRAWN {
        let _ = write!(out, "<p>… and {} more in the derivation.</p>", lines.len() - MAX_DRAWN);
    }
    out.push_str("</div>");
}

pub(super) fn page(net: &ConvNetwork, explained: &ConvSteps) -> String {
    let step = &explained.steps[0];
    let mut figure = String::from(
        "<style>.grid{border-collapse:collapse;margin:4px}.grid td{border:1px solid #ccd;padding:3px 5px;\
         font-size:11px;text-align:center;min-width:34px}.grid td.patch{outline:3px solid #e0a800;outline-offset:-3px}\
         .maps{display:flex;gap:6px}.figures{display:flex;flex-wrap:wrap;gap:10px}figure{margin:0}\
         figcaption{font-size:12px;text-align:center}h3{font-size:15px;margin:14px 0 4px}</style>",
    );
    let _ = write!(figure, "<h3>The network: {}</h3><div class=\"figures\">", escape(&net.architecture().spec()));
    for grid in &step.grids {
        let _ = write!(
            figure,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            grid_table(grid, &HashSet::new(), false),
            escape(&grid.title)
        );
    }
    figure.push_str("</div>");
    for section in &step.forward {
        if section.part == Part::ConvolutionNets {
            let title = format!("Each position: the patch under the kernel (outlined) — layer {}", section.layer + 1);
            figures(&mut figure, &title, &section.lines, &step.grids, |l| l.symbol.clone());
        }
    }
    for section in &step.backward {
        if section.part == Part::KernelGradients {
            let title = format!(
                "Each kernel weight's gradient: the pixels it touched (outlined) — layer {}",
                section.layer + 1
            );
            figures(&mut figure, &title, &section.lines, &step.grids, |l| l.symbol.clone());
        }
    }
    let intro = format!(
        "Step 1 of a convolutional network: the image, the kernel and every map, shaded by value (blue positive, red \
         negative); each output's patch and each kernel weight's pixels outlined. E = {}.",
        num(step.loss)
    );
    let style = PageStyle { heading_px: Some(22), text_px: 13, line_height: "1.45" };
    shell("backprop explain", "Backpropagation through a convolution", &intro, &figure, &text(net, explained), style)
}
