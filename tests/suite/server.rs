//! `backprop playground`'s HTTP API, against the real server on a free port: every endpoint,
//! the same JSON as the CLI for explain, chain and check, every class of bad request (a 4xx
//! with a JSON message), the bounds, sessions side by side, and Ctrl-C.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

/// The server, stopped on drop.
struct Server {
    child: Child,
    url: String,
    agent: ureq::Agent,
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    /// The server with more options than a free port; its URL as printed (with any `?token=`)
    /// minus the path.
    fn start_with(options: &[&str]) -> Server {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("backprop"))
            .args(["playground", "--port", "0"])
            .args(options)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("the URL")
            .split('?')
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_string();
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        Server { child, url, agent }
    }

    /// (status, body) of a request with an optional body.
    fn call(&self, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
        let url = format!("{}{path}", self.url);
        let response = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            ("POST", b) => self.agent.post(&url).send(b.unwrap_or("")),
            ("PUT", b) => self.agent.put(&url).send(b.unwrap_or("")),
            _ => unreachable!(),
        };
        let mut response = response.unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().with_config().limit(50_000_000).read_to_string().unwrap();
        (status, text)
    }

    /// A request that must succeed, as JSON.
    fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let (status, text) = self.call(method, path, body.map(|b| b.to_string()).as_deref());
        assert!((200..300).contains(&status), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// A request that must fail with `status` and a JSON message containing `says`.
    fn fails(&self, method: &str, path: &str, body: Option<&str>, status: u16, says: &str) {
        let (got, text) = self.call(method, path, body);
        assert_eq!(got, status, "{method} {path}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"));
        let message = v["error"].as_str().expect("an error message");
        assert!(message.contains(says), "{method} {path}: {message:?} lacks {says:?}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the CLI prints for these arguments.
fn cli(args: &[&str]) -> String {
    let out = Command::new(assert_cmd::cargo::cargo_bin("backprop")).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn lecture_file() -> Value {
    json!({
        "inputs": [0.05, 0.10], "targets": [0.01, 0.99],
        "layers": [
            {"weights": [[0.15, 0.20], [0.25, 0.30]], "biases": [0.35, 0.35], "activation": "sigmoid"},
            {"weights": [[0.40, 0.45], [0.50, 0.55]], "biases": [0.60, 0.60], "activation": "sigmoid"}
        ],
        "loss": "half-sse", "learning_rate": 0.5
    })
}

/// With a token (always made beyond loopback; here given, on loopback), every route without it
/// is 401 with a message; the page's address with `?token=` sets the cookie the page's own
/// requests then carry; scripts send the header.
#[test]
fn a_token_guards_every_route_and_the_first_page_load_sets_its_cookie() {
    let server = Server::start_with(&["--token", "s3cret"]);
    for (method, path) in [("GET", "/"), ("GET", "/api/vocabulary"), ("POST", "/api/sessions"), ("GET", "/js/main.js")]
    {
        server.fails(method, path, Some("{}"), 401, "needs its token");
    }
    server.fails("GET", "/api/vocabulary", None, 401, "needs its token");
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let wrong =
        agent.get(format!("{}/api/vocabulary", server.url)).header("X-Backprop-Token", "s3creT").call().unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let right =
        agent.get(format!("{}/api/vocabulary", server.url)).header("X-Backprop-Token", "s3cret").call().unwrap();
    assert_eq!(right.status().as_u16(), 200);
    let page = agent.get(format!("{}/?token=s3cret", server.url)).call().unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let cookie = page.headers().get("set-cookie").expect("a cookie").to_str().unwrap().to_string();
    assert!(cookie.starts_with("backprop_token=s3cret;") && cookie.contains("HttpOnly"), "{cookie}");
    let with_cookie = agent
        .post(format!("{}/api/sessions", server.url))
        .header("Cookie", "backprop_token=s3cret")
        .send("{}")
        .unwrap();
    assert_eq!(with_cookie.status().as_u16(), 201);
}

/// Past `--max-sessions`, a new session is refused with 503 and a message for the page; the
/// sessions already there go on working.
#[test]
fn a_full_server_answers_503_and_keeps_every_active_session() {
    let server = Server::start_with(&["--max-sessions", "2"]);
    let ids: Vec<String> = (0..2)
        .map(|_| server.ok("POST", "/api/sessions", Some(json!({})))["id"].as_str().unwrap().to_string())
        .collect();
    server.fails("POST", "/api/sessions", Some("{}"), 503, "the server is full: 2 learners");
    for id in &ids {
        server.ok("POST", &format!("/api/sessions/{id}/step"), Some(json!({"epochs": 1})));
    }
    assert_eq!(server.call("DELETE", &format!("/api/sessions/{}", ids[0]), None).0, 204);
    server.ok("POST", "/api/sessions", Some(json!({})));
}

#[test]
fn explain_chain_and_check_answer_as_the_cli_does() {
    let server = Server::start();
    let scratch = common::Scratch::new("server-cli");
    let network = scratch.path("network.json");
    std::fs::write(&network, lecture_file().to_string()).unwrap();

    let (status, body) = server.call("POST", "/api/explain?steps=3&verify=true", Some(&lecture_file().to_string()));
    assert_eq!(status, 200);
    assert_eq!(body, cli(&["explain", &network, "--steps", "3", "--verify", "--format", "json"]));
    let (_, text) = server.call("POST", "/api/explain?format=text", Some(&lecture_file().to_string()));
    assert_eq!(text, cli(&["explain", &network, "--format", "text"]));

    let chain = json!({"definitions": ["y = 5x + 3", "x = t^2"], "wrt": "t", "at": {"t": 3}});
    let (_, body) = server.call("POST", "/api/chain", Some(&chain.to_string()));
    assert_eq!(body, cli(&["chain", "y = 5x + 3", "x = t^2", "--wrt", "t", "--at", "t=3", "--format", "json"]));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["value"], json!(30.0), "the slide's dy/dt = 10t at t = 3");

    let answers = scratch.path("answers.json");
    std::fs::write(&answers, r#"{"out_H1": 0.5933, "dE/dw5": 0.0822, "w5+": 0.3589, "E+": 0.2999}"#).unwrap();
    let body = r#"{"answers": {"out_H1": 0.5933, "dE/dw5": 0.0822, "w5+": 0.3589, "E+": 0.2999}}"#;
    let (status, got) = server.call("POST", "/api/check", Some(body));
    assert_eq!(status, 200);
    assert_eq!(got, cli(&["explain", "--check", &answers, "--format", "json"]));
    let with_network = json!({"network": lecture_file(), "answers": {"out_H1": "0.5933"}});
    let v = server.ok("POST", "/api/check", Some(with_network));
    assert_eq!(v["answers"][0]["correct"], json!(true), "a string holding a number is read as written");

    let derivative = json!({"definitions": ["y = 5x + 3", "x = t^2"], "wrt": "t", "at": {"t": 3}, "answer": "5t = 15"});
    let (_, got) = server.call("POST", "/api/check", Some(&derivative.to_string()));
    let want =
        cli(&["chain", "y = 5x + 3", "x = t^2", "--wrt", "t", "--at", "t=3", "--check", "5t = 15", "--format", "json"]);
    assert_eq!(got, want);
    assert_eq!(serde_json::from_str::<Value>(&got).unwrap()["correct"], json!(false));
}

#[test]
fn a_session_trains_edits_and_explains_the_lecture() {
    let server = Server::start();
    let vocabulary = server.ok("GET", "/api/vocabulary", None);
    let created = server.ok("POST", "/api/sessions", Some(vocabulary["lecture"].clone()));
    let id = created["id"].as_str().unwrap().to_string();
    let snapshot = &created["snapshot"];
    common::close("E", snapshot["loss_train"].as_f64().unwrap(), 0.298371109, 5e-10);
    assert_eq!(snapshot["network"]["layers"][1]["units"][0]["weights"][0], json!({"name": "w5", "value": 0.4}));

    let g = server.ok("GET", &format!("/api/sessions/{id}/gradient/w5"), None);
    common::close("dE/dw5", g["gradient"].as_f64().unwrap(), 0.082167041, 5e-10);
    let example = server.ok("GET", &format!("/api/sessions/{id}/example"), None);
    common::close("w5+", example["updated"]["w5"].as_f64().unwrap(), 0.35891648, 5e-9);
    common::close("δ y1", example["deltas"]["y1"].as_f64().unwrap(), 0.138498562, 5e-10);
    // The example's network explained through the API is the example's own explanation.
    let (_, explained) = server.call("POST", "/api/explain", Some(&example["network"].to_string()));
    assert_eq!(serde_json::from_str::<Value>(&explained).unwrap(), example["explain"]);

    let after = server.ok("POST", &format!("/api/sessions/{id}/step"), Some(json!({"updates": 1})));
    common::close("E+", after["loss_train"].as_f64().unwrap(), 0.291027774, 5e-10);
    let edited = server.ok("POST", &format!("/api/sessions/{id}/edit"), Some(json!({"name": "w5", "value": 1.0})));
    assert_eq!(edited["network"]["layers"][1]["units"][0]["weights"][0]["value"], json!(1.0));
    let reset = server.ok("POST", &format!("/api/sessions/{id}/reset"), None);
    assert_eq!(reset["epoch"], json!(0));
    common::close("E again", reset["loss_train"].as_f64().unwrap(), 0.298371109, 5e-10);

    let mut setup = reset["setup"].clone();
    setup["learning_rate"] = json!(0.1);
    let changed = server.ok("PUT", &format!("/api/sessions/{id}/setup"), Some(setup));
    assert_eq!(changed["setup"]["learning_rate"], json!(0.1));

    let csv = "x,y,label\n0,0,a\n1,1,b\n0,1,a\n1,0,b\n";
    let (status, text) = server.call("POST", &format!("/api/sessions/{id}/data"), Some(csv));
    assert_eq!(status, 200, "{text}");
    let uploaded: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(uploaded["setup"]["data"], json!("upload"));
    assert_eq!(uploaded["points"].as_array().unwrap().len(), 4);

    let (status, _) = server.call("DELETE", &format!("/api/sessions/{id}"), None);
    assert_eq!(status, 204);
    server.fails("GET", &format!("/api/sessions/{id}"), None, 404, "no session");
}

#[test]
fn the_page_and_the_api_description_are_served() {
    let server = Server::start();
    let (status, html) = server.call("GET", "/", None);
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"play\"") && html.contains("/js/main.js"));
    assert_eq!(server.call("GET", "/style.css", None).0, 200);
    // Every module in web/js is served (none forgotten in the embedded list).
    let modules = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/web/js")).unwrap();
    for entry in modules {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let (status, text) = server.call("GET", &format!("/js/{name}"), None);
        assert_eq!(status, 200, "/js/{name}");
        assert!(text.contains("export") || name == "main.js", "/js/{name} is the module");
    }
    server.fails("GET", "/js/nothing.js", None, 404, "no script");
    let spec = server.ok("GET", "/api/openapi.json", None);
    let paths = spec["paths"].as_object().expect("paths");
    for path in ["/api/explain", "/api/chain", "/api/check", "/api/sessions", "/api/sessions/{id}/step"] {
        assert!(paths.contains_key(path), "{path} is described");
    }
    // Every described path is a route (none answers "no route").
    for (path, methods) in paths {
        let concrete = path.replace("{id}", "x").replace("{name}", "w1");
        for method in methods.as_object().unwrap().keys() {
            let (_, text) = server.call(&method.to_uppercase(), &concrete, Some("{}"));
            assert!(!text.contains("no route"), "{method} {path}: {text}");
        }
    }
    // The description's names are the library's (the vocabulary comes from its enums).
    let vocabulary = server.ok("GET", "/api/vocabulary", None);
    let setup = &spec["components"]["schemas"]["Setup"]["properties"];
    assert_eq!(setup["data"]["enum"], vocabulary["data"]);
    assert_eq!(setup["regularization"]["enum"], vocabulary["regularizations"]);
    let features: Vec<&Value> = vocabulary["features"].as_array().unwrap().iter().map(|f| &f["name"]).collect();
    assert_eq!(setup["features"]["items"]["enum"].as_array().unwrap().iter().collect::<Vec<_>>(), features);
    let losses: Vec<&Value> = setup["loss"]["enum"].as_array().unwrap().iter().filter(|l| !l.is_null()).collect();
    assert_eq!(losses, vocabulary["losses"].as_array().unwrap().iter().collect::<Vec<_>>());
    assert_eq!(setup["optimizer"]["enum"], vocabulary["optimizers"]);
    // Every field of the setup is described, and nothing else.
    let fields = serde_json::to_value(backprop::playground::Setup { exercise: Some(1), ..Default::default() }).unwrap();
    let described: Vec<&String> = setup.as_object().unwrap().keys().collect();
    assert_eq!(described, fields.as_object().unwrap().keys().collect::<Vec<_>>());
    // The server's bounds as `Limits::SERVER` sets them (src/limits.rs), the one place they
    // are written.
    let limits = backprop::limits::Limits::SERVER;
    let explain = &spec["paths"]["/api/explain"]["post"];
    let steps = explain["parameters"].as_array().unwrap().iter().find(|p| p["name"] == "steps").unwrap();
    assert_eq!(steps["schema"]["maximum"], json!(limits.explain_steps));
    assert_eq!(explain["x-max-verified-param-steps"], json!(limits.verified_param_steps));
    assert_eq!(spec["paths"]["/api/check"]["post"]["x-max-steps"], json!(limits.check_steps));
    let chain = &spec["components"]["schemas"]["ChainRequest"]["properties"];
    assert_eq!(chain["definitions"]["maxItems"], json!(limits.chain_definitions));
    // A network file takes every activation, softmax too.
    use strum::IntoEnumIterator;
    let every: Vec<Value> = backprop::nn::Activation::iter().map(|a| json!(a)).collect();
    let layer = &spec["components"]["schemas"]["NetworkFile"]["properties"]["layers"]["items"]["properties"];
    assert_eq!(layer["activation"]["enum"], Value::Array(every));
}

#[test]
fn every_bad_request_is_a_4xx_with_a_message() {
    let server = Server::start();
    let id = server.ok("POST", "/api/sessions", Some(json!({})))["id"].as_str().unwrap().to_string();
    let s = |rest: &str| format!("/api/sessions/{id}{rest}");

    // Malformed and mistyped bodies.
    server.fails("POST", "/api/explain", Some("{\"inputs\": [1"), 400, "line 1");
    server.fails("POST", "/api/explain", Some("[]"), 400, "the body");
    // serde would read `[]` as a setup of all the defaults (schemathesis found it accepted).
    server.fails("POST", "/api/sessions", Some("[]"), 400, "a JSON object");
    server.fails("PUT", &s("/setup"), Some("[]"), 400, "a JSON object");
    server.fails("POST", "/api/check", Some(r#"{"answers": [], "network": null}"#), 400, "none to mark");
    server.fails("POST", "/api/sessions", Some(r#"{"hidden": [4], "colour": "red"}"#), 400, "unknown field `colour`");
    server.fails("POST", "/api/sessions", Some(r#"{"data": "moons"}"#), 400, "unknown variant `moons`");
    server.fails("POST", "/api/chain", Some(r#"{"definitions": ["y = 5x +"], "wrt": "x"}"#), 400, "");
    server.fails("POST", "/api/chain", Some(r#"{"definitions": ["y = x"], "wrt": "x", "verify": true}"#), 400, "at");
    server.fails("POST", "/api/check", Some(r#"{"answers": {"dE/dw5": "lots"}}"#), 400, "not a number");
    server.fails(
        "POST",
        "/api/chain",
        Some(r#"{"definitions": ["y = x"], "wrt": "x", "answer": "1"}"#),
        400,
        "/api/check",
    );
    server.fails("POST", "/api/check", Some(r#"{"hello": 1}"#), 400, "expected");
    server.fails("POST", "/api/check?format=html", Some(r#"{"answers": {"E": 0.3}}"#), 400, "text or json");
    server.fails("POST", "/api/explain?steps=lots", Some("{}"), 400, "steps");
    server.fails("POST", "/api/explain?colour=red", Some("{}"), 400, "colour");

    // Networks that do not fit together, by field.
    let mut bad = lecture_file();
    bad["layers"][1]["weights"][0] = json!([0.4]);
    server.fails("POST", "/api/explain", Some(&bad.to_string()), 400, "layers[1].weights[0]");
    let mut bad = lecture_file();
    bad["learning_rate"] = json!(-1);
    server.fails("POST", "/api/explain", Some(&bad.to_string()), 400, "learning_rate");

    // The bounds.
    let wide = json!({
        "inputs": vec![0.1; 200], "targets": vec![0.5; 60],
        "layers": [{"weights": vec![vec![0.0; 200]; 60], "biases": vec![0.0; 60], "activation": "sigmoid"}],
        "loss": "half-sse", "learning_rate": 0.5
    });
    server.fails("POST", "/api/explain", Some(&wide.to_string()), 400, "more than explain writes out");
    server.fails("POST", "/api/explain?steps=101", Some(&lecture_file().to_string()), 400, "steps: 101");
    let mid = json!({
        "inputs": vec![0.1; 50], "targets": vec![0.5; 40],
        "layers": [{"weights": vec![vec![0.0; 50]; 40], "biases": vec![0.0; 40], "activation": "sigmoid"}],
        "loss": "half-sse", "learning_rate": 0.5
    });
    server.fails(
        "POST",
        "/api/explain?steps=10&verify=true",
        Some(&mid.to_string()),
        400,
        "verify: 2040 parameters × 10 steps",
    );
    let huge = format!("{{\"definitions\": [\"{}\"], \"wrt\": \"x\"}}", "x".repeat(300_000));
    server.fails("POST", "/api/chain", Some(&huge), 413, "length limit");
    // A client that writes its whole over-long body before reading (as Python's urllib does)
    // reads the 413, not a broken pipe.
    let address = server.url.trim_start_matches("http://").to_string();
    let mut client = std::net::TcpStream::connect(&address).unwrap();
    let body = "x".repeat(12_000_000);
    let head = format!(
        "POST /api/chain HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).unwrap();
    client.write_all(body.as_bytes()).expect("the whole body is read");
    let mut answer = String::new();
    let _ = client.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413") && answer.contains("length limit"), "{answer}");
    let many: Vec<String> = (0..40).map(|i| format!("v{i} = x")).collect();
    server.fails(
        "POST",
        "/api/chain",
        Some(&json!({"definitions": many, "wrt": "x"}).to_string()),
        400,
        "more than 32",
    );
    server.fails("POST", "/api/sessions", Some(r#"{"hidden": [8, 8, 8, 8, 8, 8, 8]}"#), 400, "hidden: 7 layers");
    server.fails("POST", "/api/sessions", Some(r#"{"hidden": [9]}"#), 400, "hidden: a layer of 9 units");
    server.fails("POST", &s("/step"), Some(r#"{"epochs": 101}"#), 400, "epochs: 101");
    server.fails("POST", &s("/step"), Some(r#"{"updates": 0}"#), 400, "updates: 0");
    server.fails("POST", &s("/step"), Some(r#"{"epochs": 1, "updates": 1}"#), 400, "not both");
    let rows: String = std::iter::once("x,y,z\n".to_string()).chain((0..2001).map(|i| format!("{i},1,a\n"))).collect();
    server.fails("POST", &s("/data"), Some(&rows), 400, "more than 2000 rows");
    server.fails("POST", &s("/data"), Some("x,y,z\n1,oops,a\n2,3,b\n"), 400, "line 2, column \"y\"");

    // Sessions, parameters and routes that do not exist; edits that do not apply.
    server.fails("GET", "/api/sessions/nope", None, 404, "no session");
    server.fails("GET", &s("/gradient/w999"), None, 404, "no parameter");
    server.fails("GET", &s("/example?shown=x"), None, 400, "shown");
    server.fails("POST", &s("/edit"), Some(r#"{"name": "w999", "value": 1}"#), 400, "no parameter");
    server.fails("POST", &s("/edit"), Some(r#"{"name": "w1", "value": 1e300}"#), 400, "value");
    server.fails("GET", "/api/nothing", None, 404, "no route");
    server.fails("GET", "/api/explain", None, 405, "GET is not a method");

    // The session still works after all of that.
    let after = server.ok("POST", &s("/step"), Some(json!({"epochs": 2})));
    assert_eq!(after["epoch"], json!(2));
}

#[test]
fn sessions_side_by_side_stay_apart_and_a_request_in_flight_does_not_block_others() {
    let server = std::sync::Arc::new(Server::start());
    let ids: Vec<String> = (0..4)
        .map(|i| {
            server.ok("POST", "/api/sessions", Some(json!({"seed": i, "hidden": [8, 8, 8, 8, 8, 8]})))["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let threads: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let (server, id) = (server.clone(), id.clone());
            std::thread::spawn(move || {
                for _ in 0..=k {
                    server.ok("POST", &format!("/api/sessions/{id}/step"), Some(json!({"epochs": 3})));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for (k, id) in ids.iter().enumerate() {
        assert_eq!(server.ok("GET", &format!("/api/sessions/{id}"), None)["epoch"], json!(3 * (k + 1)));
    }
}

#[test]
fn a_half_sent_request_does_not_hold_up_the_server_and_ctrl_c_stops_it() {
    let mut server = Server::start();
    let address = server.url.trim_start_matches("http://").to_string();
    let mut stalled = std::net::TcpStream::connect(&address).unwrap();
    stalled.write_all(b"POST /api/chain HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"defin").unwrap();
    let v = server.ok("POST", "/api/chain", Some(json!({"definitions": ["y = x^2"], "wrt": "x", "at": {"x": 2}})));
    assert_eq!(v["value"], json!(4.0));
    drop(stalled);

    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let status = server.child.wait().unwrap();
    assert!(status.success(), "Ctrl-C exits cleanly: {status:?}");
    let mut stderr = String::new();
    server.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert!(stderr.contains("stopped"), "{stderr}");
}

/// Every route the router has, with a body where it takes one.
const ROUTES: [(&str, &str); 16] = [
    ("GET", "/"),
    ("GET", "/js/core.js"),
    ("GET", "/style.css"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/vocabulary"),
    ("POST", "/api/explain"),
    ("POST", "/api/chain"),
    ("POST", "/api/check"),
    ("POST", "/api/sessions"),
    ("GET", "/api/sessions/0"),
    ("DELETE", "/api/sessions/0"),
    ("POST", "/api/sessions/0/step"),
    ("POST", "/api/sessions/0/reset"),
    ("POST", "/api/sessions/0/edit"),
    ("GET", "/api/sessions/0/gradient/w1"),
    ("GET", "/api/sessions/0/example"),
];

#[test]
fn another_host_than_loopback_needs_the_printed_token_or_warns_without_one() {
    // Bound to 127.0.0.2 — not the default address, as a teacher's LAN address is not — a
    // token is made and printed in the address to open; every route refuses a request
    // without it, and the page and the API work with it.
    let server = Server::start_with(&["--host", "127.0.0.2"]);
    assert!(server.url.starts_with("http://127.0.0.2:"), "{}", server.url);
    for (method, path) in ROUTES {
        server.fails(method, path, Some("{}"), 401, "needs its token");
    }
    let mut printed = String::new();
    drop(server);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("backprop"))
        .args(["playground", "--port", "0", "--host", "127.0.0.2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut printed).unwrap();
    let address = printed.split_whitespace().find(|w| w.starts_with("http://")).expect("the address").to_string();
    let token = address.split("?token=").nth(1).expect("the token in the address");
    assert!(token.len() == 32 && token.chars().all(|c| c.is_ascii_hexdigit()), "{printed}");
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
    let page = agent.get(&address).call().unwrap();
    assert_eq!(page.status().as_u16(), 200, "the printed address opens the page");
    let base = address.split("/?").next().unwrap();
    let created = agent.post(format!("{base}/api/sessions")).header("X-Backprop-Token", token).send("{}").unwrap();
    assert_eq!(created.status().as_u16(), 201);
    child.kill().unwrap();
    child.wait().unwrap();

    // --no-token: open to anyone, said loudly.
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("backprop"))
        .args(["playground", "--port", "0", "--host", "0.0.0.0", "--no-token"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stderr.take().unwrap()).read_line(&mut line).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(line.contains("with no token") && line.contains("anyone"), "{line}");
}
