//! The playground's data: points on the plane [−6, 6]² drawn from TensorFlow Playground's six
//! shapes (plus multi-class Gaussians and spirals, and the lecture's single example), or read
//! from a small uploaded CSV; and the input features the network sees for a point (x1, x2, x1²,
//! x2², x1·x2, sin x1, sin x2).

use rand::Rng as _;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Half the side of the input plane the data and the heat maps cover.
pub const EXTENT: f64 = 6.0;
/// Points a generated data set has.
pub const GENERATED_POINTS: usize = 500;
/// The most rows an uploaded CSV may have.
pub const MAX_UPLOADED_POINTS: usize = 2_000;
/// The most classes a data set may have.
pub const MAX_CLASSES: usize = 5;

/// Where the points come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum DataSet {
    /// A disc of one class inside a ring of the other.
    Circle,
    /// The four quadrants, alternating classes.
    Xor,
    /// Gaussian clusters, one per class, on a circle.
    Gauss,
    /// Interleaved spiral arms, one per class.
    Spiral,
    /// Regression: a tilted plane, (x1 + x2) / 12.
    Plane,
    /// Regression: a sum of Gaussian bumps of either sign.
    MultiGauss,
    /// The lecture's one example: x = (0.05, 0.10), targets (0.01, 0.99), editable.
    Lecture,
    /// The points of an uploaded CSV.
    Upload,
}

impl DataSet {
    /// Whether the targets are values (regression) rather than classes.
    pub fn is_regression(self) -> bool {
        matches!(self, DataSet::Plane | DataSet::MultiGauss)
    }
}

/// One point: where it lies, and what the network should output there.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Point {
    pub x: [f64; 2],
    /// Written as `"class": 1` or `"values": [0.01, 0.99]` beside `x`.
    #[serde(flatten)]
    pub label: Label,
}

/// A point's label: a class, or target values (a regression's one value, the lecture's two).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Class(usize),
    Values(Vec<f64>),
}

/// An input feature: a function of the point, as TensorFlow Playground offers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
pub enum Feature {
    #[serde(rename = "x1")]
    X1,
    #[serde(rename = "x2")]
    X2,
    #[serde(rename = "x1^2")]
    X1Squared,
    #[serde(rename = "x2^2")]
    X2Squared,
    #[serde(rename = "x1*x2")]
    X1X2,
    #[serde(rename = "sin(x1)")]
    SinX1,
    #[serde(rename = "sin(x2)")]
    SinX2,
}

impl Feature {
    /// The feature's value at a point.
    pub fn of(self, [x1, x2]: [f64; 2]) -> f64 {
        match self {
            Feature::X1 => x1,
            Feature::X2 => x2,
            Feature::X1Squared => x1 * x1,
            Feature::X2Squared => x2 * x2,
            Feature::X1X2 => x1 * x2,
            Feature::SinX1 => x1.sin(),
            Feature::SinX2 => x2.sin(),
        }
    }

    /// As a page writes it.
    pub fn label(self) -> &'static str {
        match self {
            Feature::X1 => "x₁",
            Feature::X2 => "x₂",
            Feature::X1Squared => "x₁²",
            Feature::X2Squared => "x₂²",
            Feature::X1X2 => "x₁x₂",
            Feature::SinX1 => "sin x₁",
            Feature::SinX2 => "sin x₂",
        }
    }
}

/// The points of `data` (not `Upload`, whose points the session keeps): `noise` in [0, 1],
/// `classes` for the classification shapes that take more than two.
pub fn generate(data: DataSet, classes: usize, noise: f64, rng: &mut crate::Rng) -> Vec<Point> {
    let n = GENERATED_POINTS;
    let uniform = |rng: &mut crate::Rng, a: f64| rng.random_range(-a..=a);
    let class_point = |x: [f64; 2], class: usize| Point { x, label: Label::Class(class) };
    match data {
        DataSet::Circle => {
            let radius = 5.0;
            (0..n)
                .map(|i| {
                    // Half the points inside half the radius, half in the outer ring.
                    let r = if i < n / 2 {
                        rng.random_range(0.0..0.5 * radius)
                    } else {
                        rng.random_range(0.7 * radius..radius)
                    };
                    let angle = rng.random_range(0.0..std::f64::consts::TAU);
                    let x = [r * angle.sin(), r * angle.cos()];
                    let noisy = [x[0] + uniform(rng, radius) * noise, x[1] + uniform(rng, radius) * noise];
                    let inside = (noisy[0].powi(2) + noisy[1].powi(2)).sqrt() < 0.5 * radius;
                    class_point(x, usize::from(inside))
                })
                .collect()
        }
        DataSet::Xor => (0..n)
            .map(|_| {
                // Kept a little away from the axes, as in TensorFlow Playground.
                let away = |v: f64| if v > 0.0 { v + 0.3 } else { v - 0.3 };
                let x = [away(uniform(rng, 5.0)), away(uniform(rng, 5.0))];
                let noisy = [x[0] + uniform(rng, 5.0) * noise, x[1] + uniform(rng, 5.0) * noise];
                class_point(x, usize::from(noisy[0] * noisy[1] >= 0.0))
            })
            .collect(),
        DataSet::Gauss => {
            // Two clusters at (2, 2) and (−2, −2); more on a circle of radius 3. Noise widens them.
            let spread = 0.5 + noise / 0.5 * 3.5;
            let centre = |c: usize| -> [f64; 2] {
                if classes == 2 {
                    if c == 1 { [2.0, 2.0] } else { [-2.0, -2.0] }
                } else {
                    let a = std::f64::consts::TAU * c as f64 / classes as f64;
                    [3.0 * a.cos(), 3.0 * a.sin()]
                }
            };
            let normal = Normal::new(0.0, spread.sqrt()).expect("a positive spread");
            (0..n)
                .map(|i| {
                    let c = i % classes;
                    let [cx, cy] = centre(c);
                    class_point([cx + normal.sample(rng), cy + normal.sample(rng)], c)
                })
                .collect()
        }
        DataSet::Spiral => {
            let per = n / classes;
            (0..classes)
                .flat_map(|c| (0..per).map(move |i| (c, i)))
                .map(|(c, i)| {
                    let r = i as f64 / per as f64 * 5.0;
                    let t = 1.75 * i as f64 / per as f64 * std::f64::consts::TAU
                        + std::f64::consts::TAU * c as f64 / classes as f64;
                    let x = [r * t.sin() + uniform(rng, 1.0) * noise, r * t.cos() + uniform(rng, 1.0) * noise];
                    class_point(x, c)
                })
                .collect()
        }
        DataSet::Plane => (0..n)
            .map(|_| {
                let x = [uniform(rng, EXTENT), uniform(rng, EXTENT)];
                let noisy = [x[0] + uniform(rng, EXTENT) * noise, x[1] + uniform(rng, EXTENT) * noise];
                Point { x, label: Label::Values(vec![((noisy[0] + noisy[1]) / (2.0 * EXTENT)).clamp(-1.0, 1.0)]) }
            })
            .collect(),
        DataSet::MultiGauss => {
            // Bumps of height ±1 at fixed places; a point's value is the largest in size.
            let bumps = [
                (-4.0, 2.5, 1.0),
                (0.0, 2.5, -1.0),
                (4.0, 2.5, 1.0),
                (-4.0, -2.5, -1.0),
                (0.0, -2.5, 1.0),
                (4.0, -2.5, -1.0),
            ];
            (0..n)
                .map(|_| {
                    let x = [uniform(rng, EXTENT), uniform(rng, EXTENT)];
                    let noisy = [x[0] + uniform(rng, EXTENT) * noise, x[1] + uniform(rng, EXTENT) * noise];
                    let value = bumps
                        .iter()
                        .map(|&(cx, cy, sign)| {
                            let d2 = (noisy[0] - cx).powi(2) + (noisy[1] - cy).powi(2);
                            sign * (-d2 / 2.0).exp()
                        })
                        .fold(0.0f64, |best, v| if v.abs() > best.abs() { v } else { best });
                    Point { x, label: Label::Values(vec![value]) }
                })
                .collect()
        }
        DataSet::Lecture => vec![lecture_point()],
        DataSet::Upload => vec![],
    }
}

/// The lecture's example.
pub fn lecture_point() -> Point {
    Point { x: [0.05, 0.10], label: Label::Values(vec![0.01, 0.99]) }
}

/// Shuffles `points` and splits them: the first `train_percent` % train, the rest test (each
/// side keeps at least one point when there are two or more).
pub fn split(mut points: Vec<Point>, train_percent: u32, rng: &mut crate::Rng) -> (Vec<Point>, Vec<Point>) {
    points.shuffle(rng);
    let n = points.len();
    let mut train = (n * train_percent as usize).div_ceil(100).min(n);
    if n >= 2 {
        train = train.clamp(1, n - 1);
    }
    let test = points.split_off(train);
    (points, test)
}

/// What an uploaded CSV holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Uploaded {
    pub points: Vec<Point>,
    /// The classes' names (from the label column), or empty for regression.
    pub class_names: Vec<String>,
    /// How the columns were mapped onto the plane, for the page to say.
    pub note: String,
}

/// Reads an uploaded CSV: a header, then rows of two numeric features and a label. A label
/// column of at most five distinct values (numbers or text) makes classes; otherwise it is a
/// regression target. The features are scaled onto [−5, 5] and a regression target onto
/// [−1, 1], the ranges the playground's shapes use. Errors name the line and column.
pub fn read_upload(text: &str) -> Result<Uploaded> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| Error::invalid(format!("the header: {e}")))?.iter().map(str::to_string).collect();
    if header.len() != 3 {
        return Err(Error::invalid(format!(
            "line 1: {} columns; the playground reads three (two numeric features, then the label)",
            header.len()
        )));
    }
    let mut rows: Vec<([f64; 2], String)> = vec![];
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| Error::invalid(format!("line {line}: {e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != 3 {
            return Err(Error::invalid(format!("line {line}: {} fields, the header has 3", record.len())));
        }
        if rows.len() == MAX_UPLOADED_POINTS {
            return Err(Error::invalid(format!(
                "more than {MAX_UPLOADED_POINTS} rows; the playground is for small data"
            )));
        }
        let mut x = [0.0; 2];
        for (k, slot) in x.iter_mut().enumerate() {
            *slot = record[k].parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
                Error::invalid(format!("line {line}, column \"{}\": {:?} is not a number", header[k], &record[k]))
            })?;
        }
        if record[2].is_empty() {
            return Err(Error::invalid(format!("line {line}, column \"{}\": the label is empty", header[2])));
        }
        rows.push((x, record[2].to_string()));
    }
    if rows.len() < 2 {
        return Err(Error::invalid("at least two rows of data are needed"));
    }
    let mut distinct: Vec<&str> = rows.iter().map(|(_, l)| l.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let numbers: Option<Vec<f64>> = rows.iter().map(|(_, l)| l.parse::<f64>().ok().filter(|v| v.is_finite())).collect();
    let classification = distinct.len() <= MAX_CLASSES || numbers.is_none();
    if classification && !(2..=MAX_CLASSES).contains(&distinct.len()) {
        return Err(Error::invalid(format!(
            "column \"{}\": {} distinct labels; classes need 2 to {MAX_CLASSES}, and a regression target numbers",
            header[2],
            distinct.len()
        )));
    }
    let scale = |values: &mut dyn Iterator<Item = f64>, to: f64| {
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let half = ((hi - lo) / 2.0).max(f64::MIN_POSITIVE);
        move |v: f64| (v - (lo + hi) / 2.0) / half * to
    };
    let sx: Vec<_> = (0..2).map(|k| scale(&mut rows.iter().map(|(x, _)| x[k]), 5.0)).collect();
    let place = |x: [f64; 2]| [sx[0](x[0]), sx[1](x[1])];
    let mut note = format!("\"{}\" and \"{}\" scaled onto [−5, 5]", header[0], header[1]);
    let (points, class_names) = if classification {
        let names: Vec<String> = distinct.iter().map(|s| s.to_string()).collect();
        let points = rows
            .iter()
            .map(|(x, l)| {
                let c = names.iter().position(|n| n == l).expect("every label is among the distinct ones");
                Point { x: place(*x), label: Label::Class(c) }
            })
            .collect();
        note.push_str(&format!("; \"{}\" has {} classes", header[2], names.len()));
        (points, names)
    } else {
        let values = numbers.expect("a regression target is numeric");
        let st = scale(&mut values.iter().copied(), 1.0);
        let points = rows
            .iter()
            .zip(&values)
            .map(|((x, _), &v)| Point { x: place(*x), label: Label::Values(vec![st(v)]) })
            .collect();
        note.push_str(&format!("; the target \"{}\" scaled onto [−1, 1]", header[2]));
        (points, vec![])
    };
    Ok(Uploaded { points, class_names, note })
}
