//! The playground end to end in a real browser: runs `tests/browser/playground.test.mjs`
//! (playwright-core driving Debian's headless Chromium) against this build's binary. It needs
//! node, `npm install` in `tests/browser` and /usr/bin/chromium; `.ci/run` installs them, so
//! under CI a missing piece fails the test instead of skipping it.

use std::path::Path;
use std::process::Command;

#[test]
fn the_playground_in_headless_chromium() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let ready = dir.join("node_modules/playwright-core").is_dir()
        && Path::new(&chromium).exists()
        && Command::new("node").arg("--version").output().is_ok_and(|o| o.status.success());
    if !ready {
        assert!(
            std::env::var("CI").is_err(),
            "CI installs node, chromium and playwright-core (npm ci in tests/browser); one is missing"
        );
        eprintln!("skipped: needs node, {chromium} and `npm ci` in tests/browser");
        return;
    }
    let out = Command::new("node")
        .arg("playground.test.mjs")
        .current_dir(&dir)
        .env("BACKPROP", env!("CARGO_BIN_EXE_backprop"))
        .output()
        .expect("node runs");
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{report}");
    assert!(out.status.success(), "the browser tests failed:\n{report}");
    assert!(report.contains("all passed"), "{report}");
}
