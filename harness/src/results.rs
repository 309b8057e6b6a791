//! Machine-readable results: the JSON that `--format json` prints and the JUnit XML that
//! `--junit FILE` writes, both built from one serde model. The JSON schema is versioned by its
//! `schema` field (`harness-results/1`); fields are only ever added within a version.

use crate::properties::Property;
use crate::suite::{verdict_of, ExhaustiveReport, Failure, ScenarioReport};
use serde::{Deserialize, Serialize};

/// The schema id every results document carries.
pub const SCHEMA: &str = "harness-results/1";

/// The results of one command.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// `run`, `exhaustive` or `generate`.
    pub command: String,
    /// Whether every check held as expected (the exit status is 0 exactly then).
    pub passed: bool,
    /// Problems with the input (files that do not parse, names that match no file).
    #[serde(default)]
    pub errors: Vec<String>,
    /// One per scenario × target × scheduler (or explorer) that ran.
    #[serde(default)]
    pub cases: Vec<Case>,
    /// For `generate`: what the search found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<Generated>,
}

/// One scenario on one target under one scheduler or explorer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub scenario: String,
    /// `sdk` or `audited`.
    pub target: String,
    /// `random`, `pct`, or the exhaustive explorer (`loom`, `shuttle-dfs`).
    pub scheduler: String,
    pub passed: bool,
    /// Executions run (over every base seed).
    pub executions: usize,
    /// Distinct outcomes: sequential ones (the oracle's) for a randomized run, explored ones for
    /// the exhaustive pass.
    pub outcomes: usize,
    /// Property ids violated in some execution.
    pub violated: Vec<String>,
    /// Property ids the scenario expects to be violated on this target.
    pub expected: Vec<String>,
    /// Per base seed, the iteration at which every expected violation had been seen (`null`
    /// when not within the budget). Empty for the exhaustive pass.
    #[serde(default)]
    pub detections: Vec<Detection>,
    /// Each expected violation's first detection, with the command that replays it.
    #[serde(default)]
    pub first_detections: Vec<FirstDetection>,
    /// The failed expectations of this case (those of its scheduler, and those of its scenario
    /// and target as a whole), each with the command that shows it.
    #[serde(default)]
    pub failures: Vec<Failure>,
    /// Wall time, for the exhaustive pass (seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

/// When every expected violation had been seen under one base seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detection {
    pub base_seed: u64,
    pub iteration: Option<usize>,
}

/// The first execution that showed an expected violation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstDetection {
    pub property: String,
    pub base_seed: u64,
    pub iteration: usize,
    pub replay: String,
}

/// What `generate` found: the violation and the file written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generated {
    pub target: String,
    pub cases: u32,
    pub violation: Option<String>,
    pub file: Option<String>,
    pub replay: Option<String>,
}

fn ids(properties: impl IntoIterator<Item = Property>) -> Vec<String> {
    properties.into_iter().map(|p| p.id().to_owned()).collect()
}

impl Results {
    /// Empty results of `command`.
    pub fn new(command: &str) -> Self {
        Self {
            schema: SCHEMA.to_owned(),
            command: command.to_owned(),
            passed: true,
            ..Self::default()
        }
    }

    /// The cases of randomized runs.
    pub fn add_runs(&mut self, reports: &[ScenarioReport]) {
        for report in reports {
            for target in &report.targets {
                let verdict = verdict_of(&report.scenario, target.target);
                for scheduler in &target.schedulers {
                    // This scheduler's failures, and those of the scenario and target as a whole.
                    let failures: Vec<Failure> = target
                        .failures
                        .iter()
                        .filter(|f| {
                            f.scheduler
                                .as_deref()
                                .is_none_or(|s| s == scheduler.scheduler.as_str())
                        })
                        .cloned()
                        .collect();
                    self.cases.push(Case {
                        scenario: report.scenario.name.clone(),
                        target: target.target.as_str().to_owned(),
                        scheduler: scheduler.scheduler.as_str().to_owned(),
                        passed: failures.is_empty(),
                        executions: scheduler.executions,
                        outcomes: target.reference.outcomes.len(),
                        violated: ids(scheduler.violated.iter().copied()),
                        expected: verdict.violates.clone(),
                        detections: scheduler
                            .detections
                            .iter()
                            .map(|&(base_seed, iteration)| Detection {
                                base_seed,
                                iteration,
                            })
                            .collect(),
                        first_detections: scheduler
                            .first_detections
                            .iter()
                            .map(|(property, first)| FirstDetection {
                                property: property.id().to_owned(),
                                base_seed: first.base_seed,
                                iteration: first.iteration,
                                replay: first.replay.clone(),
                            })
                            .collect(),
                        failures,
                        seconds: None,
                    });
                }
            }
        }
        self.passed &= reports.iter().all(ScenarioReport::passed);
    }

    /// The cases of exhaustive explorations.
    pub fn add_explorations(&mut self, reports: &[ExhaustiveReport]) {
        for report in reports {
            let verdict = verdict_of(&report.scenario, report.target);
            let exploration = &report.exploration;
            self.cases.push(Case {
                scenario: report.scenario.name.clone(),
                target: report.target.as_str().to_owned(),
                scheduler: report
                    .scenario
                    .schedule
                    .explorer
                    .of(report.target)
                    .as_str()
                    .to_owned(),
                passed: report.failures.is_empty(),
                executions: exploration.executions,
                outcomes: exploration.outcomes.len(),
                violated: ids(exploration.violated()),
                expected: verdict.violates.clone(),
                detections: Vec::new(),
                first_detections: Vec::new(),
                failures: report.failures.clone(),
                seconds: Some(exploration.elapsed.as_secs_f64()),
            });
        }
        self.passed &= reports.iter().all(|r| r.failures.is_empty());
    }

    /// Adds `other`'s cases and errors (the loom build's share of an exhaustive pass).
    pub fn merge(&mut self, other: Results) {
        self.passed &= other.passed;
        self.errors.extend(other.errors);
        self.cases.extend(other.cases);
    }

    /// The JSON text, pretty-printed, with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self)
            .unwrap_or_else(|error| format!("{{\"schema\":\"{SCHEMA}\",\"error\":\"{error}\"}}"));
        text.push('\n');
        text
    }

    /// The JUnit XML report: one test suite per command, one test case per scenario × target ×
    /// scheduler (named `scenario::target::scheduler`), failures with their commands.
    pub fn to_junit(&self) -> String {
        use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
        let mut report = Report::new("harness");
        let mut suite = TestSuite::new(format!("harness {}", self.command));
        for case in &self.cases {
            let status = if case.passed {
                TestCaseStatus::success()
            } else {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let first = case.failures.first();
                status.set_message(first.map_or("failed", |f| f.message.as_str()));
                let text: Vec<String> = case.failures.iter().map(ToString::to_string).collect();
                status.set_description(text.join("\n\n"));
                status
            };
            let mut test = TestCase::new(
                format!("{}::{}::{}", case.scenario, case.target, case.scheduler),
                status,
            );
            test.set_classname(case.scenario.clone());
            if let Some(seconds) = case.seconds {
                test.set_time(std::time::Duration::from_secs_f64(seconds.max(0.0)));
            }
            suite.add_test_case(test);
        }
        for error in &self.errors {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(error.clone());
            suite.add_test_case(TestCase::new("input", status));
        }
        report.add_test_suite(suite);
        report
            .to_string()
            .unwrap_or_else(|error| format!("<!-- could not render: {error} -->\n"))
    }
}
