//! What the page draws, computed here so the page does no arithmetic: a [`Snapshot`] of the
//! session (losses, the network's numbers by `explain`'s names, heat maps of the output over the
//! input plane and of every unit, the points). Heat maps travel as bytes (0–255 across each
//! map's [lo, hi]), base64. A parameter's chains are in `chains.rs`.

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};

use super::Setup;
use super::data::{EXTENT, Feature, Point};
use super::session::{Session, predicted_class};
use crate::autograd::{ParamStore, Tape};
use crate::network::{input_name, param_names, unit_name};
use crate::nn::{Activation, Layer};
use crate::tensor::{Tensor, Threads};

/// Cells per side of the output's heat map, and of each unit's.
pub const GRID: usize = 100;
pub const UNIT_GRID: usize = 25;

/// One heat map: `size`×`size` cells, rows from the top (x₂ = +6) down, columns from x₁ = −6;
/// cell values quantised to bytes between `lo` and `hi`; `mid` is where the colour scale turns.
#[derive(Clone, Debug, Serialize)]
pub struct HeatMap {
    pub size: usize,
    pub lo: f64,
    pub hi: f64,
    pub mid: f64,
    /// base64 of size² bytes.
    pub data: String,
}

impl HeatMap {
    /// A map of `values`, its range widened to `natural` (an activation's own range) if given.
    fn of(size: usize, values: &[f64], natural: Option<(f64, f64)>, mid: f64) -> HeatMap {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let (mut lo, mut hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        if let Some((a, b)) = natural {
            (lo, hi) = (lo.min(a), hi.max(b));
        }
        if !(lo.is_finite() && hi.is_finite()) {
            (lo, hi) = (mid - 1.0, mid + 1.0);
        }
        if hi - lo < 1e-12 {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }
        let bytes: Vec<u8> =
            values.iter().map(|v| (((v - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0).round() as u8).collect();
        HeatMap { size, lo, hi, mid: mid.clamp(lo, hi), data: base64::engine::general_purpose::STANDARD.encode(bytes) }
    }
}

/// An activation's own range, and where its colour scale turns.
fn natural_range(a: Activation) -> (Option<(f64, f64)>, f64) {
    match a {
        Activation::Sigmoid | Activation::Softmax => (Some((0.0, 1.0)), 0.5),
        Activation::Tanh => (Some((-1.0, 1.0)), 0.0),
        _ => (None, 0.0),
    }
}

/// A weight or bias as drawn: its name and value.
#[derive(Clone, Debug, Serialize)]
pub struct ParamView {
    pub name: String,
    pub value: f64,
}

/// One unit: its name, its bias, and the weights into it (from each unit or input below).
#[derive(Clone, Debug, Serialize)]
pub struct UnitView {
    pub name: String,
    pub bias: ParamView,
    pub weights: Vec<ParamView>,
}

/// An input as drawn: `explain`'s symbol (`x1`) and the feature it carries.
#[derive(Clone, Debug, Serialize)]
pub struct InputView {
    pub name: String,
    pub feature: Feature,
    pub label: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub struct LayerView {
    pub activation: Activation,
    pub units: Vec<UnitView>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NetworkView {
    pub inputs: Vec<InputView>,
    pub layers: Vec<LayerView>,
    pub loss: crate::loss::Loss,
}

#[derive(Clone, Debug, Serialize)]
pub struct PointView<'a> {
    #[serde(flatten)]
    pub point: &'a Point,
    pub train: bool,
}

/// The heat maps: the output over the plane, and each input's and unit's (by name).
#[derive(Clone, Debug, Serialize)]
pub struct HeatMaps {
    pub extent: f64,
    /// The output's value (one output) or the winning output's (several).
    pub output: HeatMap,
    /// The winning output per cell (several outputs): base64 bytes of output indices.
    pub winner: Option<String>,
    pub units: Map<String, Value>,
}

/// The whole session as the page draws it.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot<'a> {
    pub setup: &'a Setup,
    pub epoch: usize,
    pub updates: usize,
    pub batches_per_epoch: usize,
    /// The next batch: training points [start, end).
    pub batch: [usize; 2],
    pub loss_train: f64,
    pub loss_test: f64,
    pub accuracy_train: Option<f64>,
    pub accuracy_test: Option<f64>,
    /// (epoch, training loss, test loss).
    pub history: &'a [[f64; 3]],
    pub classes: usize,
    pub class_names: Vec<String>,
    pub note: Option<&'a str>,
    pub network: NetworkView,
    pub heatmaps: HeatMaps,
    /// Changes whenever the points do.
    pub data_version: u64,
    /// Changes whenever the weights start afresh (edits made before no longer apply).
    pub weights_version: u64,
    /// The points, unless the asker already has this `data_version`'s.
    pub points: Option<Vec<PointView<'a>>>,
}

/// The centres of a `size`×`size` grid over the plane, top row first.
fn grid_points(size: usize) -> impl Iterator<Item = [f64; 2]> {
    let cell = 2.0 * EXTENT / size as f64;
    (0..size * size).map(move |i| {
        let (r, c) = (i / size, i % size);
        [-EXTENT + (c as f64 + 0.5) * cell, EXTENT - (r as f64 + 0.5) * cell]
    })
}

impl Session {
    /// The network's inputs for each point of a grid, [size², features].
    fn grid_inputs(&self, size: usize) -> Tensor<f32> {
        // Feature by feature, so each loop computes one formula: a match inside the loop lets
        // the compiler compute every feature's formula (two `sin` calls included) per point
        // and select one, which was 15 % of a snapshot (perf, default setup).
        let f = &self.setup.features;
        let width = f.len();
        let mut data = vec![0.0f32; size * size * width];
        for (j, &feature) in f.iter().enumerate() {
            let of = feature.function();
            for (cell, p) in data.chunks_exact_mut(width).zip(grid_points(size)) {
                cell[j] = of(p) as f32;
            }
        }
        Tensor::new(data, [size * size, width])
    }

    /// The session as the page draws it.
    pub fn snapshot(&self) -> Snapshot<'_> {
        self.snapshot_since(None)
    }

    /// The snapshot without the points when `known` is the current data version.
    pub fn snapshot_since(&self, known: Option<u64>) -> Snapshot<'_> {
        let net = self.network_for(&self.train[0]);
        let (wnames, bnames) = param_names(&net);
        let inputs = self
            .setup
            .features
            .iter()
            .enumerate()
            .map(|(i, &feature)| InputView { name: input_name(&net, 0, i), feature, label: feature.label() })
            .collect();
        let m = &self.net;
        let layers = (0..m.depth())
            .map(|l| LayerView {
                activation: m.activation(l),
                units: (0..m.units(l))
                    .map(|j| UnitView {
                        name: unit_name(&net, l, j),
                        bias: ParamView { name: bnames[l][j].clone(), value: m.bias(l, j) },
                        weights: (0..m.fan_in(l))
                            .map(|i| ParamView { name: wnames[l][j][i].clone(), value: m.weight(l, j, i) })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        let points = (known != Some(self.data_version)).then(|| {
            self.train
                .iter()
                .map(|point| PointView { point, train: true })
                .chain(self.test.iter().map(|point| PointView { point, train: false }))
                .collect()
        });
        let batch = self.batch();
        Snapshot {
            setup: &self.setup,
            epoch: self.epoch,
            updates: self.updates,
            batches_per_epoch: self.batches_per_epoch(),
            batch: [batch.start, batch.end],
            loss_train: self.mean_loss(&self.train),
            loss_test: self.mean_loss(&self.test),
            accuracy_train: self.accuracy(&self.train),
            accuracy_test: self.accuracy(&self.test),
            history: &self.history,
            classes: self.classes,
            class_names: self.uploaded.as_ref().map(|u| u.class_names.clone()).unwrap_or_default(),
            note: self.uploaded.as_ref().filter(|_| self.setup.data == super::DataSet::Upload).map(|u| u.note.as_str()),
            network: NetworkView { inputs, layers, loss: self.loss },
            heatmaps: self.heatmaps(&net),
            data_version: self.data_version,
            weights_version: self.weights_version,
            points,
        }
    }

    /// The output over a [`GRID`]² grid, and each input and unit over a [`UNIT_GRID`]² one.
    /// Computed in f32 on every core: the maps are drawn at 8 bits, and the 100² grid through
    /// the largest network is most of a frame's work (its tanh calls, measured).
    fn heatmaps(&self, net: &crate::network::Network) -> HeatMaps {
        let model = &self.net.sequential;
        let mut store = ParamStore::<f32>::new();
        for (_, name, t) in self.net.params.iter() {
            store.insert(name, t.cast());
        }
        let out = model.predict(&store, &self.grid_inputs(GRID), Threads::ONE).cast::<f64>();
        let k = out.dims()[1];
        let output_activation = self.net.activation(self.net.depth() - 1);
        let (natural, mid) = natural_range(output_activation);
        let (output, winner) = if k == 1 {
            (HeatMap::of(GRID, out.data(), natural, mid), None)
        } else {
            let rows: Vec<&[f64]> = out.data().chunks(k).collect();
            let best: Vec<u8> = rows.iter().map(|r| predicted_class(r) as u8).collect();
            let top: Vec<f64> = rows.iter().zip(&best).map(|(r, &b)| r[b as usize]).collect();
            (HeatMap::of(GRID, &top, natural, mid), Some(base64::engine::general_purpose::STANDARD.encode(best)))
        };

        let mut units = Map::new();
        let x = self.grid_inputs(UNIT_GRID);
        let cells = UNIT_GRID * UNIT_GRID;
        let width = self.setup.features.len();
        for i in 0..width {
            let column: Vec<f64> = x.data().iter().skip(i).step_by(width).map(|&v| f64::from(v)).collect();
            let map = HeatMap::of(UNIT_GRID, &column, None, 0.0);
            units.insert(input_name(net, 0, i), serde_json::to_value(map).expect("plain numbers"));
        }
        let tape = Tape::new();
        let mut l = 0;
        model.forward_visit(&tape, &store, tape.input(&x), None, |layer, _, v| {
            if let Layer::Activation(a) = layer {
                let value = v.value().cast::<f64>();
                let n = value.dims()[1];
                let (natural, mid) = natural_range(*a);
                for j in 0..n {
                    let column: Vec<f64> = value.data().iter().skip(j).step_by(n).copied().collect();
                    debug_assert_eq!(column.len(), cells);
                    let map = HeatMap::of(UNIT_GRID, &column, natural, mid);
                    units.insert(unit_name(net, l, j), serde_json::to_value(map).expect("plain numbers"));
                }
                l += 1;
            }
        });
        HeatMaps { extent: EXTENT, output, winner, units }
    }
}
