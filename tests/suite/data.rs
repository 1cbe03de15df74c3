//! Loading data: the shipped files load as documented, and every kind of bad input gives its
//! own clear error naming the file (and line and column where there is one), never a panic.

use std::path::{Path, PathBuf};

use backprop::Error;
use backprop::data::{CsvOptions, TargetColumn, Targets, Task, load_csv, load_mnist, read_idx};

use crate::common;
use common::{Scratch, data_file as repo};

/// A file with `contents` in a fresh temporary directory (kept alive by the returned guard).
fn temp_file(name: &str, contents: &[u8]) -> (Scratch, PathBuf) {
    let dir = Scratch::new("data");
    let path = dir.file(name, contents);
    (dir, path)
}

fn csv_error(contents: &str, options: &CsvOptions) -> String {
    let (_dir, path) = temp_file("bad.csv", contents.as_bytes());
    let err = load_csv(&path, options).expect_err("bad input must be an error");
    let message = err.to_string();
    assert!(message.contains("bad.csv"), "the error names the file: {message}");
    message
}

#[test]
fn iris_and_digits_load_as_documented() {
    let iris = load_csv(&repo("iris.csv"), &CsvOptions::default()).unwrap();
    assert_eq!((iris.len(), iris.width()), (150, 4));
    assert_eq!(iris.feature_names[1], "sepal_width_cm");
    let Targets::Classes { labels, names } = &iris.targets else { panic!("iris is a classification set") };
    assert_eq!(names, &["0", "1", "2"]);
    assert_eq!(labels.iter().filter(|&&l| l == 2).count(), 50);
    assert_eq!(iris.features.data()[..4], [5.1, 3.5, 1.4, 0.2], "the first flower of Fisher's table");

    let digits = load_csv(&repo("digits.csv"), &CsvOptions::default()).unwrap();
    assert_eq!((digits.len(), digits.width(), digits.classes()), (1797, 64, Some(10)));
}

#[test]
fn the_task_is_guessed_from_the_target_and_can_be_forced() {
    let (_d, path) = temp_file("r.csv", b"x,y\n1,0.5\n2,1.5\n3,2.25\n");
    let reg = load_csv(&path, &CsvOptions::default()).unwrap();
    assert!(matches!(reg.targets, Targets::Values { .. }), "non-integer targets mean regression");
    let (_d, path) = temp_file("c.csv", b"a,b,kind\n1,2,cat\n3,4,dog\n5,6,cat\n");
    let cls = load_csv(&path, &CsvOptions::default()).unwrap();
    assert_eq!(cls.targets, Targets::Classes { labels: vec![0, 1, 0], names: vec!["cat".into(), "dog".into()] });
    let opts = CsvOptions { target: Some(TargetColumn::Index(2)), task: Some(Task::Regress), ..Default::default() };
    let forced = load_csv(&path, &opts).unwrap_err().to_string();
    assert!(forced.contains("line 2") && forced.contains("\"kind\"") && forced.contains("\"cat\""), "{forced}");
    assert!(forced.contains("a regression target must be"), "{forced}");
}

#[test]
fn a_stray_text_cell_in_a_numeric_column_names_file_line_and_column() {
    let m = csv_error("a,b,label\n1,2,0\n3,oops,1\n5,6,0\n", &CsvOptions::default());
    assert!(m.contains("line 3") && m.contains("column \"b\"") && m.contains("\"oops\" is not a number"), "{m}");
    assert!(m.contains("--na \"oops\"") && m.contains("--categorical b"), "the way out is named: {m}");
}

#[test]
fn a_missing_target_column_lists_the_columns() {
    let opts = CsvOptions { target: Some(TargetColumn::Name("species".into())), ..Default::default() };
    let m = csv_error("a,b,label\n1,2,0\n", &opts);
    assert!(m.contains("no column named \"species\"") && m.contains("\"a\", \"b\", \"label\""), "{m}");
    let opts = CsvOptions { target: Some(TargetColumn::Index(7)), ..Default::default() };
    assert!(csv_error("a,b\n1,2\n", &opts).contains("target column 7 is out of range"));
}

#[test]
fn ragged_rows_empty_files_and_non_finite_values_each_say_so() {
    let m = csv_error("a,b,label\n1,2,0\n1,2\n", &CsvOptions::default());
    assert!(m.contains("line 3") && m.contains("2 fields, but the header has 3 columns"), "{m}");
    assert!(csv_error("", &CsvOptions::default()).contains("empty"));
    assert!(csv_error("a,b,label\n", &CsvOptions::default()).contains("no data rows"));
    let m = csv_error("a,b,label\n1,2,0\ninf,2,1\n", &CsvOptions::default());
    assert!(m.contains("line 3") && m.contains("column \"a\"") && m.contains("not a finite number"), "{m}");
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = load_csv(Path::new("/no/such/file.csv"), &CsvOptions::default()).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(err.to_string().contains("/no/such/file.csv"));
}

#[test]
fn the_mnist_slice_reads_gzip_and_raw_idx() {
    let images = repo("mnist-t10k-first100-images-idx3-ubyte.gz");
    let labels = repo("mnist-t10k-first100-labels-idx1-ubyte");
    let raw = read_idx(&images).unwrap();
    assert_eq!((raw.magic, raw.dims.as_slice()), (2051, &[100, 28, 28][..]));
    let data = load_mnist(&images, &labels).unwrap();
    assert_eq!((data.len(), data.width(), data.classes()), (100, 784, Some(10)));
    // The first ten labels of the MNIST test set, as published with it.
    let Targets::Classes { labels, .. } = &data.targets else { panic!() };
    assert_eq!(labels[..10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    let px = data.features.data();
    assert!(px.iter().all(|&p| (0.0..=1.0).contains(&p)) && px.contains(&1.0));
}

/// An IDX header of unsigned bytes: magic, then each dimension.
fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = magic.to_be_bytes().to_vec();
    dims.iter().for_each(|d| out.extend(d.to_be_bytes()));
    out.extend_from_slice(data);
    out
}

#[test]
fn broken_idx_files_each_get_their_own_message() {
    let (_d, wrong_magic) = temp_file("x.idx", &idx(0x0000_0d03, &[1, 1, 1], &[0]));
    let m = read_idx(&wrong_magic).unwrap_err().to_string();
    assert!(m.contains("x.idx") && m.contains("not an IDX file"), "{m}");

    let (_d, truncated) = temp_file("t.idx", &idx(2051, &[2, 2, 2], &[0; 5]));
    let m = read_idx(&truncated).unwrap_err().to_string();
    assert!(m.contains("truncated") && m.contains("need 8 bytes") && m.contains("has 5"), "{m}");

    let (_d, trailing) = temp_file("e.idx", &idx(2049, &[2], &[1, 2, 3]));
    assert!(read_idx(&trailing).unwrap_err().to_string().contains("1 bytes after"));

    let (_d, short) = temp_file("s.idx", &[0, 0]);
    assert!(read_idx(&short).unwrap_err().to_string().contains("too short"));

    let (_d, images) = temp_file("i.idx", &idx(2051, &[3, 2, 2], &[0; 12]));
    let (_d2, labels) = temp_file("l.idx", &idx(2049, &[2], &[1, 2]));
    let m = load_mnist(&images, &labels).unwrap_err().to_string();
    assert!(m.contains("3 images") && m.contains("2 labels"), "{m}");

    let m = load_mnist(&labels, &labels).unwrap_err().to_string();
    assert!(m.contains("not an image file"), "{m}");

    let (_d, bad_gzip) = temp_file("g.gz", &[0x1f, 0x8b, 1, 2, 3]);
    assert!(read_idx(&bad_gzip).unwrap_err().to_string().contains("cannot decompress"));
}
