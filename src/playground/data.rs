//! The playground's data: points on the plane [−6, 6]² drawn from TensorFlow Playground's six
//! shapes (plus multi-class Gaussians and spirals, and the lecture's single example), or read
//! from a small uploaded CSV; and the input features the network sees for a point (x1, x2, x1²,
//! x2², x1·x2, sin x1, sin x2).

use rand::Rng as _;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use std::path::Path;

use crate::data::table::{ReadOptions, Table, TargetCells, Task};
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
    pub fn of(self, point: [f64; 2]) -> f64 {
        self.function()(point)
    }

    /// The feature's formula as a function of the point, chosen once for a loop over many.
    pub fn function(self) -> fn([f64; 2]) -> f64 {
        match self {
            Feature::X1 => |[x1, _]| x1,
            Feature::X2 => |[_, x2]| x2,
            Feature::X1Squared => |[x1, _]| x1 * x1,
            Feature::X2Squared => |[_, x2]| x2 * x2,
            Feature::X1X2 => |[x1, x2]| x1 * x2,
            Feature::SinX1 => |[x1, _]| x1.sin(),
            Feature::SinX2 => |[_, x2]| x2.sin(),
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
        // The lecture's one example comes from its network (`Setup::lecture_network`).
        DataSet::Lecture => vec![],
        DataSet::Upload => vec![],
    }
}

/// A lecture-shaped network's one example: its two inputs and its targets.
pub fn example_point(net: &crate::network::Network) -> Point {
    Point { x: [net.inputs[0], net.inputs[1]], label: Label::Values(net.targets.clone()) }
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

/// What an upload is called in its errors.
pub const UPLOAD_NAME: &str = "the uploaded CSV";

/// Reads an uploaded CSV with the library's table reader (any delimiter it recognises, the
/// same missing markers): a header, then rows of two numeric features and a label. The label
/// is read as `train` reads a target ([`Task::guess`]): text or a few distinct integers make
/// classes (2 to [`MAX_CLASSES`] here), other numbers a regression target. The features are
/// scaled onto [−5, 5] and a regression target onto [−1, 1], the ranges the playground's
/// shapes use. Errors name the line and column.
pub fn read_upload(text: &str) -> Result<Uploaded> {
    let name = Path::new(UPLOAD_NAME);
    let table = Table::from_reader(name, text.as_bytes(), &ReadOptions::default())?;
    let header = table.names();
    if header.len() != 3 {
        return Err(Error::data(
            name,
            "line 1",
            format!("{} columns; the playground reads three (two numeric features, then the label)", header.len()),
        ));
    }
    if table.rows() > MAX_UPLOADED_POINTS {
        return Err(Error::file(
            name,
            format!("more than {MAX_UPLOADED_POINTS} rows; the playground is for small data"),
        ));
    }
    if table.rows() < 2 {
        return Err(Error::file(name, "at least two rows of data are needed"));
    }
    for column in &table.columns[..2] {
        if let Some((line, text)) = &column.first_text {
            return Err(Error::data(
                name,
                format!("line {line}, column {:?}", column.name),
                format!("{text:?} is not a number"),
            ));
        }
        if column.missing > 0 {
            return Err(Error::data(
                name,
                format!("column {:?}", column.name),
                format!("{} missing cells; every point needs both coordinates", column.missing),
            ));
        }
    }
    let label = &table.columns[2];
    let task = Task::guess(label);
    let cells = TargetCells::read(&table, &label.name, task, None)?;
    let unlabelled = table.rows() - cells.rows().len();
    if unlabelled > 0 {
        let rows = if unlabelled == 1 { "row has" } else { "rows have" };
        return Err(Error::data(name, format!("column {:?}", label.name), format!("{unlabelled} {rows} no label")));
    }
    let scale = |values: &[f32], to: f64| {
        let (lo, hi) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(f64::from(v)), hi.max(f64::from(v))));
        let half = ((hi - lo) / 2.0).max(f64::MIN_POSITIVE);
        move |v: f32| (f64::from(v) - (lo + hi) / 2.0) / half * to
    };
    let (x1, x2) = (&table.columns[0].numbers, &table.columns[1].numbers);
    let (s1, s2) = (scale(x1, 5.0), scale(x2, 5.0));
    let place = |r: usize| [s1(x1[r]), s2(x2[r])];
    let mut note = format!("\"{}\" and \"{}\" scaled onto [−5, 5]", header[0], header[1]);
    let (points, class_names) = match cells {
        TargetCells::Classes { labels, names } => {
            if !(2..=MAX_CLASSES).contains(&names.len()) {
                return Err(Error::data(
                    name,
                    format!("column {:?}", label.name),
                    format!(
                        "{} classes; the playground shows 2 to {MAX_CLASSES} (a regression target is numbers, not only whole ones)",
                        names.len()
                    ),
                ));
            }
            let points = labels
                .iter()
                .enumerate()
                .map(|(r, l)| Point { x: place(r), label: Label::Class(l.expect("every row has a label")) })
                .collect();
            note.push_str(&format!("; \"{}\" has {} classes", header[2], names.len()));
            (points, names)
        }
        TargetCells::Values(values) => {
            let st = scale(&values, 1.0);
            let points =
                (0..values.len()).map(|r| Point { x: place(r), label: Label::Values(vec![st(values[r])]) }).collect();
            note.push_str(&format!("; the target \"{}\" scaled onto [−1, 1]", header[2]));
            (points, vec![])
        }
    };
    Ok(Uploaded { points, class_names, note })
}
