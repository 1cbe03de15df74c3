//! Tabular data through the library: every column kind inferred and overridden, every missing
//! marker, delimiters, quotes, a BOM and CRLF; the schema fitted on the training rows alone,
//! unseen categories and missing cells at encoding, the target's rules, the schema's JSON
//! round trip; and each bad input's message.

use std::path::PathBuf;

use backprop::data::Targets;
use backprop::data::table::{
    ColumnKind, CsvOptions, Decision, Encoding, FitOptions, MISSING_MARKERS, NumericScaling, Overrides, ReadOptions,
    Table, TableSchema, TargetColumn, Task, TrainingTable,
};

use crate::common;
use common::Scratch;

fn file(s: &Scratch, contents: &str) -> PathBuf {
    s.file("t.csv", contents.as_bytes())
}

fn read(contents: &str, options: &CsvOptions) -> (Scratch, TrainingTable) {
    let s = Scratch::new("tables");
    let path = file(&s, contents);
    let t = TrainingTable::read(&path, options).unwrap_or_else(|e| panic!("{e}"));
    (s, t)
}

fn error(contents: &str, options: &CsvOptions) -> String {
    let s = Scratch::new("tables");
    let path = file(&s, contents);
    let e = TrainingTable::read(&path, options).expect_err("bad input is an error").to_string();
    assert!(e.contains("t.csv"), "the message names the file: {e}");
    e
}

fn decision(t: &TrainingTable, column: &str) -> Decision {
    t.decisions.iter().find(|(n, _)| n == column).unwrap_or_else(|| panic!("no decision for {column}")).1.clone()
}

/// 30 rows: an id, a name, numbers, a yes/no, a 0/1, a text category, an integer code and a label.
fn mixed() -> String {
    let mut csv = String::from("id,name,height,member,flag,colour,code,label\n");
    for i in 0..30 {
        let member = if i % 3 == 0 { "yes" } else { "no" };
        let colour = ["red", "green", "blue"][i % 3];
        csv += &format!("{},person {i},{}.5,{member},{},{colour},{},{}\n", i + 1, 150 + i, i % 2, 10 + i % 4, i % 2);
    }
    csv
}

#[test]
fn every_column_kind_is_inferred_from_the_training_file() {
    let (_s, t) = read(&mixed(), &CsvOptions::default());
    assert_eq!(t.target, "label");
    assert_eq!(t.task, Task::Classify);
    assert!(matches!(decision(&t, "id"), Decision::Ignored(r) if r.contains("row numbers")));
    assert!(
        matches!(decision(&t, "name"), Decision::Ignored(r) if r.contains("identifier") && r.contains("--categorical name"))
    );
    assert_eq!(decision(&t, "height"), Decision::Feature(ColumnKind::Numeric));
    assert_eq!(decision(&t, "member"), Decision::Feature(ColumnKind::Boolean));
    assert_eq!(decision(&t, "flag"), Decision::Feature(ColumnKind::Boolean), "0/1 is a boolean");
    assert_eq!(decision(&t, "colour"), Decision::Feature(ColumnKind::Categorical));
    assert_eq!(decision(&t, "code"), Decision::Feature(ColumnKind::Numeric), "integers stay numbers unless told");
    let schema = t.fit(&t.rows, FitOptions::default());
    let names = schema.feature_names();
    assert_eq!(
        names,
        ["height", "member", "flag", "colour=blue", "colour=green", "colour=red", "code"],
        "one-hot columns sorted, no other/missing columns when training had none"
    );
    let summary = schema.summary().join("\n");
    assert!(summary.contains("categorical: colour (3)") && summary.contains("boolean: member (yes/no)"), "{summary}");
    assert!(summary.contains("ignored: id (row numbers"), "{summary}");
}

#[test]
fn overrides_change_a_columns_kind_and_an_unknown_name_is_an_error() {
    let overrides = Overrides {
        categorical: vec!["code".into(), "name".into()],
        numeric: vec!["flag".into()],
        ignore: vec!["height".into()],
    };
    let (_s, t) = read(&mixed(), &CsvOptions { overrides, ..Default::default() });
    assert_eq!(decision(&t, "code"), Decision::Feature(ColumnKind::Categorical));
    assert_eq!(decision(&t, "name"), Decision::Feature(ColumnKind::Categorical), "an identifier kept on request");
    assert_eq!(decision(&t, "flag"), Decision::Feature(ColumnKind::Numeric));
    assert_eq!(decision(&t, "height"), Decision::Ignored("--ignore".into()));
    let schema = t.fit(&t.rows, FitOptions { min_category_count: Some(1), ..FitOptions::default() });
    assert!(schema.feature_names().contains(&"code=13".to_string()), "integer codes as categories");
    let bad = CsvOptions {
        overrides: Overrides { ignore: vec!["weight".into()], ..Overrides::default() },
        ..Default::default()
    };
    let e = error(&mixed(), &bad);
    assert!(e.contains("--ignore weight: no such column"), "{e}");
    let bad = CsvOptions {
        overrides: Overrides { numeric: vec!["colour".into()], ..Overrides::default() },
        ..Default::default()
    };
    let e = error(&mixed(), &bad);
    assert!(e.contains("column \"colour\"") && e.contains("is --numeric"), "{e}");
}

#[test]
fn every_missing_marker_and_an_added_one_read_as_missing() {
    let mut csv = String::from("x,y\n");
    let markers: Vec<&str> = MISSING_MARKERS.iter().copied().chain(["n/a"]).collect();
    for (i, m) in markers.iter().enumerate() {
        csv += &format!("{m},{}\n", i % 2);
    }
    for i in 0..10 {
        csv += &format!("{},{}\n", 2 * i + 1, i % 2);
    }
    let options =
        CsvOptions { read: ReadOptions { missing: vec!["n/a".into()], ..Default::default() }, ..Default::default() };
    let (_s, t) = read(&csv, &options);
    let x = t.table.column("x").unwrap();
    assert_eq!((x.missing, x.text.len()), (markers.len(), 0), "{x:?}");
    let schema = t.fit(&t.rows, FitOptions::default());
    let Encoding::Numeric { median, missing_indicator, .. } = schema.columns[0].encoding else { panic!() };
    assert_eq!((median, missing_indicator), (10.0, true), "the median of 1, 3, …, 19; an indicator");
    assert_eq!(schema.feature_names(), ["x", "x_missing"]);
    // Without the added marker, "n/a" is a stray text cell in a numeric column.
    let e = error(&csv, &CsvOptions::default());
    assert!(e.contains("line 12") && e.contains("\"n/a\" is not a number"), "{e}");
}

#[test]
fn delimiters_quotes_a_bom_and_crlf_are_read() {
    for (text, delimiter) in [
        ("a;b;c\r\n1,5;x;0\r\n2,5;y;1\r\n", b';'),
        ("a\tb\tc\n1\tx\t0\n2\ty\t1\n", b'\t'),
        ("a|b|c\n1|x|0\n2|y|1\n", b'|'),
        ("\u{feff}a,b,c\n1,\"x, quoted\",0\n2,\"y \"\"q\"\"\",1\n", b','),
    ] {
        let s = Scratch::new("tables");
        let path = file(&s, text);
        let t = Table::read(&path, &ReadOptions::default()).unwrap();
        assert_eq!((t.delimiter, t.names()), (delimiter, vec!["a", "b", "c"]), "{text:?}");
        assert_eq!(t.rows(), 2);
    }
    let s = Scratch::new("tables");
    let t = Table::read(&file(&s, "\u{feff}a,b,c\n1,\"x, quoted\",0\n"), &ReadOptions::default()).unwrap();
    assert_eq!(t.column("b").unwrap().values, ["x, quoted"], "a quoted delimiter stays in its field");
    let forced = ReadOptions { delimiter: Some(b';'), ..Default::default() };
    let t = Table::read(&file(&s, "a,b;c\n1,2;3\n"), &forced).unwrap();
    assert_eq!(t.names(), ["a,b", "c"], "--delimiter wins over recognition");
}

#[test]
fn the_schema_is_fitted_on_the_training_rows_alone() {
    // Rows 0–3 train; row 4 (x = 1000, colour "violet") is held out and must not move the statistics.
    let csv = "x,colour,y\n1,red,0\n2,red,1\n3,blue,0\n,blue,1\n1000,violet,0\n";
    let (_s, t) = read(csv, &CsvOptions::default());
    let train = [0, 1, 2, 3];
    let schema = t.fit(&train, FitOptions { min_category_count: Some(1), ..FitOptions::default() });
    let Encoding::Numeric { median, scale, .. } = schema.columns[0].encoding else { panic!() };
    assert_eq!(median, 2.0);
    // x filled: 1, 2, 3, 2 → mean 2, population std sqrt(0.5).
    assert!((scale.mean - 2.0).abs() < 1e-9 && (scale.std - 0.5f64.sqrt()).abs() < 1e-6, "{scale:?}");
    let Encoding::Categorical { categories, .. } = &schema.columns[1].encoding else { panic!() };
    assert_eq!(categories, &["blue", "red"], "violet was never seen in training");
    let (data, report) = t.dataset(&schema, &[3, 4]).unwrap();
    assert_eq!(report.unseen, [("colour".to_string(), 1)], "{report:?}");
    assert_eq!(report.missing, [("x".to_string(), 1)]);
    // Row 3: x missing → median 2 → 0, indicator 1, blue. Row 4: unseen colour → all zeros.
    let f = data.features.data();
    assert_eq!(&f[..4], &[0.0, 1.0, 1.0, 0.0]);
    assert_eq!(&f[5..], &[0.0, 0.0, 0.0]);
}

#[test]
fn rare_categories_merge_into_other_and_missing_gets_its_own_column() {
    let mut csv = String::from("city,y\n");
    for i in 0..300 {
        let city = match i % 10 {
            0..=5 => "Austin".to_string(),
            6..=8 => "Dallas".to_string(),
            _ if i < 100 => format!("town{i}"), // 10 towns seen once each
            _ => "NA".to_string(),
        };
        csv += &format!("{city},{}\n", i % 2);
    }
    let (_s, t) = read(&csv, &CsvOptions::default());
    let schema = t.fit(&t.rows, FitOptions::default());
    let Encoding::Categorical { categories, rare, missing } = &schema.columns[0].encoding else { panic!() };
    assert_eq!((categories.as_slice(), rare.len(), *missing), (&["Austin".to_string(), "Dallas".into()][..], 10, true));
    assert_eq!(schema.feature_names(), ["city=Austin", "city=Dallas", "city=<other>", "city=<missing>"]);
    assert!(schema.summary()[0].contains("city (2 + other: 10 rare + missing)"), "{:?}", schema.summary());
}

#[test]
fn class_targets_drop_missing_rows_and_one_and_one_point_zero_are_one_class() {
    let (_s, t) = read("x,y\n1,1\n2,1.0\n3,NA\n4,2\n5,\n", &CsvOptions::default());
    assert_eq!((t.rows.clone(), t.dropped()), (vec![0, 1, 3], 2));
    let schema = t.fit(&t.rows, FitOptions::default());
    let (data, _) = t.dataset(&schema, &t.rows).unwrap();
    assert_eq!(data.targets, Targets::Classes { labels: vec![0, 0, 1], names: vec!["1".into(), "2".into()] });
    let (_s, t) = read("x,kind\n1,Gentoo\n2,Adelie\n3,Gentoo\n", &CsvOptions::default());
    let schema = t.fit(&t.rows, FitOptions::default());
    let (data, _) = t.dataset(&schema, &t.rows).unwrap();
    assert_eq!(data.targets, Targets::Classes { labels: vec![1, 0, 1], names: vec!["Adelie".into(), "Gentoo".into()] });
}

#[test]
fn a_regression_target_is_standardised_and_its_scale_kept() {
    let csv: String = std::iter::once("x,price\n".to_string())
        .chain((0..50).map(|i| format!("{i},{}\n", 100_000 + 1000 * i)))
        .collect();
    let (_s, t) = read(&csv, &CsvOptions { target: Some(TargetColumn::Name("price".into())), ..Default::default() });
    assert_eq!(t.task, Task::Regress);
    let schema = t.fit(&t.rows, FitOptions::default());
    let scale = schema.target_scale.expect("regression targets are scaled");
    assert!((scale.mean - 124_500.0).abs() < 1e-6, "{scale:?}");
    let (data, _) = t.dataset(&schema, &t.rows).unwrap();
    let Targets::Values { values, scale: kept, .. } = &data.targets else { panic!() };
    assert_eq!(*kept, scale);
    let mean: f32 = values.data().iter().sum::<f32>() / 50.0;
    assert!(mean.abs() < 1e-5 && values.data().iter().all(|v| v.abs() < 2.0), "standardised");
}

#[test]
fn the_schema_survives_a_json_round_trip() {
    let (_s, t) = read(&mixed(), &CsvOptions::default());
    let schema = t.fit(&t.rows, FitOptions::default());
    let json = serde_json::to_string_pretty(&schema).unwrap();
    assert!(json.contains("\"kind\": \"categorical\"") && json.contains("\"kind\": \"boolean\""), "{json}");
    let back: TableSchema = serde_json::from_str(&json).unwrap();
    assert_eq!(back, schema);
}

#[test]
fn bad_tables_each_get_their_own_message() {
    let e = error("x,z,y\n1,,0\n2,NA,1\n", &CsvOptions::default());
    assert!(e.contains("column \"z\" has no values") && e.contains("--ignore z"), "{e}");
    let e = error("x,y\n1,NA\n2,\n", &CsvOptions::default());
    assert!(e.contains("the target column \"y\" has no values"), "{e}");
    let e = error("x,y\n1,0\n2\n", &CsvOptions::default());
    assert!(e.contains("line 3") && e.contains("1 fields, but the header has 2 columns"), "{e}");
    let e = error("x,x,y\n1,2,0\n", &CsvOptions::default());
    assert!(e.contains("columns 1 and 2 are both named \"x\""), "{e}");
    // A test file without one of the model's columns.
    let (s, t) = read(&mixed(), &CsvOptions::default());
    let schema = t.fit(&t.rows, FitOptions::default());
    let other = s.file("test.csv", b"height,member,label\n150,yes,0\n");
    let file = schema.read(&other, Task::Classify, Some(&["0".to_string(), "1".to_string()])).unwrap();
    let e = schema.dataset(&file).unwrap_err().to_string();
    assert!(e.contains("test.csv") && e.contains("missing 3 of the model's 5 input columns"), "{e}");
    assert!(e.contains("\"flag\", \"colour\", \"code\""), "{e}");
}

#[test]
fn robust_scaling_centres_the_median_divides_by_the_quartiles_and_clips_smoothly() {
    // numpy: np.median, np.percentile(v, [25, 75]) (linear), then s / sqrt(1 + (s/3)^2).
    let (_s, t) = read("x,flat,y\n1,5,a\n2,5,b\n3,5,a\n4,5,b\n100,7,a\n", &CsvOptions::default());
    let options = FitOptions { scaling: NumericScaling::Robust, ..FitOptions::default() };
    let schema = t.fit(&t.rows, options);
    let (features, _) = schema.encode(&t.table, &t.rows).unwrap();
    let x: Vec<f32> = features.data().chunks(2).map(|row| row[0]).collect();
    let expected = [-0.9486832980505138, -0.49319696191607193, 0.0, 0.49319696191607193, 2.994277230905889];
    for (got, want) in x.iter().zip(expected) {
        assert!((*got as f64 - want).abs() < 1e-6, "{x:?}");
    }
    // Quartiles that meet: half the range instead (7 − 5 = 2, so 7 ↦ 2/1 before the clip).
    let flat: Vec<f32> = features.data().chunks(2).map(|row| row[1]).collect();
    let clipped = 2.0 / (1.0f64 + (2.0f64 / 3.0).powi(2)).sqrt();
    assert!((flat[4] as f64 - clipped).abs() < 1e-6 && flat[..4].iter().all(|&v| v == 0.0), "{flat:?}");
}

#[test]
fn auto_scaling_is_robust_for_heavy_tailed_columns_only() {
    // x: 1..=40 and one 1000: median 21, quartiles 11 and 31 (numpy's linear), so 1000 lies 49
    // IQRs out, past HEAVY_TAIL_IQRS (20): robust. y: 0..=40 shuffled (in order it would read
    // as a row counter), at most 1 IQR out: standard.
    let mut csv = String::from("x,y,label\n");
    for i in 1..=41 {
        let x = if i == 41 { 1000 } else { i };
        csv += &format!("{x},{},{}\n", (i * 17) % 41, i % 2);
    }
    let (_s, t) = read(&csv, &CsvOptions::default());
    let options = FitOptions { scaling: NumericScaling::Auto, ..FitOptions::default() };
    let schema = t.fit(&t.rows, options);
    let Encoding::Numeric { clip: x_clip, scale: x_scale, .. } = schema.columns[0].encoding else { panic!() };
    let Encoding::Numeric { clip: y_clip, scale: y_scale, .. } = schema.columns[1].encoding else { panic!() };
    assert!((979.0 / x_scale.std) > backprop::data::table::HEAVY_TAIL_IQRS, "the test's own premise");
    assert_eq!((x_clip, x_scale.mean, x_scale.std), (true, 21.0, 20.0), "x: median 21, IQR 31 − 11");
    assert!(!y_clip && (y_scale.mean - 20.0).abs() < 1e-9, "y keeps mean and std: {y_scale:?}");
    assert!(schema.summary()[0].contains("x (heavy-tailed: robust)"), "{:?}", schema.summary());
    // Asked for robust everywhere, the columns are not singled out.
    let all = t.fit(&t.rows, FitOptions { scaling: NumericScaling::Robust, ..FitOptions::default() });
    assert!(!all.summary()[0].contains("heavy-tailed"), "{:?}", all.summary());
}
