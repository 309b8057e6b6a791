//! What the linearizability oracle costs per execution, per scenario and target: the executions
//! of a PCT batch are recorded first, then judged twice in the same process, once by outcome
//! membership alone (the reference without its timelines, the old oracle) and once with the
//! real-time order, and each is set beside the cost of running the execution itself.
//!
//! `cargo run --release -p harness --example oracle_cost -- [EXECUTIONS] [SCENARIO...]`
//! (default: 2000 executions of every scenario in `scenarios/`).

use harness::oracle::{self, Reference};
use harness::runner::{self, Execution};
use harness::target::TargetKind;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let executions: usize = args
        .next()
        .and_then(|text| text.parse().ok())
        .unwrap_or(2000);
    let wanted: Vec<String> = args.collect();
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let files = harness::scenario::files_in(&folder).expect("the scenarios folder is readable");
    println!(
        "{:<36} {:<8} {:>9} {:>10} {:>11} {:>11} {:>8}",
        "scenario", "target", "timelines", "run us/ex", "member us", "real-time", "added"
    );
    let (mut total_run, mut total_member, mut total_timed) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for path in files {
        let scenario = Arc::new(harness::scenario::load(&path).expect("the scenario loads"));
        if !wanted.is_empty() && !wanted.contains(&scenario.name) {
            continue;
        }
        for target in TargetKind::ALL {
            if scenario.oracle_opt_out.of(target).is_some() {
                continue;
            }
            let reference = oracle::reference(&scenario, target);
            if !reference.complete {
                continue;
            }
            let outcomes_only = Reference {
                timelines: None,
                ..reference.clone()
            };
            let steps = runner::calibrate_pct(&scenario, target);
            let started = Instant::now();
            let recorded: Vec<Execution> = (0..executions)
                .map(|iteration| {
                    let schedule = runner::schedule_for(
                        harness::sched::SchedulerKind::Pct,
                        1,
                        iteration,
                        scenario.schedule.pct_depth,
                        steps,
                    );
                    runner::execute(&scenario, target, schedule)
                })
                .collect();
            let run = started.elapsed();
            let judged = |reference: &Reference| {
                let mut copies: Vec<Execution> = recorded.clone();
                let started = Instant::now();
                for execution in &mut copies {
                    oracle::judge(reference, execution);
                }
                started.elapsed()
            };
            let member = judged(&outcomes_only);
            let timed = judged(&reference);
            let per = |d: Duration| d.as_secs_f64() * 1e6 / executions as f64;
            println!(
                "{:<36} {:<8} {:>9} {:>10.1} {:>11.2} {:>11.2} {:>7.1}%",
                scenario.name,
                target.as_str(),
                reference.timeline_count(),
                per(run),
                per(member),
                per(timed),
                100.0 * (per(timed) - per(member)) / per(run)
            );
            total_run += run;
            total_member += member;
            total_timed += timed;
        }
    }
    println!(
        "total: running {:.1}s, judging by membership {:.3}s, with the real-time order {:.3}s (+{:.1}% of running)",
        total_run.as_secs_f64(),
        total_member.as_secs_f64(),
        total_timed.as_secs_f64(),
        100.0 * (total_timed.as_secs_f64() - total_member.as_secs_f64()) / total_run.as_secs_f64()
    );
}
