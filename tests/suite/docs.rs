//! The documentation, held to the code: the README stays a front door (at most 250 lines), the
//! module map in `docs/architecture.md` lists exactly the folders and top-level files of `src/`,
//! and every shell block of the README and `docs/` runs and exits 0.
//!
//! A shell block is fenced as ```` ```sh ````, optionally with one tag saying what it needs:
//! `server` (the playground: started here on a free port, its `curl` lines sent to it),
//! `mnist` (the full MNIST files in `../shared/data/mnist`, as CI has them; skipped, and said
//! so, where they are missing), `bench` (a benchmark, minutes long: not run here) or `python`
//! (the Python module's install, which `.ci/run` runs before the module's own tests). The plain
//! blocks of one page run in order in one shell, in a scratch folder that sees the repository's
//! `data/` and `docs/`, with `cargo run --release --` standing for the built binary and
//! `cargo run --release --example NAME --` for the built example.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The README and every page of `docs/`, in a fixed order.
fn pages() -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    pages.insert(0, repo().join("README.md"));
    pages
}

/// A fenced shell block: its tag (empty for a plain block) and its text.
struct Block {
    tag: String,
    text: String,
    line: usize,
}

fn shell_blocks(page: &Path) -> Vec<Block> {
    let text = std::fs::read_to_string(page).unwrap();
    let mut blocks = vec![];
    let mut open: Option<Block> = None;
    for (n, line) in text.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) if info == "sh" || info.starts_with("sh ") => {
                let tag = info.strip_prefix("sh").unwrap().trim().to_string();
                open = Some(Block { tag, text: String::new(), line: n + 1 });
            }
            (Some(_), Some("")) => blocks.push(open.take().unwrap()),
            (Some(block), _) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            _ => {}
        }
    }
    assert!(open.is_none(), "{}: a shell block is not closed", page.display());
    blocks
}

#[test]
fn the_readme_is_a_front_door() {
    let lines = std::fs::read_to_string(repo().join("README.md")).unwrap().lines().count();
    assert!(lines <= 250, "README.md has {lines} lines; the rest belongs in docs/");
}

#[test]
fn the_module_map_lists_exactly_what_src_holds() {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            if path.is_dir() {
                out.insert(format!("{rel}/"));
                walk(&path, root, out);
            } else if dir == root.join("src") {
                out.insert(rel);
            }
        }
    }
    let mut actual = BTreeSet::new();
    walk(&repo().join("src"), &repo(), &mut actual);
    let map = std::fs::read_to_string(repo().join("docs/architecture.md")).unwrap();
    let listed: BTreeSet<String> = map
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            *s != "src/"
                && s.starts_with("src/")
                && (s.ends_with('/') || (s.ends_with(".rs") && s.matches('/').count() == 1))
        })
        .map(str::to_string)
        .collect();
    let missing: Vec<&String> = actual.difference(&listed).collect();
    let stale: Vec<&String> = listed.difference(&actual).collect();
    assert!(missing.is_empty(), "docs/architecture.md does not list {missing:?}");
    assert!(stale.is_empty(), "docs/architecture.md lists what src/ does not hold: {stale:?}");
}

#[test]
fn every_block_has_a_known_tag() {
    for page in pages() {
        for b in shell_blocks(&page) {
            assert!(
                ["", "server", "mnist", "bench", "long", "python"].contains(&b.tag.as_str()),
                "{}:{}: unknown tag `sh {}`",
                page.display(),
                b.line,
                b.tag
            );
        }
    }
}

/// Where the built examples are: beside the test binary's `deps/`.
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(Path::parent).unwrap().join("examples")
}

/// A scratch folder that sees the repository's data, docs and `../shared`, as a fresh clone would.
fn scratch(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("backprop-docs-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let work = root.join("repo");
    std::fs::create_dir_all(&work).unwrap();
    for shared in ["data", "docs", "fuzz"] {
        std::os::unix::fs::symlink(repo().join(shared), work.join(shared)).unwrap();
    }
    if let Some(parent) = repo().parent() {
        std::os::unix::fs::symlink(parent.join("shared"), root.join("shared")).unwrap();
    }
    work
}

/// The block's text with `cargo run` standing for the built binary and examples, and the line
/// that runs this suite itself left out.
fn script(text: &str) -> String {
    let binary = env!("CARGO_BIN_EXE_backprop");
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("cargo test") {
            continue;
        }
        let mut line = line.to_string();
        while let Some(at) = line.find("cargo run --release --example ") {
            let rest = &line[at + "cargo run --release --example ".len()..];
            let name: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            let after = rest[name.len()..].trim_start().strip_prefix("--").unwrap_or(&rest[name.len()..]);
            let example = examples_dir().join(&name);
            assert!(example.exists(), "{} is not built (cargo test builds the examples)", example.display());
            line = format!("{}{}{}", &line[..at], example.display(), after);
        }
        line = line.replace("cargo run --release --", binary);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn run_script(page: &Path, script: &str, work: &Path) {
    let out = Command::new("bash").args(["-euo", "pipefail", "-c", script]).current_dir(work).output().unwrap();
    assert!(
        out.status.success(),
        "{}: a documented command failed ({})\n--- script\n{script}--- stderr\n{}",
        page.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

fn page_blocks(page: &Path, tag: &str) -> String {
    shell_blocks(page).into_iter().filter(|b| b.tag == tag).map(|b| b.text).collect()
}

#[test]
fn every_plain_documented_command_runs() {
    for page in pages() {
        let text = page_blocks(&page, "");
        if text.is_empty() {
            continue;
        }
        let name = page.file_stem().unwrap().to_string_lossy().to_string();
        let work = scratch(&name);
        run_script(&page, &script(&text), &work);
        let _ = std::fs::remove_dir_all(work.parent().unwrap());
    }
}

#[test]
fn every_mnist_command_runs_where_the_files_are() {
    let mnist = repo().join("../shared/data/mnist/train-images-idx3-ubyte.gz");
    if !mnist.exists() {
        eprintln!("skipped: {} is not here", mnist.display());
        return;
    }
    for page in pages() {
        let text = page_blocks(&page, "mnist");
        if text.is_empty() {
            continue;
        }
        let name = format!("{}-mnist", page.file_stem().unwrap().to_string_lossy());
        let work = scratch(&name);
        run_script(&page, &script(&text), &work);
        let _ = std::fs::remove_dir_all(work.parent().unwrap());
    }
}

/// A running `backprop playground` on a free port, stopped when dropped.
#[cfg(feature = "playground")]
struct Server {
    child: std::process::Child,
    address: String,
}

#[cfg(feature = "playground")]
impl Server {
    /// Starts the documented `playground …` arguments with `--port 0` for whatever port they
    /// name, and waits for the address it announces.
    fn start(args: &[String], work: &Path) -> Server {
        let mut args: Vec<String> = args.to_vec();
        match args.iter().position(|a| a == "--port") {
            Some(i) => args[i + 1] = "0".into(),
            None => args.extend(["--port".to_string(), "0".to_string()]),
        }
        args.retain(|a| a != "--open");
        let mut child = Command::new(env!("CARGO_BIN_EXE_backprop"))
            .args(&args)
            .current_dir(work)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let address = line
            .strip_prefix("backprop playground: http://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("the playground announced {line:?}"))
            .to_string();
        Server { child, address }
    }
}

#[cfg(feature = "playground")]
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(feature = "playground")]
#[test]
fn every_server_command_runs_against_a_started_playground() {
    for page in pages() {
        let text = page_blocks(&page, "server");
        if text.is_empty() {
            continue;
        }
        let name = format!("{}-server", page.file_stem().unwrap().to_string_lossy());
        let work = scratch(&name);
        let mut server: Option<Server> = None;
        // Continued lines (a trailing backslash) are one command.
        let commands = text.replace("\\\n", " ");
        for command in commands.lines().map(|l| l.split(" # ").next().unwrap().trim()).filter(|l| !l.is_empty()) {
            if let Some(args) = command.strip_prefix("cargo run --release -- ") {
                let args: Vec<String> = args.split_whitespace().map(str::to_string).collect();
                server = Some(Server::start(&args, &work));
                continue;
            }
            let address = &server.get_or_insert_with(|| Server::start(&["playground".to_string()], &work)).address;
            let line = command.replace("localhost:8000", address);
            let out = Command::new("bash").args(["-euo", "pipefail", "-c", &line]).current_dir(&work).output().unwrap();
            let body = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success() && !body.is_empty(), "{}: {line} failed: {body}", page.display());
            assert!(!body.trim_start().starts_with("{\"error\""), "{}: {line} answered {body}", page.display());
        }
        drop(server);
        let _ = std::fs::remove_dir_all(work.parent().unwrap());
    }
}
