//! The comparison's results: every measurement by (row, tool), medians and bests over the
//! rounds, the markdown report with ratios and targets, and the bar chart of the MLP rows.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use plotters::prelude::*;

/// The tools in the order the tables show them: ours first, then the peers.
pub const OURS: &str = "backprop";
pub const PEERS: [&str; 3] = ["PyTorch", "JAX", "numpy"];

/// The share of the ceiling each MLP row aims for (the speed issue's targets; none for batch 32
/// on two threads).
fn share_target(batch: usize, threads: usize) -> f64 {
    match (batch, threads) {
        (128 | 512, 1) => 0.90,
        (32, 1) | (512, 2) => 0.85,
        (128, 2) => 0.80,
        _ => 0.0,
    }
}

/// The MLP rows: (batch, threads).
pub const MLP_ROWS: [(usize, usize); 6] = [(32, 1), (32, 2), (128, 1), (128, 2), (512, 1), (512, 2)];

pub fn mlp_row(batch: usize, threads: usize) -> String {
    format!("mlp b{batch} t{threads}")
}

/// Every value measured, by (row, tool), one per round.
#[derive(Default)]
pub struct Results {
    values: BTreeMap<(String, String), Vec<f64>>,
    /// Tool → version, as the peers report it.
    pub versions: BTreeMap<String, String>,
    /// Peers that failed, and why.
    pub failures: Vec<String>,
}

impl Results {
    pub fn add(&mut self, row: &str, tool: &str, value: f64) {
        self.values.entry((row.to_string(), tool.to_string())).or_default().push(value);
    }

    fn all(&self, row: &str, tool: &str) -> Option<&Vec<f64>> {
        self.values.get(&(row.to_string(), tool.to_string())).filter(|v| !v.is_empty())
    }

    pub fn median(&self, row: &str, tool: &str) -> Option<f64> {
        self.all(row, tool).map(|v| {
            let mut v = v.clone();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
    }

    /// The best round: the highest value, or the lowest for a time.
    pub fn best(&self, row: &str, tool: &str, higher_is_better: bool) -> Option<f64> {
        let v = self.all(row, tool)?.iter().copied();
        Some(if higher_is_better { v.fold(f64::MIN, f64::max) } else { v.fold(f64::MAX, f64::min) })
    }
}

/// A round is calm when the probe on both cores reached at least this multiple of the probe on
/// one: nothing else held the second core's FMA units while it ran. The 2-core Zen 3's rounds
/// on 2026-12-02 measured 1.81, 1.98, 1.39 and 1.98, 1.05, 1.99: near 2× or far below it.
const CALM_SCALING: f64 = 1.8;

/// Which rounds were calm (by [`CALM_SCALING`]), and the two-thread rows' shares over those
/// rounds alone, each round's rate against that round's own probe: the two-thread
/// targets hold for calm rounds.
fn calm_rounds(w: &mut String, r: &Results, flop: f64) {
    let (Some(one), Some(both)) = (r.all("ceiling t1", OURS), r.all("ceiling t2", OURS)) else {
        return;
    };
    let scaling: Vec<f64> = one.iter().zip(both).map(|(a, b)| b / a).collect();
    let calm: Vec<usize> = (0..scaling.len()).filter(|&i| scaling[i] >= CALM_SCALING).collect();
    let listed: Vec<String> = scaling
        .iter()
        .enumerate()
        .map(|(i, s)| format!("round {}: {:.2}× ({})", i + 1, s, if *s >= CALM_SCALING { "calm" } else { "noisy" }))
        .collect();
    let _ = write!(
        w,
        "\nCalm rounds: a round is calm when the probe on both cores reached ≥ {CALM_SCALING}× the probe on one \
         (nothing else held the second core). {}.",
        listed.join(", ")
    );
    let shares: Vec<String> = [32, 128, 512]
        .iter()
        .filter_map(|&b| {
            let rates = r.all(&mlp_row(b, 2), OURS)?;
            let mut s: Vec<f64> = calm.iter().filter_map(|&i| Some(rates.get(i)? * flop / (2.0 * one[i]))).collect();
            s.sort_by(f64::total_cmp);
            let median = s.get(s.len() / 2)?;
            Some(format!("batch {b} {:.0} %", median * 100.0))
        })
        .collect();
    if shares.is_empty() {
        let _ = writeln!(w, " No calm round measured the two-thread rows.");
    } else {
        let _ = writeln!(w, " Two threads in the calm rounds only, median share: {}.", shares.join(", "));
    }
}

/// How many times better ours is than a peer's (a rate: ours / peer; a time: peer / ours).
pub(crate) fn ratio(ours: Option<f64>, peer: Option<f64>, higher_is_better: bool) -> Option<f64> {
    let (o, p) = (ours?, peer?);
    Some(if higher_is_better { o / p } else { p / o })
}

pub(crate) fn cell(v: Option<f64>, fmt: impl Fn(f64) -> String) -> String {
    v.map_or("—".to_string(), fmt)
}

pub(crate) fn rate(v: f64) -> String {
    format!("{:.1}k", v / 1e3)
}

pub(crate) fn times(v: f64) -> String {
    format!("{v:.2}×")
}

pub(crate) fn yes_no(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "—",
    }
}

/// What the report says about the machine and the run.
pub struct RunInfo {
    pub machine: String,
    pub date: String,
    pub rounds: usize,
    /// Bytes of the MNIST images as f32 (train + test), for the memory target.
    pub mnist_f32_bytes: Option<f64>,
}

/// The markdown report: one table per workload, medians over the rounds with the best in
/// brackets, ratios of ours to each peer from the same run, and the targets.
pub fn markdown(r: &Results, info: &RunInfo) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# backprop side by side with PyTorch, JAX, numpy and micrograd\n");
    let _ = writeln!(
        w,
        "{} · {} · median of {} interleaved round(s), best in brackets · `cargo bench --bench compare`\n",
        info.machine, info.date, info.rounds
    );
    if !r.versions.is_empty() {
        let v: Vec<String> = r.versions.iter().map(|(t, v)| format!("{t} {v}")).collect();
        let _ = writeln!(w, "Peers: {}.\n", v.join(", "));
    }

    if MLP_ROWS.iter().any(|&(b, t)| r.median(&mlp_row(b, t), OURS).is_some()) {
        mlp_table(w, r);
    }
    let _ = writeln!(w, "\n## The lecture's 2-2-2 network: 10,000 full-batch SGD steps (ms)\n");
    let _ = writeln!(w, "| tool | ms | backprop (compiled) is × faster | backprop (recorded every step) is × faster |");
    let _ = writeln!(w, "|---|---|---|---|");
    let compiled = r.median("lecture", "backprop, compiled");
    let recorded = r.median("lecture", "backprop, recorded every step");
    for tool in ["backprop, compiled", "backprop, recorded every step", "numpy", "micrograd", "PyTorch"] {
        let m = r.median("lecture", tool);
        let ms = cell(m, |m| format!("{:.2} ({:.2})", m * 1e3, r.best("lecture", tool, false).unwrap() * 1e3));
        let (a, b) = if tool.starts_with(OURS) {
            ("".into(), "".into())
        } else {
            (
                cell(ratio(compiled, m, false), |x| format!("{x:.0}×")),
                cell(ratio(recorded, m, false), |x| format!("{x:.0}×")),
            )
        };
        let _ = writeln!(w, "| {tool} | {ms} | {a} | {b} |");
    }
    let numpy_ok = ratio(compiled, r.median("lecture", "numpy"), false).map(|x| x >= 100.0);
    let _ = writeln!(w, "\nTarget ≥ 100× numpy: {}.", yes_no(numpy_ok));

    let _ = writeln!(w, "\n## Inference: the same MLP, no gradients\n");
    let _ = writeln!(w, "| | backprop | PyTorch | JAX | numpy | × fastest peer |");
    let _ = writeln!(w, "|---|---|---|---|---|---|");
    for (row, label, higher, fmt) in [
        ("infer latency t1", "batch 1, latency µs, 1 thread", false, (|v: f64| format!("{v:.1}")) as fn(f64) -> String),
        ("infer b1024 t1", "batch 1024, samples/s, 1 thread", true, rate as fn(f64) -> String),
        ("infer b1024 t2", "batch 1024, samples/s, 2 threads", true, rate as fn(f64) -> String),
    ] {
        let ours = r.median(row, OURS);
        let peers: Vec<f64> = PEERS.iter().filter_map(|p| r.median(row, p)).collect();
        let best_peer =
            if higher { peers.iter().copied().reduce(f64::max) } else { peers.iter().copied().reduce(f64::min) };
        let show = |tool: &str| cell(r.median(row, tool), fmt);
        let _ = writeln!(
            w,
            "| {label} | {} | {} | {} | {} | {} |",
            show(OURS),
            show("PyTorch"),
            show("JAX"),
            show("numpy"),
            cell(ratio(ours, best_peer, higher), times)
        );
    }

    crate::cnn::table(w, r);
    for recipe in &crate::mnist::RECIPES {
        mnist_table(w, r, info, recipe);
    }
    if !r.failures.is_empty() {
        let _ = writeln!(w, "\n## Not measured\n");
        for f in &r.failures {
            let _ = writeln!(w, "- {f}");
        }
    }
    md
}

/// Grouped bars of the MLP rows' median samples/s, one colour per tool, as SVG and PNG.
pub fn chart(r: &Results, dir: &Path) -> Result<(), String> {
    backprop::io::register_plot_font();
    let (w, h) = (1000, 520);
    let mut svg = String::new();
    draw(r, SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area())?;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw(r, BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area())?;
    let png = backprop::io::png_bytes(&rgb, (w, h)).map_err(|e| e.to_string())?;
    // Written atomically: a reader never sees half a picture.
    backprop::io::write_atomic(&dir.join("compare.svg"), svg.as_bytes()).map_err(|e| e.to_string())?;
    backprop::io::write_atomic(&dir.join("compare.png"), &png).map_err(|e| e.to_string())
}

fn draw<DB: DrawingBackend>(r: &Results, root: DrawingArea<DB, plotters::coord::Shift>) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(err)?;
    let tools: Vec<&str> = std::iter::once(OURS).chain(PEERS).collect();
    let top = MLP_ROWS
        .iter()
        .flat_map(|&(b, t)| tools.iter().filter_map(move |tool| r.median(&mlp_row(b, t), tool)))
        .fold(1.0, f64::max)
        * 1.1
        / 1e3;
    let mut chart = ChartBuilder::on(&root)
        .caption("MLP 784-256-128-10 training, samples/s (thousands), median", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5f64..MLP_ROWS.len() as f64 - 0.5, 0f64..top)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(MLP_ROWS.len())
        .x_label_formatter(&|x| {
            // One label under each group of bars (the groups are centred on 0, 1, 2, ...).
            let i = x.round();
            match MLP_ROWS.get(i as usize) {
                Some((b, t)) if (x - i).abs() < 1e-6 && i >= 0.0 => {
                    format!("batch {b}, {t} thread{}", if *t > 1 { "s" } else { "" })
                }
                _ => String::new(),
            }
        })
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    let colours = [RGBColor(200, 60, 40), RGBColor(70, 110, 190), RGBColor(90, 160, 90), RGBColor(150, 150, 150)];
    let width = 0.8 / tools.len() as f64;
    for (k, (tool, colour)) in tools.iter().zip(colours).enumerate() {
        let bars: Vec<Rectangle<(f64, f64)>> = MLP_ROWS
            .iter()
            .enumerate()
            .filter_map(|(i, &(b, t))| {
                let v = r.median(&mlp_row(b, t), tool)? / 1e3;
                let x0 = i as f64 - 0.4 + k as f64 * width;
                Some(Rectangle::new([(x0, 0.0), (x0 + width * 0.92, v)], colour.filled()))
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(*tool)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// One MNIST recipe's table: wall time, accuracy and memory, ours and PyTorch's, and its targets.
fn mnist_table(w: &mut String, r: &Results, info: &RunInfo, recipe: &crate::mnist::Recipe) {
    let row = |measure| crate::mnist::row(recipe, measure);
    if [OURS, "PyTorch"].iter().all(|tool| r.median(&row("wall"), tool).is_none()) {
        return;
    }
    let _ = writeln!(w, "\n## {}\n", recipe.title);
    let _ = writeln!(w, "{}\n", recipe.summary);
    let _ = writeln!(w, "| tool | wall s | test accuracy | peak RSS MiB | peak RSS ÷ images as f32 |");
    let _ = writeln!(w, "|---|---|---|---|---|");
    for tool in [OURS, "PyTorch"] {
        let rss = r.median(&row("rss"), tool);
        let _ = writeln!(
            w,
            "| {tool} | {} | {} | {} | {} |",
            cell(r.median(&row("wall"), tool), |m| format!(
                "{m:.2} ({:.2})",
                r.best(&row("wall"), tool, false).unwrap()
            )),
            cell(r.median(&row("accuracy"), tool), |a| format!("{:.2} %", a * 100.0)),
            cell(rss, |b| format!("{:.0}", b / 1048576.0)),
            cell(rss.zip(info.mnist_f32_bytes).map(|(a, b)| a / b), times)
        );
    }
    let speedup = ratio(r.median(&row("wall"), OURS), r.median(&row("wall"), "PyTorch"), false);
    let wall_ok =
        speedup.zip(r.median(&row("accuracy"), OURS)).map(|(x, acc)| x >= recipe.target && acc >= recipe.accuracy);
    let mem_ok = r.median(&row("rss"), OURS).zip(info.mnist_f32_bytes).map(|(a, b)| a <= 2.0 * b);
    let _ = writeln!(
        w,
        "\nThe 70,000 images as f32: {}. Wall time, PyTorch's ÷ ours: {}. Targets: ≥ {} % in {}: {}; peak memory ≤ 2× the images as f32: {}.",
        cell(info.mnist_f32_bytes, |b| format!("{:.0} MiB", b / 1048576.0)),
        cell(speedup, times),
        recipe.accuracy * 100.0,
        if recipe.target > 1.0 {
            format!("≤ 1/{} of PyTorch's wall time", recipe.target)
        } else {
            "less wall time than PyTorch".to_string()
        },
        yes_no(wall_ok),
        yes_no(mem_ok)
    );
}

/// The MLP rows: samples/s of each tool, shares of the FMA ceiling, ratios and targets.
fn mlp_table(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## Training: MLP 784-256-128-10, SGD lr 0.1, 60,000 synthetic samples (samples/s)\n");
    let per_core = r.median("ceiling t1", OURS);
    let flop = super::ceiling::mlp_flop_per_sample(&crate::common::MLP_WIDTHS);
    let _ = writeln!(
        w,
        "Ceiling: the f32 FMA probe's {} GFLOP/s per core ({} GFLOP/s on both at once), so {} samples/s per core at \
         {:.3} MFLOP per sample (matrix products only). A share is the row's rate over threads × the per-core ceiling.\n",
        cell(per_core, |p| format!("{:.1}", p / 1e9)),
        cell(r.median("ceiling t2", OURS), |p| format!("{:.1}", p / 1e9)),
        cell(per_core, |p| rate(p / flop)),
        flop / 1e6
    );
    let _ = writeln!(
        w,
        "| batch | threads | backprop | PyTorch | JAX | numpy | share: backprop | share: fastest peer | × PyTorch | × JAX | × fastest peer | targets met |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (b, t) in MLP_ROWS {
        let row = mlp_row(b, t);
        let show = |tool: &str| {
            cell(r.median(&row, tool), |m| format!("{} ({})", rate(m), rate(r.best(&row, tool, true).unwrap())))
        };
        let ours = r.median(&row, OURS);
        let fastest = PEERS
            .iter()
            .filter_map(|p| r.median(&row, p))
            .fold(None, |a: Option<f64>, v| Some(a.map_or(v, |a| a.max(v))));
        let share = |rate: Option<f64>| Some(rate? * flop / (per_core? * t as f64));
        let vs = |p: &str| ratio(ours, r.median(&row, p), true);
        let met = match (vs("PyTorch"), ratio(ours, fastest, true), share(ours)) {
            (Some(torch), Some(f), Some(sh)) => Some(torch >= 2.0 && f >= 1.3 && sh >= share_target(b, t)),
            _ => None,
        };
        let percent = |x: f64| format!("{:.0} %", x * 100.0);
        let _ = writeln!(
            w,
            "| {b} | {t} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            show(OURS),
            show("PyTorch"),
            show("JAX"),
            show("numpy"),
            cell(share(ours), percent),
            cell(share(fastest), percent),
            cell(vs("PyTorch"), times),
            cell(vs("JAX"), times),
            cell(ratio(ours, fastest, true), times),
            yes_no(met)
        );
    }
    let _ = writeln!(
        w,
        "\nTargets: ≥ 2× PyTorch, ≥ 1.3× the fastest peer, and a share of ≥ 90 % (1 thread, batch 128 and 512), \
         ≥ 85 % (1 thread, batch 32; 2 threads, batch 512), ≥ 80 % (2 threads, batch 128)."
    );
    calm_rounds(w, r, flop);
}
