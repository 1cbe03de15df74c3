//! Big tables: a 1,000,000-row CSV of 20 numeric features and a class label, and the same with
//! four of the columns text (3, 7, 16 and 42 categories, as a census table's) and 2 % missing
//! cells, each trained for one
//! epoch by the `backprop` binary (`--hidden 128`, the network the loader's budget was set
//! with): wall time and peak memory of the whole process, reading, encoding and training
//! included, measured by `comparison/peers/peak.py`. Beside it, pandas' `read_csv` of the same
//! file when pandas is installed — the reference the loader is held to (within 1.5× of the
//! numeric loader it replaced, 2.2 s and 169 MB on the numeric file).
//!
//! `cargo bench --bench tables [-- --rows N --rounds R]`; the files are made once, in
//! `target/bench-tables/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

struct Measured {
    wall_s: f64,
    peak_mib: f64,
}

/// Median wall time and peak memory of `rounds` runs of `command` under peak.py.
fn measure(command: &[&str], rounds: usize) -> Option<Measured> {
    let peak = Path::new(env!("CARGO_MANIFEST_DIR")).join("comparison/peers/peak.py");
    let mut runs = Vec::new();
    for _ in 0..rounds {
        let out = Command::new("python3").arg(&peak).args(command).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let v: serde_json::Value = serde_json::from_str(text.lines().last()?).ok()?;
        if v["exit"] != 0 {
            eprintln!("{command:?} failed: {}", String::from_utf8_lossy(&out.stderr));
            return None;
        }
        runs.push((v["wall_s"].as_f64()?, v["peak_rss_kib"].as_f64()? / 1024.0));
    }
    let median = |mut xs: Vec<f64>| {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    Some(Measured {
        wall_s: median(runs.iter().map(|r| r.0).collect()),
        peak_mib: median(runs.iter().map(|r| r.1).collect()),
    })
}

/// Writes the benchmark file: 20 standard-normal features (six decimals) and a label from a
/// linear rule; with `text`, features 16–19 are categories instead and 2 % of cells are `NA`.
fn make(path: &Path, rows: usize, text: bool) {
    if path.exists() {
        return;
    }
    let mut rng = backprop::rng(7);
    let tmp = path.with_extension("tmp");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
    let header: Vec<String> = (0..20).map(|j| format!("f{j}")).chain(["label".to_string()]).collect();
    writeln!(f, "{}", header.join(",")).unwrap();
    let sizes = [3, 7, 16, 42]; // as census tables have (workclass, education, …, country)
    let mut line = String::new();
    for _ in 0..rows {
        line.clear();
        let mut score = 0.0f64;
        for j in 0..20 {
            let x: f64 = StandardNormal.sample(&mut rng);
            score += x * ((j % 5) as f64 - 2.0);
            if text && rng.random::<f64>() < 0.02 {
                line.push_str("NA,");
            } else if text && j >= 16 {
                let k = ((x.abs() * 1000.0) as usize) % sizes[j - 16];
                line.push_str(&format!("c{k},"));
            } else {
                line.push_str(&format!("{x:.6},"));
            }
        }
        line.push_str(if score > 0.0 { "1" } else { "0" });
        writeln!(f, "{line}").unwrap();
    }
    f.flush().unwrap();
    drop(f);
    std::fs::rename(tmp, path).unwrap();
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (rows, rounds) = (flag("--rows", 1_000_000), flag("--rounds", 3));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-tables");
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_backprop");
    let pandas = Command::new("python3").args(["-c", "import pandas"]).status().is_ok_and(|s| s.success());
    println!("{rows} rows × 21 columns, one epoch of MLP 20-128-2 (median of {rounds}; wall s, peak MiB)");
    for (name, text) in [("numeric", false), ("with text and NA", true)] {
        let file = dir.join(format!("{rows}-{}.csv", if text { "text" } else { "numeric" }));
        make(&file, rows, text);
        let size = std::fs::metadata(&file).map_or(0, |m| m.len()) as f64 / 1e6;
        let f = file.to_str().unwrap();
        let out = dir.join("model");
        let o = out.to_str().unwrap();
        let train = ["train", "--data", f, "--epochs", "1", "--hidden", "128", "--out", o, "--overwrite", "--quiet"];
        let ours = measure(&[&[bin][..], &train].concat(), rounds);
        let read = format!("import pandas; pandas.read_csv({f:?})");
        let theirs = if pandas { measure(&["python3", "-c", &read], rounds) } else { None };
        let show = |m: &Option<Measured>| {
            m.as_ref().map_or("–".into(), |m| format!("{:.2} s, {:.0} MiB", m.wall_s, m.peak_mib))
        };
        let ratio = match (&ours, &theirs) {
            (Some(a), Some(b)) => format!(
                "  (×{:.2} the time, ×{:.2} the memory of pandas)",
                a.wall_s / b.wall_s,
                a.peak_mib / b.peak_mib
            ),
            _ => String::new(),
        };
        println!(
            "  {name:<17} {size:>5.0} MB: backprop train {}; pandas read_csv {}{ratio}",
            show(&ours),
            show(&theirs)
        );
    }
}
