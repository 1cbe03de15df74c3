//! Learning curves: loss (and accuracy) per epoch, as SVG and PNG. The font is embedded in the
//! binary (DejaVu Sans), so plotting needs nothing from the system.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

use super::write_atomic;
use crate::error::{Error, Result};
use crate::train::EpochMetrics;

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Makes the embedded font the plots' `sans-serif` (once per process); also for the benchmark
/// charts, so every picture the project draws looks the same.
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            unreachable!("the embedded DejaVu Sans is a valid font");
        }
    });
}

/// Draws the curves onto any plotters backend.
fn draw<DB: DrawingBackend>(root: DrawingArea<DB, plotters::coord::Shift>, history: &[EpochMetrics]) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| Error::invalid(e.to_string());
    root.fill(&WHITE).map_err(err)?;
    let has_acc = history.iter().any(|m| m.train_accuracy.is_some());
    let areas = if has_acc { root.split_evenly((1, 2)) } else { vec![root] };
    let epochs = history.last().map_or(1, |m| m.epoch).max(1) as f64;
    let series = |f: &dyn Fn(&EpochMetrics) -> Option<f64>| -> Vec<(f64, f64)> {
        history.iter().filter_map(|m| f(m).filter(|v| v.is_finite()).map(|v| (m.epoch as f64, v))).collect()
    };
    // (title, training curve, validation curve)
    type Panel<'a> = (&'a str, Vec<(f64, f64)>, Vec<(f64, f64)>);
    let panels: Vec<Panel> = {
        let mut p = vec![("loss", series(&|m| Some(m.train_loss)), series(&|m| m.val_loss))];
        if has_acc {
            p.push(("accuracy", series(&|m| m.train_accuracy), series(&|m| m.val_accuracy)));
        }
        p
    };
    for (area, (title, train, val)) in areas.iter().zip(panels) {
        let all: Vec<f64> = train.iter().chain(&val).map(|p| p.1).collect();
        let (lo, hi) = all.iter().fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        let (lo, hi) = if lo < hi { (lo, hi) } else { (lo - 0.5, lo + 0.5) };
        let pad = (hi - lo) * 0.05;
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0.5..epochs + 0.5, (lo - pad)..(hi + pad))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(train, BLUE.stroke_width(2)))
            .map_err(err)?
            .label("train")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLUE.stroke_width(2)));
        if !val.is_empty() {
            chart
                .draw_series(LineSeries::new(val, RED.stroke_width(2)))
                .map_err(err)?
                .label("validation")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .label_font(("sans-serif", 13))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
    }
    root_present(&areas)
}

fn root_present<DB: DrawingBackend>(areas: &[DrawingArea<DB, plotters::coord::Shift>]) -> Result<()> {
    for a in areas {
        a.present().map_err(|e| Error::invalid(e.to_string()))?;
    }
    Ok(())
}

/// Writes the curves as SVG to `svg_path` and as PNG to `png`, each atomically.
pub fn write_curves(svg_path: &Path, png: &Path, history: &[EpochMetrics]) -> Result<()> {
    register_font();
    let (w, h) = (960u32, 400u32);
    let mut svg = String::new();
    draw(SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area(), history)
        .map_err(|e| Error::invalid(format!("cannot draw curves.svg: {e}")))?;
    write_atomic(svg_path, svg.as_bytes())?;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw(BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area(), history)
        .map_err(|e| Error::invalid(format!("cannot draw curves.png: {e}")))?;
    write_atomic(png, &png_bytes(&rgb, (w, h))?)
}

/// An RGB picture (8 bits a channel, rows top to bottom, as plotters' bitmap backend draws
/// into a buffer) as PNG bytes. The `png` crate encodes it; plotters' own PNG writer would
/// bring the whole `image` crate into the build (14 s of a fresh build on two cores).
pub fn png_bytes(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Flat colours and thin lines: each row's best filter and full compression keep a chart at
    // a few hundred kilobytes, as `image`'s encoder did.
    encoder.set_compression(png::Compression::Best);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let fail = |e: png::EncodingError| Error::invalid(format!("cannot encode a PNG: {e}"));
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(out)
}
