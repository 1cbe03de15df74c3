//! How much one request may ask of the lecture's tools, per front end, written down once. The
//! command line serves one user on their own machine, who may start a long job on purpose: it
//! is bounded only where memory would run out. The playground's server is shared by a class on
//! two cores, and each request holds one of them: every request is bounded to well under a
//! second. `--help` and `web/openapi.json` show these numbers (tests hold them to these).

/// The bounds of one front end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Training steps `explain` runs (only the first three are kept whole, so a long run costs
    /// time, not memory).
    pub explain_steps: usize,
    /// Parameters × steps whose gradients `verify` checks by central differences (two
    /// evaluations of E each).
    pub verified_param_steps: usize,
    /// The last step a `--check` answers file may name (each is a step explained in full).
    pub check_steps: usize,
    /// Definitions one `chain` request may give (each expression is bounded by the parser).
    pub chain_definitions: usize,
}

impl Limits {
    /// The command line: a million steps run in constant memory; checks up to step 1,000.
    pub const COMMAND_LINE: Limits = Limits {
        explain_steps: 1_000_000,
        verified_param_steps: usize::MAX,
        check_steps: 1_000,
        chain_definitions: usize::MAX,
    };

    /// The server: each bound keeps one request under about a second on one core (the
    /// largest network explain writes out, 10,000 parameters, verified for two steps).
    pub const SERVER: Limits =
        Limits { explain_steps: 100, verified_param_steps: 20_000, check_steps: 100, chain_definitions: 32 };
}
