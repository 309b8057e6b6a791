//! Tail latency of one reader's evaluations while a writer thread reconfigures the API, for this
//! SDK and for the `open-feature` crate (0.3), side by side in one run.
//!
//! For each side, one reader thread does `LATENCY_EVALS` (default 2,000,000) `get_bool_value`
//! evaluations with the five-attribute context and no hooks, timing each one with
//! `std::time::Instant` into an HDR histogram (nanoseconds, nothing subtracted: the two clock
//! reads are in every figure, on both sides). It runs six times:
//!
//! - `alone`: no other thread;
//! - `neighbour`, the control: a writer loops as fast as it can on a second API instance, set up
//!   the same way, that the reader does not read: what an equally busy thread that shares
//!   nothing with the reader costs it on this machine (allocator, caches, hypervisor);
//! - `unpaced`: a writer thread loops as fast as it can;
//! - `paced 1us`, `paced 10us`: the writer waits 1 µs or 10 µs between iterations (spinning on
//!   the clock: a sleep that short lasts tens of microseconds);
//! - `paced`: the writer sleeps 100 µs between iterations.
//!
//! The paced rows show how the tail grows with the rate of reconfiguration: each writer
//! iteration changes the configuration twice or more, and every evaluation after a change
//! takes a fresh snapshot, reading what the writer's core has just written.
//!
//! One writer iteration: rebind the default provider, alternating between two instances of the
//! constant provider, with the waiting variant (this SDK: `set_provider_and_wait`; open-feature:
//! `set_provider(..).await`, which returns after `initialize`); replace the global evaluation
//! context with a new one of one attribute; add a no-op API-level event handler (this SDK only:
//! open-feature 0.3 has no events; the handler added one iteration earlier is removed, so the
//! number of handlers, and with it the cost of each rebind's READY dispatch, stays constant).
//!
//! The `unpaced` row over the `neighbour` row is what sharing the configuration costs.
//!
//! Every mode starts from a one-attribute global context, the shape the writer keeps setting, so
//! that the `alone` row merges the same contexts as the others (a non-empty global context costs
//! a merge on both sides) and the p99 ratio isolates the writer's interference.
//!
//! The rows are measured in `LATENCY_BLOCKS` (default 10) interleaved blocks: each row's first
//! tenth of the evaluations, row after row, then each row's second tenth, and so on, each block
//! with a fresh API instance and writer thread. This machine has slow phases lasting seconds; row
//! after row, a phase would fall on some rows and not others, and the ratios over `alone` would
//! measure the phase. Interleaved, each row samples the same phases.
//!
//! Each row prints p50, p99, p99.9 and max in nanoseconds over all its blocks, p99 over the same
//! side's `alone` p99, and the writer iterations that ran while the reader measured. The reader
//! warms up (a tenth of the block's evaluations, at least 10,000) before each block, with the
//! writer already running.
//!
//! open-feature is async: both of its threads run inside a multi-thread tokio runtime's context
//! (entered once per thread), and each call is driven by `pollster::block_on`. Its evaluation
//! path needs no runtime (only `tokio::sync` locks), so the runtime is idle; it is there so that
//! the crate would find one if it looked.
//!
//! `LATENCY_MODES` (a comma-separated subset of the mode names above; `alone` always runs) and
//! `LATENCY_SIDES` (`sdk`, `open-feature`) choose the rows, to profile one of them.
//!
//! `LATENCY_SHUTDOWN_US=N` makes the SDK side's providers work (spin) N µs in `shutdown`, to
//! show which thread runs a replaced provider's shutdown.
//!
//! `LATENCY_WRITER=rebind,context,handlers` (the default) chooses the writer's operations: a
//! subset shows which one the tail comes from (open-feature has no handlers to add).
//!
//! Run: `cargo bench -p openfeature-bench --bench latency` (about 10-30 s on two cores); a smoke
//! run: `LATENCY_EVALS=50000 cargo bench -p openfeature-bench --bench latency`. With
//! `--features mimalloc`, both sides allocate with mimalloc instead of the system allocator.
//! With `--features probe`, each SDK row also prints which way its evaluations took their
//! snapshots and where the locked way's time went (see the `paths` module at the end).

use hdrhistogram::Histogram;
use openfeature_bench::{open_feature, sdk, Hooks, FLAG_KEY};
use openfeature_sdk::{EvaluationContext, HandlerId, ProviderEvent};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// With `--features mimalloc`, both sides allocate with mimalloc instead of the system allocator
/// (glibc's malloc here): its arena lock is much of the tail under an unpaced writer.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Evaluations measured per row unless `LATENCY_EVALS` says otherwise.
const DEFAULT_EVALS: u64 = 2_000_000;

/// Slices each row is measured in unless `LATENCY_BLOCKS` says otherwise (see `main`).
const DEFAULT_BLOCKS: u64 = 10;

/// What runs beside the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// No other thread.
    Alone,
    /// A writer looping without pause.
    Unpaced,
    /// A writer spinning 1 µs between iterations.
    Paced1Us,
    /// A writer spinning 10 µs between iterations.
    Paced10Us,
    /// A writer sleeping 100 µs between iterations.
    Paced,
    /// The control: a writer looping without pause, as `Unpaced`, on a second API instance
    /// the reader does not read. What it costs the reader is what a busy neighbour costs on
    /// this machine (the shared allocator, caches and memory, the hypervisor), with nothing
    /// shared: the floor under the `unpaced` row.
    Neighbour,
}

impl Mode {
    const ALL: [Mode; 6] = [
        Mode::Alone,
        Mode::Neighbour,
        Mode::Unpaced,
        Mode::Paced1Us,
        Mode::Paced10Us,
        Mode::Paced,
    ];

    fn name(self) -> &'static str {
        match self {
            Mode::Alone => "alone",
            Mode::Unpaced => "unpaced",
            Mode::Paced1Us => "paced 1us",
            Mode::Paced10Us => "paced 10us",
            Mode::Paced => "paced",
            Mode::Neighbour => "neighbour",
        }
    }

    /// Waits between two writer iterations.
    fn pause(self) {
        let spin = |pause: Duration| {
            let start = Instant::now();
            while start.elapsed() < pause {
                std::hint::spin_loop();
            }
        };
        match self {
            Mode::Alone | Mode::Unpaced | Mode::Neighbour => {}
            Mode::Paced1Us => spin(Duration::from_micros(1)),
            Mode::Paced10Us => spin(Duration::from_micros(10)),
            Mode::Paced => std::thread::sleep(Duration::from_micros(100)),
        }
    }
}

/// Which of its operations the writer runs each iteration (`LATENCY_WRITER`, a comma-separated
/// subset of `rebind`, `context`, `handlers`; all three by default). A subset shows which
/// operation the tail comes from.
#[derive(Clone, Copy, Debug)]
struct WriterOps {
    rebind: bool,
    context: bool,
    handlers: bool,
}

impl WriterOps {
    fn from_env() -> WriterOps {
        let Ok(list) = std::env::var("LATENCY_WRITER") else {
            return WriterOps {
                rebind: true,
                context: true,
                handlers: true,
            };
        };
        let mut ops = WriterOps {
            rebind: false,
            context: false,
            handlers: false,
        };
        for op in list.split(',').map(str::trim).filter(|op| !op.is_empty()) {
            match op {
                "rebind" => ops.rebind = true,
                "context" => ops.context = true,
                "handlers" => ops.handlers = true,
                other => panic!(
                    "LATENCY_WRITER: unknown writer operation {other:?}; \
                     expected a comma-separated subset of rebind, context, handlers"
                ),
            }
        }
        assert!(
            ops.rebind || ops.context || ops.handlers,
            "LATENCY_WRITER names no operation; expected a comma-separated subset of rebind, \
             context, handlers"
        );
        ops
    }

    fn describe(self) -> String {
        [
            (self.rebind, "rebind"),
            (self.context, "context"),
            (self.handlers, "handlers"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join(",")
    }
}

/// One measured row.
struct Row {
    side: &'static str,
    mode: Mode,
    histogram: Histogram<u64>,
    writer_iterations: u64,
    /// The SDK's record of which way each evaluation took (`--features probe`).
    paths: paths::Paths,
}

fn main() {
    let evals = match std::env::var("LATENCY_EVALS") {
        Ok(value) => value
            .trim()
            .replace('_', "")
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or_else(|| panic!("LATENCY_EVALS must be a positive integer, got {value:?}")),
        Err(_) => DEFAULT_EVALS,
    };
    let ops = WriterOps::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .build()
        .expect("a tokio runtime");
    let started = Instant::now();
    println!(
        "latency of one reader's get_bool_value (5-attribute context, no hooks), ns; \
         {evals} evaluations per row, in {} interleaved blocks; allocator: {}; writer: {}",
        blocks_from_env(evals),
        if cfg!(feature = "mimalloc") {
            "mimalloc"
        } else {
            "system"
        },
        ops.describe(),
    );

    let modes = modes_from_env();
    let sides = sides_from_env();
    let blocks = blocks_from_env(evals);
    // Every row's evaluations are measured in `blocks` slices, taken in turn (each row's first
    // slice, then each row's second, ...), so that a phase in which the machine is slow falls
    // on every row alike instead of on whichever rows ran during it: the ratios over `alone`
    // compare measurements taken side by side in time.
    let mut rows: Vec<Row> = Vec::new();
    for block in 0..blocks {
        let block_evals = evals / blocks + u64::from(block < evals % blocks);
        let mut slices = Vec::new();
        if sides.contains(&"sdk") {
            for &mode in &modes {
                slices.push(measure_sdk(block_evals, mode, ops));
            }
        }
        if sides.contains(&"open-feature") {
            for &mode in &modes {
                slices.push(measure_open_feature(
                    block_evals,
                    mode,
                    ops,
                    runtime.handle(),
                ));
            }
        }
        if rows.is_empty() {
            rows = slices;
        } else {
            for (row, slice) in rows.iter_mut().zip(slices) {
                row.histogram
                    .add(&slice.histogram)
                    .expect("histograms with the same bounds add");
                row.writer_iterations += slice.writer_iterations;
                row.paths.add(&slice.paths);
            }
        }
    }
    print_table(&rows);
    paths::print(&rows);
    println!("total {:.1} s", started.elapsed().as_secs_f64());
}

/// How many slices each row's evaluations are measured in (`LATENCY_BLOCKS`, default 10; at most
/// one per evaluation).
fn blocks_from_env(evals: u64) -> u64 {
    let blocks = match std::env::var("LATENCY_BLOCKS") {
        Ok(value) => value
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or_else(|| panic!("LATENCY_BLOCKS must be a positive integer, got {value:?}")),
        Err(_) => DEFAULT_BLOCKS,
    };
    blocks.min(evals)
}

/// How long the SDK side's providers work in `shutdown` (`LATENCY_SHUTDOWN_US`, microseconds;
/// none by default): which thread runs a replaced provider's shutdown then shows in the
/// reader's latency. The open-feature side is unchanged: open-feature 0.3's providers have no
/// shutdown method (dropping one is its shutdown).
fn shutdown_work_from_env() -> Duration {
    match std::env::var("LATENCY_SHUTDOWN_US") {
        Ok(value) => Duration::from_micros(value.trim().parse::<u64>().unwrap_or_else(|_| {
            panic!("LATENCY_SHUTDOWN_US must be a whole number of microseconds, got {value:?}")
        })),
        Err(_) => Duration::ZERO,
    }
}

/// The modes `LATENCY_MODES` names (a comma-separated subset of the mode names; all by
/// default), with `alone` always first: every ratio is over it. A subset is for profiling one
/// row.
fn modes_from_env() -> Vec<Mode> {
    let Ok(list) = std::env::var("LATENCY_MODES") else {
        return Mode::ALL.to_vec();
    };
    let mut modes = vec![Mode::Alone];
    for name in list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let mode = Mode::ALL
            .into_iter()
            .find(|mode| mode.name() == name)
            .unwrap_or_else(|| {
                panic!(
                    "LATENCY_MODES: unknown mode {name:?}; expected a comma-separated subset of {}",
                    Mode::ALL.map(Mode::name).join(", ")
                )
            });
        if !modes.contains(&mode) {
            modes.push(mode);
        }
    }
    modes
}

/// The sides `LATENCY_SIDES` names (`sdk`, `open-feature`; both by default).
fn sides_from_env() -> Vec<&'static str> {
    const SIDES: [&str; 2] = ["sdk", "open-feature"];
    let Ok(list) = std::env::var("LATENCY_SIDES") else {
        return SIDES.to_vec();
    };
    let mut sides = Vec::new();
    for name in list
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let side = SIDES
            .into_iter()
            .find(|side| *side == name)
            .unwrap_or_else(|| {
                panic!("LATENCY_SIDES: unknown side {name:?}; expected sdk, open-feature or both")
            });
        if !sides.contains(&side) {
            sides.push(side);
        }
    }
    assert!(
        !sides.is_empty(),
        "LATENCY_SIDES names no side; expected sdk, open-feature or both"
    );
    sides
}

/// This SDK: the reader evaluates through a client of the API the writer reconfigures.
fn measure_sdk(evals: u64, mode: Mode, ops: WriterOps) -> Row {
    let setup = sdk::Setup::new(Hooks::None);
    setup.api.set_context(writer_context_sdk(0));
    let context = sdk::context5();
    let work = shutdown_work_from_env();
    let providers: [Arc<dyn openfeature_sdk::FeatureProvider>; 2] = [
        Arc::new(sdk::ConstantProvider::new("constant-a").with_shutdown_work(work)),
        Arc::new(sdk::ConstantProvider::new("constant-b").with_shutdown_work(work)),
    ];
    // The neighbour's writer reconfigures an API instance of its own, set up the same way.
    let neighbour = (mode == Mode::Neighbour).then(|| {
        let neighbour = sdk::Setup::new(Hooks::None);
        neighbour.api.set_context(writer_context_sdk(0));
        neighbour
    });
    let writer_api = neighbour
        .as_ref()
        .map_or(&setup.api, |neighbour| &neighbour.api);
    let mut previous_handler: Option<HandlerId> = None;
    let writer_step = |iteration: u64| {
        if ops.rebind {
            let provider = Arc::clone(&providers[(iteration % 2) as usize]);
            writer_api
                .set_provider_and_wait(provider)
                .expect("the constant provider initializes");
        }
        if ops.context {
            writer_api.set_context(writer_context_sdk(iteration));
        }
        if ops.handlers {
            let handler = writer_api.add_handler(ProviderEvent::Ready, |_| {});
            if let Some(old) = previous_handler.replace(handler) {
                writer_api.remove_handler(old);
            }
        }
    };
    let (histogram, writer_iterations, paths) = run(
        evals,
        mode,
        || {
            sdk::get_bool_value(
                &setup.client,
                black_box(FLAG_KEY),
                black_box(Some(&context)),
            )
        },
        writer_step,
        || {},
    );
    setup.api.shutdown();
    if let Some(neighbour) = neighbour {
        neighbour.api.shutdown();
    }
    Row {
        side: "sdk",
        mode,
        histogram,
        writer_iterations,
        paths,
    }
}

/// open-feature 0.3: the writer owns the API instance (its mutators take `&mut self`); the
/// reader's client shares its provider map and global context.
fn measure_open_feature(
    evals: u64,
    mode: Mode,
    ops: WriterOps,
    runtime: &tokio::runtime::Handle,
) -> Row {
    let _runtime_context = runtime.enter();
    let open_feature::Setup { mut api, client } = open_feature::Setup::new(Hooks::None);
    pollster::block_on(api.set_evaluation_context(writer_context_open_feature(0)));
    let context = open_feature::context5();
    let names = ["constant-a", "constant-b"];
    // The neighbour's writer reconfigures an instance of its own, set up the same way.
    let mut neighbour = (mode == Mode::Neighbour).then(|| {
        let mut neighbour = open_feature::Setup::new(Hooks::None);
        pollster::block_on(
            neighbour
                .api
                .set_evaluation_context(writer_context_open_feature(0)),
        );
        neighbour
    });
    let writer_api = match neighbour.as_mut() {
        Some(neighbour) => &mut neighbour.api,
        None => &mut api,
    };
    let writer_step = |iteration: u64| {
        pollster::block_on(async {
            // The crate takes the provider by value and drops the one it replaces: each rebind
            // binds a new instance, alternating between the two names.
            if ops.rebind {
                writer_api
                    .set_provider(open_feature::ConstantProvider::new(
                        names[(iteration % 2) as usize],
                    ))
                    .await;
            }
            if ops.context {
                writer_api
                    .set_evaluation_context(writer_context_open_feature(iteration))
                    .await;
            }
        });
    };
    let (histogram, writer_iterations, paths) = run(
        evals,
        mode,
        || open_feature::get_bool_value(&client, black_box(FLAG_KEY), black_box(Some(&context))),
        writer_step,
        || runtime.enter(),
    );
    Row {
        side: "open-feature",
        mode,
        histogram,
        writer_iterations,
        paths,
    }
}

/// The writer's global context: one attribute, new each iteration.
fn writer_context_sdk(iteration: u64) -> EvaluationContext {
    EvaluationContext::new().with("writer_iteration", iteration as i64)
}

/// The writer's global context for open-feature: one attribute, new each iteration.
fn writer_context_open_feature(iteration: u64) -> ::open_feature::EvaluationContext {
    ::open_feature::EvaluationContext::default()
        .with_custom_field("writer_iteration", iteration as i64)
}

/// Runs the reader on this thread and, unless `mode` is `Alone`, `writer_step` in a loop on a
/// second thread (which first calls `writer_setup` and keeps what it returns until it ends).
/// Returns the reader's histogram and the number of writer iterations that ran while the reader
/// measured.
fn run<G>(
    evals: u64,
    mode: Mode,
    evaluate: impl Fn() -> bool,
    mut writer_step: impl FnMut(u64) + Send,
    writer_setup: impl FnOnce() -> G + Send,
) -> (Histogram<u64>, u64, paths::Paths) {
    let warmup = (evals / 10).max(10_000);
    let mut histogram = new_histogram();
    let mut paths = paths::Paths::new();
    let measuring = AtomicBool::new(false);
    let stop = AtomicBool::new(false);
    let measured_iterations = AtomicU64::new(0);
    let writer_running = Barrier::new(2);

    std::thread::scope(|scope| {
        if mode != Mode::Alone {
            scope.spawn(|| {
                let _kept = writer_setup();
                let mut iteration = 0_u64;
                writer_running.wait();
                while !stop.load(Ordering::Relaxed) {
                    writer_step(iteration);
                    iteration += 1;
                    if measuring.load(Ordering::Relaxed) {
                        measured_iterations.fetch_add(1, Ordering::Relaxed);
                    }
                    mode.pause();
                }
            });
            writer_running.wait();
        }

        for _ in 0..warmup {
            black_box(evaluate());
        }
        paths.start();
        measuring.store(true, Ordering::Relaxed);
        for _ in 0..evals {
            let start = Instant::now();
            let value = evaluate();
            let elapsed = start.elapsed();
            black_box(value);
            let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
            histogram.saturating_record(nanos);
            paths.record(nanos);
        }
        paths.finish();
        measuring.store(false, Ordering::Relaxed);
        stop.store(true, Ordering::Relaxed);
    });
    (
        histogram,
        measured_iterations.load(Ordering::Relaxed),
        paths,
    )
}

/// A histogram of evaluation times: bounds wide enough for any evaluation (1 ns to 100 s,
/// 3 significant digits), allocated up front so that recording never allocates.
fn new_histogram() -> Histogram<u64> {
    Histogram::<u64>::new_with_bounds(1, 100_000_000_000, 3).expect("valid histogram bounds")
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<13} {:<10} {:>9} {:>9} {:>9} {:>11} {:>10} {:>13}",
        "side", "mode", "p50", "p99", "p99.9", "max", "p99/alone", "writer iters"
    );
    for row in rows {
        let alone_p99 = rows
            .iter()
            .find(|other| other.side == row.side && other.mode == Mode::Alone)
            .map(|alone| alone.histogram.value_at_quantile(0.99))
            .expect("every side has an alone row");
        let p99 = row.histogram.value_at_quantile(0.99);
        let writer_iterations = match row.mode {
            Mode::Alone => "-".to_owned(),
            Mode::Unpaced | Mode::Paced1Us | Mode::Paced10Us | Mode::Paced | Mode::Neighbour => {
                row.writer_iterations.to_string()
            }
        };
        println!(
            "{:<13} {:<10} {:>9} {:>9} {:>9} {:>11} {:>10.2} {:>13}",
            row.side,
            row.mode.name(),
            row.histogram.value_at_quantile(0.50),
            p99,
            row.histogram.value_at_quantile(0.999),
            row.histogram.max(),
            p99 as f64 / alone_p99 as f64,
            writer_iterations,
        );
    }
}

/// With `--features probe`, the SDK records on the reader's thread which way each evaluation took
/// its snapshot and how long each step of the locked way took (`openfeature_sdk::probe`); each
/// SDK row then also prints, per combination of those ways, its share of the evaluations, its
/// p50 and p99, and its share of the evaluations slower than the row's p99, and the mean time of
/// each step. Without the feature, nothing is recorded or printed.
mod paths {
    #[cfg(feature = "probe")]
    use hdrhistogram::Histogram;
    #[cfg(feature = "probe")]
    use openfeature_sdk::probe::{self, Path, Step};

    /// One row's record (empty without the feature).
    pub struct Paths {
        /// One histogram per combination of `Path` bits.
        #[cfg(feature = "probe")]
        by_path: Vec<Histogram<u64>>,
        /// Nanoseconds per step of the locked way, summed over the row's evaluations.
        #[cfg(feature = "probe")]
        step_nanos: [u64; Step::COUNT],
    }

    impl Paths {
        pub fn new() -> Paths {
            Paths {
                #[cfg(feature = "probe")]
                by_path: (0..Path::COMBINATIONS)
                    .map(|_| super::new_histogram())
                    .collect(),
                #[cfg(feature = "probe")]
                step_nanos: [0; Step::COUNT],
            }
        }

        /// Forgets what the warm-up recorded.
        pub fn start(&mut self) {
            #[cfg(feature = "probe")]
            {
                probe::take_path();
                probe::take_step_nanos();
            }
        }

        /// Records the evaluation that just took `nanos`.
        #[cfg_attr(not(feature = "probe"), allow(clippy::unused_self))]
        pub fn record(&mut self, nanos: u64) {
            #[cfg(feature = "probe")]
            self.by_path[usize::from(probe::take_path())].saturating_record(nanos);
            #[cfg(not(feature = "probe"))]
            let _ = nanos;
        }

        /// Collects the step times of the evaluations recorded since `start`.
        pub fn finish(&mut self) {
            #[cfg(feature = "probe")]
            for (sum, nanos) in self.step_nanos.iter_mut().zip(probe::take_step_nanos()) {
                *sum += nanos;
            }
        }

        /// Adds another block's record of the same row.
        pub fn add(&mut self, other: &Paths) {
            #[cfg(feature = "probe")]
            {
                for (mine, theirs) in self.by_path.iter_mut().zip(&other.by_path) {
                    mine.add(theirs)
                        .expect("histograms with the same bounds add");
                }
                for (mine, theirs) in self.step_nanos.iter_mut().zip(other.step_nanos) {
                    *mine += theirs;
                }
            }
            #[cfg(not(feature = "probe"))]
            let _ = (self, other);
        }
    }

    /// Prints each SDK row's record.
    pub fn print(rows: &[super::Row]) {
        #[cfg(feature = "probe")]
        for row in rows.iter().filter(|row| row.side == "sdk") {
            let paths = &row.paths;
            let total: u64 = paths.by_path.iter().map(Histogram::len).sum();
            let p99 = row.histogram.value_at_quantile(0.99);
            let slow = row.histogram.count_between(p99 + 1, u64::MAX).max(1);
            println!();
            println!(
                "probe: sdk {}: which way each evaluation took its snapshot",
                row.mode.name()
            );
            println!(
                "  {:<56} {:>7} {:>7} {:>7} {:>16}",
                "way", "share", "p50", "p99", "share above p99"
            );
            for (bits, histogram) in paths.by_path.iter().enumerate() {
                if histogram.is_empty() {
                    continue;
                }
                let above = histogram.count_between(p99 + 1, u64::MAX);
                println!(
                    "  {:<56} {:>6.1}% {:>7} {:>7} {:>15.1}%",
                    way(bits as u8),
                    100.0 * histogram.len() as f64 / total as f64,
                    histogram.value_at_quantile(0.50),
                    histogram.value_at_quantile(0.99),
                    100.0 * above as f64 / slow as f64,
                );
            }
            let locked: u64 = paths
                .by_path
                .iter()
                .enumerate()
                .filter(|(bits, _)| *bits as u8 & Path::LOCKED != 0)
                .map(|(_, histogram)| histogram.len())
                .sum();
            if locked > 0 {
                let steps: Vec<String> = Step::ALL
                    .iter()
                    .zip(paths.step_nanos)
                    .map(|(step, nanos)| format!("{} {}", step.name(), nanos / locked))
                    .collect();
                println!(
                    "  the locked way's steps, ns per evaluation that took it (each with one clock \
                     read): {}",
                    steps.join(", ")
                );
            }
        }
        #[cfg(not(feature = "probe"))]
        let _ = rows;
    }

    /// Names the ways set in `bits`.
    #[cfg(feature = "probe")]
    fn way(bits: u8) -> String {
        let names = [
            (Path::CACHED_LEASE, "cached"),
            (Path::LOCKED, "locked"),
            (Path::REFRESHED, "refreshed"),
            (Path::WAITED, "waited for a writer"),
            (Path::RAN_SHUTDOWN, "ran a shutdown"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(bit, _)| bits & bit != 0)
            .map(|(_, name)| *name)
            .collect();
        if set.is_empty() {
            "(nothing recorded)".to_owned()
        } else {
            set.join(", ")
        }
    }
}
