//! The activations' one definition: every layer spells each the same way (files, the command
//! line, `explain`), and the two added last, GELU and SiLU, have PyTorch's values. The reference
//! values were computed with Python's `math` module from the formulas in PyTorch's
//! documentation (`GELU(approximate="tanh")`: ½x(1 + tanh(√(2/π)(x + 0.044715x³))); `SiLU`:
//! x·σ(x)), not by this code.

use backprop::nn::Activation;
use backprop::tensor::Tensor;
use clap::ValueEnum;
use strum::IntoEnumIterator;

#[test]
fn gelu_and_silu_have_pytorchs_values() {
    let x = Tensor::<f64>::from_f64(&[-2.0, -0.5, 0.0, 1.0, 3.0], [1, 5]);
    let gelu = [-0.04540230591222494, -0.15428599017485606, 0.0, 0.8411919906082768, 2.996362607918227];
    let silu = [-0.2384058440442351, -0.1887703343990727, 0.0, 0.7310585786300049, 2.8577223804672998];
    for (activation, want) in [(Activation::Gelu, gelu), (Activation::Silu, silu)] {
        let got = activation.apply_tensor(&x);
        for (g, w) in got.data().iter().zip(want) {
            assert!((g - w).abs() < 1e-15, "{activation}: {g} vs {w}");
        }
    }
}

#[test]
fn every_activation_has_one_spelling_in_files_on_the_command_line_and_in_explain() {
    for a in Activation::iter() {
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, format!("\"{}\"", a.name()), "model and network files");
        assert_eq!(serde_json::from_str::<Activation>(&json).unwrap(), a);
        match a.to_possible_value() {
            Some(v) => assert_eq!(v.get_name(), a.name(), "--activation"),
            None => assert_eq!(a, Activation::Softmax, "only softmax is not a hidden activation"),
        }
        let d = a.definition();
        assert!(d.formula.contains("{}"), "{a}: the formula names the unit");
        assert_eq!(d.derivative.is_some(), a.is_elementwise());
    }
    // Model files of the first format still read: the identity, and leaky ReLU with its slope.
    assert_eq!(serde_json::from_str::<Activation>("\"identity\"").unwrap(), Activation::Linear);
    let legacy = r#"{"leaky-relu": {"slope": 0.01}}"#;
    assert_eq!(serde_json::from_str::<Activation>(legacy).unwrap(), Activation::LeakyRelu);
    let other = serde_json::from_str::<Activation>(r#"{"leaky-relu": {"slope": 0.2}}"#).unwrap_err().to_string();
    assert!(other.contains("slope 0.2"), "{other}");
    let unknown = serde_json::from_str::<Activation>("\"swish\"").unwrap_err().to_string();
    assert!(
        unknown.contains("unknown variant `swish`") && unknown.contains("expected one of relu, sigmoid"),
        "{unknown}"
    );
}

#[test]
fn the_local_derivative_is_the_ops_backward_rule() {
    let net = Tensor::from_f64(&[-1.5, -0.2, 0.3, 2.0], [1, 4]);
    for a in Activation::iter().filter(|a| a.is_elementwise()) {
        let d = a.derivative_at(&net).unwrap();
        for (j, &x) in net.data().iter().enumerate() {
            let eps = 1e-6;
            let f = |v: f64| a.apply_tensor(&Tensor::<f64>::from_f64(&[v], [1, 1])).item();
            let numeric = (f(x + eps) - f(x - eps)) / (2.0 * eps);
            assert!((d.data()[j] - numeric).abs() < 1e-8, "{a} at {x}: {} vs {numeric}", d.data()[j]);
        }
    }
    assert!(Activation::Softmax.derivative_at(&net).is_none());
}
