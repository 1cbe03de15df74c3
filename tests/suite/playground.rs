//! The playground's engine side: the lecture preset gives the slide's numbers, a batch's chains
//! average to the engine's gradient and that gradient matches finite differences, the penalty,
//! epochs and batches, edits, uploads, and every setup bound.

use backprop::optim::OptimizerKind;
use backprop::playground::{DataSet, Edit, Feature, Regularization, Session, Setup, read_upload};
use strum::IntoEnumIterator;

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

#[test]
fn the_lecture_preset_gives_the_slides_numbers() {
    let mut s = Session::new(Setup::lecture()).unwrap();
    let snap = s.snapshot();
    assert!(close(snap.loss_train, 0.298371109, 5e-10), "E = {}", snap.loss_train);
    let g = s.gradient("w5", 0).unwrap();
    let factors: Vec<f64> = g.chains[0].factors.iter().map(|f| f.value).collect();
    for (got, slide) in factors.iter().zip([0.74136507, 0.186815602, 0.593269992]) {
        assert!(close(*got, slide, 5e-9), "{got} vs {slide}");
    }
    assert!(close(g.gradient, 0.082167041, 5e-10));
    assert!(close(g.updated, 0.35891648, 5e-9));
    let b1 = s.gradient("b1", 0).unwrap();
    assert!(!b1.learns && b1.updated == b1.value, "the lecture keeps biases fixed");
    s.update();
    assert!(close(s.snapshot().loss_train, 0.291027774, 5e-10));
    assert_eq!((s.snapshot().epoch, s.snapshot().updates), (1, 1));
}

/// `#exercise=N`: the lecture's setup with an exercise sheet's numbers; the page's numbers are
/// the sheet's key (itself checked against the lecture's formulas in `exercise.rs`), and an
/// exercise without the lecture's data is refused, naming the field.
#[test]
fn an_exercise_setup_is_the_sheets_network_and_its_key() {
    let exercise = backprop::exercise::Exercise::new(7);
    let key: std::collections::HashMap<String, f64> = exercise.key().into_iter().collect();
    let mut s = Session::new(Setup { exercise: Some(7), ..Setup::lecture() }).unwrap();
    assert!(close(s.snapshot().loss_train, key["E"], 1e-12));
    let g = s.gradient("w5", 0).unwrap();
    assert!(close(g.gradient, key["dE/dw5"], 1e-12) && close(g.updated, key["w5+"], 1e-12));
    s.update();
    assert!(close(s.snapshot().loss_train, key["E+"], 1e-12));
    let err = Session::new(Setup { exercise: Some(7), ..Setup::default() }).map(|_| ()).expect_err("refused");
    assert!(err.to_string().starts_with("exercise:"), "{err}");
}

#[test]
fn a_hidden_weights_chain_goes_through_its_path_sum() {
    let s = Session::new(Setup::lecture()).unwrap();
    let g = s.gradient("w1", 0).unwrap();
    let p = g.path_sum.expect("a hidden unit's path sum");
    assert_eq!(p.unit, "out_H1");
    assert!(close(p.total, 0.036350306, 5e-10));
    assert!(close(g.gradient, 0.000438568, 5e-10));
    assert!(g.highlight.params.contains(&"w5".to_string()) && g.highlight.params.contains(&"w7".to_string()));
}

/// E of the next batch with one weight nudged, by central differences on a cloned session.
fn numeric_gradient(s: &Session, name: &str) -> f64 {
    let h = 1e-6;
    let value = s.gradient(name, 0).unwrap().value;
    let e = |v: f64| {
        let mut t = s.clone();
        t.edit(&Edit { name: name.into(), value: v }).unwrap();
        t.explain_example(0).batch_loss + t.penalty()
    };
    (e(value + h) - e(value - h)) / (2.0 * h)
}

#[test]
fn a_batchs_chains_average_to_the_engines_gradient_and_match_finite_differences() {
    for regularization in [Regularization::None, Regularization::L1, Regularization::L2] {
        let setup = Setup {
            data: DataSet::Spiral,
            classes: 3,
            hidden: vec![5, 3],
            features: vec![Feature::X1, Feature::X2, Feature::SinX1],
            batch_size: 7,
            regularization,
            regularization_rate: 0.01,
            ..Setup::default()
        };
        let s = Session::new(setup).unwrap();
        for name in ["w1", "w17", "w30", "b2", "b9"] {
            let g = s.gradient(name, 3).unwrap();
            assert_eq!(g.chains.len(), 7);
            assert_eq!(g.shown, 3);
            let penalty = g.penalty.as_ref().map_or(0.0, |p| p.term);
            assert!(close(g.mean + penalty, g.gradient, 1e-12), "{name}: {} + {penalty} vs {}", g.mean, g.gradient);
            let numeric = numeric_gradient(&s, name);
            assert!(close(g.gradient, numeric, 1e-6), "{name} ({regularization:?}): {} vs {numeric}", g.gradient);
            if name.starts_with('b') {
                assert!(g.penalty.is_none(), "biases are not penalised");
            }
        }
    }
}

#[test]
fn an_epoch_is_one_pass_in_batches_and_a_partial_epoch_is_finished_first() {
    let setup = Setup { batch_size: 30, ..Setup::default() };
    let mut s = Session::new(setup).unwrap();
    let train = s.snapshot().points.unwrap().iter().filter(|p| p.train).count();
    assert_eq!(train, 250);
    assert_eq!(s.batches_per_epoch(), 9, "250 points in batches of 30: eight full and one of ten");
    s.update();
    assert_eq!(s.batch(), 30..60);
    s.run_epochs(1);
    assert_eq!((s.snapshot().epoch, s.snapshot().updates), (1, 9));
    s.run_epochs(2);
    assert_eq!((s.snapshot().epoch, s.snapshot().updates), (3, 27));
    assert_eq!(s.snapshot().history.len(), 4, "the start and each epoch");
}

#[test]
fn training_on_each_shape_lowers_the_loss() {
    for (data, features) in [
        (DataSet::Circle, vec![Feature::X1Squared, Feature::X2Squared]),
        (DataSet::Xor, vec![Feature::X1X2]),
        (DataSet::Gauss, vec![Feature::X1, Feature::X2]),
        (DataSet::Plane, vec![Feature::X1, Feature::X2]),
        (DataSet::MultiGauss, vec![Feature::X1, Feature::X2, Feature::SinX1, Feature::SinX2]),
    ] {
        let setup = Setup { data, features, learning_rate: 0.03, ..Setup::default() };
        let mut s = Session::new(setup).unwrap();
        let before = s.snapshot().loss_train;
        s.run_epochs(40);
        let after = s.snapshot().loss_train;
        assert!(after < 0.7 * before, "{data:?}: {before} → {after}");
    }
}

#[test]
fn the_playground_trains_with_every_optimiser_of_the_library() {
    for optimizer in OptimizerKind::iter() {
        let (learning_rate, momentum) = match optimizer {
            OptimizerKind::Sgd | OptimizerKind::Nesterov => (0.03, 0.9),
            _ => (0.01, 0.0),
        };
        let setup = Setup {
            data: DataSet::Xor,
            features: vec![Feature::X1X2],
            learning_rate,
            optimizer,
            momentum,
            ..Setup::default()
        };
        let mut s = Session::new(setup).unwrap();
        let before = s.snapshot().loss_train;
        s.run_epochs(30);
        let after = s.snapshot().loss_train;
        assert!(after < 0.7 * before, "{optimizer}: {before} → {after}");
    }
}

/// Adam as the paper and `torch.optim.Adam`'s documentation write it, for one number: the
/// reference the chain panel is checked against (written here, apart from `optim`).
struct TextbookAdam {
    m: f64,
    v: f64,
    t: i32,
}

impl TextbookAdam {
    fn step(&mut self, theta: f64, g: f64, lr: f64) -> (f64, [f64; 4]) {
        let (beta1, beta2, eps) = (0.9, 0.999, 1e-8);
        self.t += 1;
        self.m = beta1 * self.m + (1.0 - beta1) * g;
        self.v = beta2 * self.v + (1.0 - beta2) * g * g;
        let m_hat = self.m / (1.0 - beta1.powi(self.t));
        let v_hat = self.v / (1.0 - beta2.powi(self.t));
        (theta - lr * m_hat / (v_hat.sqrt() + eps), [self.m, self.v, m_hat, v_hat])
    }
}

#[test]
fn the_chain_panels_adam_update_is_adams_step_by_step() {
    let setup = Setup { optimizer: OptimizerKind::Adam, learning_rate: 0.05, ..Setup::lecture() };
    let mut s = Session::new(setup).unwrap();
    let mut reference = TextbookAdam { m: 0.0, v: 0.0, t: 0 };
    for step in 1..=5 {
        let g = s.gradient("w5", 0).unwrap();
        let (expected, [m, v, m_hat, v_hat]) = reference.step(g.value, g.gradient, 0.05);
        let term =
            |symbol: &str| g.update.iter().find(|t| t.symbol == symbol).unwrap_or_else(|| panic!("{symbol}")).value;
        for (symbol, want) in [("m⁺", m), ("v⁺", v), ("m̂", m_hat), ("v̂", v_hat), ("t", f64::from(step))] {
            assert!(
                close(term(symbol), want, 1e-12 * want.abs().max(1e-12)),
                "step {step}: {symbol} {} vs {want}",
                term(symbol)
            );
        }
        assert!(close(g.updated, expected, 1e-12), "step {step}: w5⁺ {} vs {expected}", g.updated);
        assert_eq!(term("w⁺"), g.updated);
        assert!(close(term("Δw"), g.value - g.updated, 1e-12));
        s.update();
        let now = s.gradient("w5", 0).unwrap().value;
        assert_eq!(now, g.updated, "step {step}: the panel's w5⁺ is the weight the update leaves");
    }
}

#[test]
fn momentum_and_the_optimiser_can_change_without_resetting_the_weights() {
    let mut s = Session::new(Setup::default()).unwrap();
    s.run_epochs(2);
    let w = s.gradient("w1", 0).unwrap().value;
    s.apply(Setup { optimizer: OptimizerKind::Nesterov, momentum: 0.5, ..s.setup().clone() }).unwrap();
    assert_eq!((s.gradient("w1", 0).unwrap().value, s.snapshot().epoch), (w, 2));
    let first = s.gradient("w1", 0).unwrap();
    let v = first.update.iter().find(|t| t.symbol == "v⁺").unwrap();
    assert_eq!((v.formula, v.value), ("g (the first step)", first.gradient), "a new optimiser starts without momentum");
    let e = Session::new(Setup { momentum: 1.0, ..Setup::default() }).unwrap_err().to_string();
    assert!(e.starts_with("momentum:"), "{e}");
}

#[test]
fn the_setups_hyperparameters_keep_the_weights_and_its_network_resets_them() {
    let mut s = Session::new(Setup::default()).unwrap();
    s.run_epochs(3);
    let w = s.gradient("w1", 0).unwrap().value;
    let setup = Setup { learning_rate: 0.1, batch_size: 5, ..s.setup().clone() };
    s.apply(setup).unwrap();
    assert_eq!(s.snapshot().epoch, 3);
    assert_eq!(s.gradient("w1", 0).unwrap().value, w);
    let setup = Setup { hidden: vec![3], ..s.setup().clone() };
    s.apply(setup).unwrap();
    assert_eq!(s.snapshot().epoch, 0);
}

#[test]
fn edits_change_one_number_and_unknown_names_are_refused() {
    let mut s = Session::new(Setup::lecture()).unwrap();
    s.edit(&Edit { name: "x2".into(), value: 0.01 }).unwrap();
    assert_eq!(s.snapshot().points.unwrap()[0].point.x, [0.05, 0.01], "the slide's typo, x2 = 0.01, can be tried");
    s.edit(&Edit { name: "w5".into(), value: 0.5 }).unwrap();
    assert_eq!(s.gradient("w5", 0).unwrap().value, 0.5);
    let e = s.edit(&Edit { name: "w9".into(), value: 1.0 }).unwrap_err().to_string();
    assert!(e.contains("w1…w8") && e.contains("x1, x2, T1, T2"), "{e}");
    assert!(s.edit(&Edit { name: "w1".into(), value: f64::NAN }).is_err());
    let mut circle = Session::new(Setup::default()).unwrap();
    assert!(circle.edit(&Edit { name: "x1".into(), value: 1.0 }).is_err(), "inputs are editable on the lecture only");
}

#[test]
fn every_setup_bound_is_an_error_naming_its_field() {
    let base = Setup::default();
    for (setup, field) in [
        (Setup { hidden: vec![2; 7], ..base.clone() }, "hidden"),
        (Setup { hidden: vec![9], ..base.clone() }, "hidden"),
        (Setup { hidden: vec![0], ..base.clone() }, "hidden"),
        (Setup { features: vec![], ..base.clone() }, "features"),
        (Setup { features: vec![Feature::X1, Feature::X1], ..base.clone() }, "features"),
        (Setup { noise: 51, ..base.clone() }, "noise"),
        (Setup { train_percent: 95, ..base.clone() }, "train_percent"),
        (Setup { classes: 6, ..base.clone() }, "classes"),
        (Setup { batch_size: 0, ..base.clone() }, "batch_size"),
        (Setup { batch_size: 51, ..base.clone() }, "batch_size"),
        (Setup { learning_rate: f64::INFINITY, ..base.clone() }, "learning_rate"),
        (Setup { learning_rate: -1.0, ..base.clone() }, "learning_rate"),
        (Setup { regularization_rate: 11.0, ..base.clone() }, "regularization_rate"),
        (Setup { activation: backprop::nn::Activation::Softmax, ..base.clone() }, "activation"),
        (Setup { data: DataSet::Plane, loss: Some(backprop::loss::Loss::CrossEntropy), ..base.clone() }, "loss"),
        (Setup { data: DataSet::Upload, ..base.clone() }, "data"),
    ] {
        let e = Session::new(setup).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{field}:")), "{field}: {e}");
    }
}

#[test]
fn an_uploaded_csv_becomes_points_and_bad_ones_name_the_line() {
    let text = "a,b,kind\n0,0,cat\n10,5,dog\n5,2.5,cat\n\n2,1,bird\n";
    let u = read_upload(text).unwrap();
    assert_eq!(u.class_names, ["bird", "cat", "dog"]);
    assert_eq!(u.points.len(), 4);
    assert_eq!(u.points[0].x, [-5.0, -5.0]);
    assert_eq!(u.points[1].x, [5.0, 5.0]);
    let mut s = Session::new(Setup::default()).unwrap();
    s.upload(u).unwrap();
    assert_eq!(s.snapshot().classes, 3);
    assert_eq!(s.setup().data, DataSet::Upload);
    s.run_epochs(2);

    // The label is read as `train` reads a target: fractions are values, a few whole numbers
    // are classes (and more than the playground shows are refused, saying so).
    let values: String =
        std::iter::once("x,y,z\n".to_string()).chain((0..20).map(|i| format!("{i},{},{}.5\n", i * 2, i * i))).collect();
    let u = read_upload(&values).unwrap();
    assert!(u.class_names.is_empty() && u.note.contains("[−1, 1]"));
    let whole = values.replace(".5", "");
    let e = read_upload(&whole).unwrap_err().to_string();
    assert!(e.contains("20 classes; the playground shows 2 to 5"), "{e}");
    let semicolons = read_upload("x;y;z\n0;0;a\n1;1;b\n").unwrap();
    assert_eq!(semicolons.class_names, ["a", "b"], "the table reader's delimiters");

    for (bad, says) in [
        ("x,y\n1,2\n", "line 1: 2 columns"),
        ("x,y,z\n1,2,a\n1,oops,b\n", "line 3, column \"y\""),
        ("x,y,z\n1,2,a\n1,2\n", "line 3: 2 fields"),
        ("x,y,z\n1,2,\n3,4,a\n", "column \"z\": 1 row has no label"),
        ("x,y,z\n1,2,a\n", "at least two rows"),
        ("x,y,z\n1,2,a\n2,3,b\n3,4,c\n4,5,d\n5,6,e\n6,7,f\n", "6 classes"),
        ("x,y,z\n1,,a\n2,3,b\n", "column \"y\": 1 missing cells"),
    ] {
        let e = read_upload(bad).unwrap_err().to_string();
        assert!(e.contains(says), "{bad:?}: {e}");
    }
    let big: String = std::iter::once("x,y,z\n".to_string()).chain((0..2001).map(|i| format!("{i},1,a\n"))).collect();
    assert!(read_upload(&big).unwrap_err().to_string().contains("more than 2000 rows"));
}
