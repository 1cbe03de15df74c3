//! Training sessions, one per tab: created by `POST /api/sessions` with a setup, then driven by
//! id (step, reset, edit a number, change the setup, upload data) and read (the snapshot, a
//! parameter's gradient, one example explained). They are bounded by memory, not by a count
//! alone ([`Capacity`]): each session's cost is accounted after every request, sessions idle
//! past the timeout are freed (first, when room is needed), and an active session is never
//! dropped to make room — a new one is refused with 503 instead, saying so.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::api::{ApiError, ApiResult, body, json, json_body};
use super::work::Work;
use crate::playground::{Edit, MAX_EPOCHS_PER_REQUEST, Session, Setup, read_upload};

/// The most single updates one step request may run.
const MAX_UPDATES_PER_REQUEST: usize = 10_000;

/// How many sessions the server keeps, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity {
    /// The bytes all sessions together may hold (each as [`Session::bytes`] counts it).
    pub memory: usize,
    /// At most this many sessions, whatever their size.
    pub max_sessions: usize,
    /// A session unused this long is freed: by the sweep, and at once when room is needed.
    pub idle: Duration,
}

impl Capacity {
    /// A session unused for half an hour is a closed tab.
    pub const IDLE: Duration = Duration::from_secs(30 * 60);
    /// Sessions at most, by default: a class of 200 several times over.
    pub const MAX_SESSIONS: usize = 2_000;

    /// The default for this machine: an eighth of its memory (at least 256 MiB) for sessions
    /// of 22–54 kB each (the default network on its 500 points, fresh and after 2,100 epochs),
    /// [`Capacity::MAX_SESSIONS`], freed after [`Capacity::IDLE`].
    pub fn for_this_machine() -> Capacity {
        let total = machine_memory().unwrap_or(4 << 30);
        Capacity { memory: (total / 8).max(256 << 20), max_sessions: Capacity::MAX_SESSIONS, idle: Capacity::IDLE }
    }
}

/// The machine's memory in bytes, from `/proc/meminfo` (Linux).
fn machine_memory() -> Option<usize> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// A session behind its own queue: a request waits (without holding a thread) until the
/// session's previous request is done, so one learner's requests run in the order sent.
type Shared = Arc<tokio::sync::Mutex<Session>>;

struct Entry {
    session: Shared,
    used: Instant,
    /// The session's cost as last accounted.
    bytes: usize,
}

/// The live sessions by id, within their [`Capacity`].
pub struct Sessions {
    map: Mutex<HashMap<String, Entry>>,
    capacity: Capacity,
}

impl Default for Sessions {
    fn default() -> Sessions {
        Sessions::new(Capacity::for_this_machine())
    }
}

impl Sessions {
    pub fn new(capacity: Capacity) -> Sessions {
        Sessions { map: Mutex::new(HashMap::new()), capacity }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a session if there is room: first by freeing the sessions idle past the timeout,
    /// never by dropping an active one. Without room: 503, saying how many learners there are.
    fn insert(&self, session: Session) -> Result<String, ApiError> {
        let bytes = session.bytes();
        let mut map = self.lock();
        let Capacity { memory, max_sessions, idle } = self.capacity;
        let fits = |map: &HashMap<String, Entry>| {
            map.len() < max_sessions && map.values().map(|e| e.bytes).sum::<usize>() + bytes <= memory
        };
        if !fits(&map) {
            map.retain(|_, e| e.used.elapsed() < idle);
        }
        if !fits(&map) {
            return Err(ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the server is full: {} learners; ask the teacher to raise --max-sessions or --session-memory",
                    map.len()
                ),
            ));
        }
        let id = format!("{:032x}", rand::random::<u128>());
        map.insert(
            id.clone(),
            Entry { session: Arc::new(tokio::sync::Mutex::new(session)), used: Instant::now(), bytes },
        );
        Ok(id)
    }

    fn get(&self, id: &str) -> Result<Shared, ApiError> {
        let mut map = self.lock();
        let minutes = self.capacity.idle.as_secs() / 60;
        let entry = map.get_mut(id).ok_or_else(|| {
            ApiError::not_found(format!(
                "no session {id:?} (sessions idle for {minutes} minutes are freed); create one with POST /api/sessions"
            ))
        })?;
        entry.used = Instant::now();
        Ok(entry.session.clone())
    }

    /// Records a session's cost after a request changed it.
    fn account(&self, id: &str, bytes: usize) {
        if let Some(entry) = self.lock().get_mut(id) {
            entry.bytes = bytes;
        }
    }

    /// Frees the sessions idle past the timeout; how many.
    pub fn free_idle(&self) -> usize {
        let idle = self.capacity.idle;
        let mut map = self.lock();
        let before = map.len();
        map.retain(|_, e| e.used.elapsed() < idle);
        before - map.len()
    }

    /// The memory the sessions hold, as accounted.
    pub fn bytes(&self) -> usize {
        self.lock().values().map(|e| e.bytes).sum()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Frees idle sessions every tenth of the timeout (at most once a minute), for as long as the
/// server runs.
pub async fn sweep(sessions: Arc<Sessions>) {
    let every = (sessions.capacity.idle / 10).clamp(Duration::from_millis(100), Duration::from_secs(60));
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        sessions.free_idle();
    }
}

/// `?known_data=N` on any route that answers with a snapshot: the asker has the points of data
/// version N, so they are left out while the data stays the same (a playing page's frames).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Known {
    #[serde(default)]
    known_data: Option<u64>,
}

type KnownQuery = Result<Query<Known>, QueryRejection>;

fn known(q: KnownQuery) -> Result<Option<u64>, ApiError> {
    q.map(|Query(k)| k.known_data).map_err(|e| ApiError::bad(e.body_text()))
}

/// Session `id`, once its earlier requests are done.
async fn session(sessions: &Sessions, id: &str) -> Result<tokio::sync::OwnedMutexGuard<Session>, ApiError> {
    Ok(sessions.get(id)?.lock_owned().await)
}

/// The answer after a request changed a session: its cost accounted, then its snapshot.
fn changed(sessions: &Sessions, id: &str, s: &Session, done: Result<(), ApiError>, known: Option<u64>) -> ApiResult {
    sessions.account(id, s.bytes());
    done?;
    Ok(json(&s.snapshot_since(known)))
}

/// Runs `f` on session `id` in one turn of work, answering with its snapshot.
async fn with_session(
    sessions: Arc<Sessions>,
    work: Work,
    id: String,
    q: KnownQuery,
    f: impl FnOnce(&mut Session) -> Result<(), ApiError> + Send + 'static,
) -> ApiResult {
    let known = known(q)?;
    let mut s = session(&sessions, &id).await?;
    work.answer(move || {
        let done = f(&mut s);
        changed(&sessions, &id, &s, done, known)
    })
    .await
}

/// `POST /api/sessions` with a setup (every field optional) → 201 `{"id", "snapshot"}`.
pub async fn create(
    State(sessions): State<Arc<Sessions>>,
    State(work): State<Work>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let bytes = body(raw)?;
    work.answer(move || {
        let setup: Setup = json_body(&bytes)?;
        let session = Session::new(setup)?;
        let snapshot = serde_json::to_value(session.snapshot()).expect("the snapshot serialises");
        let id = sessions.insert(session)?;
        Ok((StatusCode::CREATED, json(&serde_json::json!({"id": id, "snapshot": snapshot}))).into_response())
    })
    .await
}

/// `GET /api/sessions/{id}` → the snapshot.
pub async fn show(
    State(sessions): State<Arc<Sessions>>,
    State(work): State<Work>,
    Path(id): Path<String>,
    q: KnownQuery,
) -> ApiResult {
    with_session(sessions, work, id, q, |_| Ok(())).await
}

/// `DELETE /api/sessions/{id}` → 204.
pub async fn remove(State(sessions): State<Arc<Sessions>>, Path(id): Path<String>) -> ApiResult {
    sessions.get(&id)?;
    sessions.lock().remove(&id);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /api/sessions/{id}/setup` with a whole setup → the snapshot.
pub async fn setup(
    State(sessions): State<Arc<Sessions>>,
    State(work): State<Work>,
    Path(id): Path<String>,
    q: KnownQuery,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let setup: Setup = json_body(&body(raw)?)?;
    with_session(sessions, work, id, q, move |s| s.apply(setup).map_err(ApiError::from)).await
}

/// How far one step request trains.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepRequest {
    #[serde(default)]
    epochs: Option<usize>,
    #[serde(default)]
    updates: Option<usize>,
}

/// `POST /api/sessions/{id}/step` with `{"epochs": n}` (default 1) or `{"updates": n}` (single
/// batches, as backprop mode steps) → the snapshot. Many epochs run a slice of work at a time
/// ([`Work::in_slices`]), so others' single epochs go between them.
pub async fn step(
    State(sessions): State<Arc<Sessions>>,
    State(work): State<Work>,
    Path(id): Path<String>,
    q: KnownQuery,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let r: StepRequest = json_body(&body(raw)?)?;
    let (count, whole_epochs) = match (r.epochs, r.updates) {
        (Some(_), Some(_)) => return Err(ApiError::bad("give epochs or updates, not both")),
        (None, Some(u)) if (1..=MAX_UPDATES_PER_REQUEST).contains(&u) => (u, false),
        (None, Some(u)) => {
            return Err(ApiError::bad(format!("updates: {u} is not between 1 and {MAX_UPDATES_PER_REQUEST}")));
        }
        (e, None) => match e.unwrap_or(1) {
            e @ 1..=MAX_EPOCHS_PER_REQUEST => (e, true),
            e => return Err(ApiError::bad(format!("epochs: {e} is not between 1 and {MAX_EPOCHS_PER_REQUEST}"))),
        },
    };
    let known = known(q)?;
    let s = session(&sessions, &id).await?;
    work.in_slices(
        (s, count),
        move |(s, left)| {
            if whole_epochs {
                s.run_epochs(1)
            } else {
                s.update()
            }
            *left -= 1;
            *left == 0
        },
        move |(s, _)| changed(&sessions, &id, &s, Ok(()), known),
    )
    .await?
}

/// `POST /api/sessions/{id}/reset` → new initial weights, epoch 0.
pub async fn reset(
    State(sessions): State<Arc<Sessions>>,
    State(work): State<Work>,
    Path(id): Path<String>,
    q: KnownQuery,
) -> ApiResult {
    with_session(sessions, work, id, q, |s| {
        s.reset();
        Ok(())
    })
    .await
}

/// `POST /api/sessions/{id}/edit` with `{"name": "w5", "value": 0.4}` → the snapshot.
pub async fn edit(
    State(sessions): State<Arc<Sessions>>,
    State(work): State<Work>,
    Path(id): Path<String>,
    q: KnownQuery,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let e: Edit = json_body(&body(raw)?)?;
    with_session(sessions, work, id, q, move |s| s.edit(&e).map_err(ApiError::from)).await
}

/// `POST /api/sessions/{id}/data` with a CSV (x1, x2, label) → the snapshot, trained from the start.
pub async fn upload(
    State(sessions): State<Arc<Sessions>>,
    State(work): State<Work>,
    Path(id): Path<String>,
    q: KnownQuery,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let bytes = body(raw)?;
    let text = String::from_utf8(bytes.to_vec()).map_err(|e| ApiError::bad(format!("the CSV is not UTF-8: {e}")))?;
    let uploaded = read_upload(&text)?;
    with_session(sessions, work, id, q, move |s| s.upload(uploaded).map_err(ApiError::from)).await
}

/// Which example of the batch to show.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shown {
    #[serde(default)]
    shown: usize,
}

fn shown(q: Result<Query<Shown>, QueryRejection>) -> Result<usize, ApiError> {
    q.map(|Query(s)| s.shown).map_err(|e| ApiError::bad(e.body_text()))
}

/// `GET /api/sessions/{id}/gradient/{name}[?shown=k]` → the parameter's chains for the next batch.
pub async fn gradient(
    State(sessions): State<Arc<Sessions>>,
    State(work): State<Work>,
    Path((id, name)): Path<(String, String)>,
    q: Result<Query<Shown>, QueryRejection>,
) -> ApiResult {
    let shown = shown(q)?;
    let s = session(&sessions, &id).await?;
    work.answer(move || {
        let g = s
            .gradient(&name, shown)
            .ok_or_else(|| ApiError::not_found(format!("no parameter {name:?} in this network")))?;
        Ok(json(&g))
    })
    .await
}

/// `GET /api/sessions/{id}/example[?shown=k]` → one example of the next batch explained.
pub async fn example(
    State(sessions): State<Arc<Sessions>>,
    State(work): State<Work>,
    Path(id): Path<String>,
    q: Result<Query<Shown>, QueryRejection>,
) -> ApiResult {
    let shown = shown(q)?;
    let s = session(&sessions, &id).await?;
    work.answer(move || Ok(json(&s.explain_example(shown)))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lecture() -> Session {
        Session::new(Setup::lecture()).unwrap()
    }

    /// An active session is never dropped: past the count, a new one is refused with 503 and
    /// the message; sessions idle past the timeout make room first.
    #[test]
    fn a_full_server_refuses_new_sessions_and_idle_ones_make_room() {
        let capacity = Capacity { memory: usize::MAX, max_sessions: 3, idle: Duration::from_millis(200) };
        let sessions = Sessions::new(capacity);
        let first = sessions.insert(lecture()).unwrap();
        for _ in 1..3 {
            sessions.insert(lecture()).unwrap();
        }
        let ApiError(status, message) = sessions.insert(lecture()).unwrap_err();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(message.contains("the server is full: 3 learners") && message.contains("--max-sessions"), "{message}");
        assert!(sessions.get(&first).is_ok(), "no active session made room");
        std::thread::sleep(Duration::from_millis(250));
        sessions.get(&first).unwrap(); // one learner comes back; the two others stay away
        sessions.insert(lecture()).unwrap();
        assert_eq!(sessions.len(), 2, "the idle sessions were freed for the new one");
        assert!(sessions.get(&first).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(sessions.free_idle(), 2);
        assert!(sessions.is_empty());
    }

    /// The budget is memory: sessions are refused once their accounted bytes would pass it,
    /// and a session's growth (an upload, plans) is accounted after the request.
    #[test]
    fn sessions_are_bounded_by_their_accounted_memory() {
        let one = lecture().bytes();
        assert!(one > 1_000 && one < 100_000, "a lecture session is {one} bytes");
        let default = Session::new(Setup::default()).unwrap().bytes();
        assert!(default < 200_000, "a default session is {default} bytes");
        let capacity = Capacity { memory: 2 * one + one / 2, max_sessions: 100, idle: Capacity::IDLE };
        let sessions = Sessions::new(capacity);
        let a = sessions.insert(lecture()).unwrap();
        sessions.insert(lecture()).unwrap();
        assert_eq!(sessions.insert(lecture()).unwrap_err().0, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(sessions.bytes(), 2 * one);
        sessions.account(&a, 10 * one);
        assert_eq!(sessions.bytes(), 11 * one);
        // 200 default sessions fit in the default budget of any machine (at least 256 MiB).
        assert!(200 * default < Capacity::for_this_machine().memory);
        assert!(Capacity::for_this_machine().max_sessions >= 200);
    }
}
