//! The peers' side: a Python environment with PyTorch, JAX, numpy and micrograd (created here,
//! outside the repository, never by CI) and the scripts in `comparison/peers/`, each of which prints
//! one JSON line.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What the environment needs; `jax[cpu]` brings jaxlib. The default `torch` wheel is the CUDA
/// build (about 4 GB of nvidia packages); it runs on the CPU all the same.
const PACKAGES: [&str; 5] = ["numpy", "threadpoolctl", "torch", "jax[cpu]", "micrograd"];
const IMPORTS: &str = "import numpy, threadpoolctl, torch, jax, micrograd";

/// A Python interpreter that can run every peer script.
pub struct Python {
    exe: PathBuf,
    scripts: PathBuf,
}

impl Python {
    /// The environment at `venv`, created and filled first if it cannot import every peer.
    pub fn prepare(venv: &Path, scripts: &Path) -> Result<Python, String> {
        let exe = venv.join("bin/python");
        let ready = |exe: &Path| Command::new(exe).args(["-c", IMPORTS]).output().is_ok_and(|o| o.status.success());
        if !ready(&exe) {
            eprintln!("creating the peers' Python environment in {} (PyTorch is ~5 GB) ...", venv.display());
            run_quietly(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
            run_quietly(Command::new(&exe).args(["-m", "pip", "install", "--quiet"]).args(PACKAGES))?;
            if !ready(&exe) {
                return Err(format!("{} still cannot `{IMPORTS}`", exe.display()));
            }
        }
        Ok(Python { exe, scripts: scripts.to_path_buf() })
    }

    /// The system's `python3`, for `peak.py` alone (it needs nothing but the standard library).
    pub fn system(scripts: &Path) -> Python {
        Python { exe: PathBuf::from("python3"), scripts: scripts.to_path_buf() }
    }

    /// Runs `comparison/peers/SCRIPT ARGS` (on core 0 only with `one_core`: JAX has no thread knob)
    /// and returns the JSON object it printed last.
    pub fn run(&self, script: &str, args: &[&str], one_core: bool) -> Result<Value, String> {
        let mut cmd = if one_core {
            let mut c = Command::new("taskset");
            c.args(["-c", "0"]).arg(&self.exe);
            c
        } else {
            Command::new(&self.exe)
        };
        cmd.arg(script).args(args).current_dir(&self.scripts);
        last_json(&mut cmd)
    }

    /// `peak.py COMMAND`: the command's wall time and peak resident memory, and the JSON the
    /// command printed, if any.
    pub fn peak(&self, command: &[&str]) -> Result<(Value, String), String> {
        let mut cmd = Command::new(&self.exe);
        cmd.arg(self.scripts.join("peak.py")).args(command).current_dir(&self.scripts);
        let out = cmd.output().map_err(|e| format!("cannot start {}: {e}", self.exe.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let value = last_json_line(&stdout).ok_or_else(|| failure(&out))?;
        if value["exit"] != 0 {
            return Err(failure(&out));
        }
        Ok((value, stdout))
    }

    /// The path of a peer script, for commands built by the caller.
    pub fn script(&self, name: &str) -> String {
        self.scripts.join(name).display().to_string()
    }

    pub fn exe(&self) -> String {
        self.exe.display().to_string()
    }
}

/// Runs a command and parses the last line of its output that is a JSON object.
fn last_json(cmd: &mut Command) -> Result<Value, String> {
    let out = cmd.output().map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(failure(&out));
    }
    last_json_line(&String::from_utf8_lossy(&out.stdout)).ok_or_else(|| failure(&out))
}

fn last_json_line(text: &str) -> Option<Value> {
    text.lines().rev().find_map(|l| serde_json::from_str::<Value>(l).ok().filter(Value::is_object))
}

/// The last line of a failed command's error output, to say why a peer is missing.
fn failure(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    format!("{} ({})", err.lines().last().unwrap_or("no output"), out.status)
}

fn run_quietly(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if out.status.success() { Ok(()) } else { Err(failure(&out)) }
}
