//! A scenario's `[schedule]` table: the randomized budgets, the step bound, the exhaustive
//! pass's preemption bound and explorer (one value or one per target), and the bounds every
//! budget must stay within.

use super::TargetKind;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// Scheduler settings; every count has a default that a scenario may raise with a reason.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// Executions per randomized scheduler.
    #[serde(
        default = "ScheduleSpec::default_iterations",
        deserialize_with = "budget::iterations"
    )]
    pub iterations: usize,
    /// PCT's bug depth.
    #[serde(
        default = "ScheduleSpec::default_pct_depth",
        deserialize_with = "budget::pct_depth"
    )]
    pub pct_depth: usize,
    /// The step bound of one execution; exceeding it is a reported violation, never a hang.
    #[serde(
        default = "ScheduleSpec::default_max_steps",
        deserialize_with = "budget::max_steps"
    )]
    pub max_steps: usize,
    /// The exhaustive pass's preemption bound: every interleaving with at most this many
    /// preemptions is explored.
    /// One bound for every target, or a table `{ sdk = N, audited = M, python-head = P }`;
    /// by default 3 (2 on `python-head`).
    #[serde(default = "ScheduleSpec::default_preemption_bound")]
    pub preemption_bound: PerTarget<usize>,
    /// Which checker explores the scenario exhaustively: loom, or shuttle's DFS where loom
    /// cannot model the scenario (say why in `reason`). One name for every target, or a table
    /// `{ sdk = "...", audited = "...", python-head = "..." }`.
    #[serde(default)]
    pub explorer: Explorers,
    /// Why the defaults are changed, when they are.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The bounds of every budget a scenario file or a flag sets (inclusive): a budget of zero
/// would pass vacuously, and one past the upper bound would run until killed.
pub mod budget {
    use serde::{de, Deserialize, Deserializer};
    use std::ops::RangeInclusive;

    /// Executions per randomized scheduler and base seed (`iterations`, `--iterations`).
    pub const ITERATIONS: RangeInclusive<usize> = 1..=1_000_000;
    /// PCT's bug depth (`pct_depth`).
    pub const PCT_DEPTH: RangeInclusive<usize> = 1..=16;
    /// Scheduling steps of one execution (`max_steps`).
    pub const MAX_STEPS: RangeInclusive<usize> = 1..=10_000_000;
    /// The exhaustive pass's preemption bound (`preemption_bound`, `--preemption-bound`).
    pub const PREEMPTION_BOUND: RangeInclusive<usize> = 0..=8;

    /// `value` if it is within `range`, else an error naming the key and the bounds.
    pub fn check(key: &str, value: u64, range: &RangeInclusive<usize>) -> Result<usize, String> {
        usize::try_from(value)
            .ok()
            .filter(|value| range.contains(value))
            .ok_or_else(|| {
                format!(
                    "`{key}` must be from {} to {}, found {value}",
                    range.start(),
                    range.end()
                )
            })
    }

    fn within<'de, D: Deserializer<'de>>(
        deserializer: D,
        key: &str,
        range: &RangeInclusive<usize>,
    ) -> Result<usize, D::Error> {
        let value = i64::deserialize(deserializer)?;
        let value = u64::try_from(value).map_err(|_| {
            de::Error::custom(format!(
                "`{key}` must be from {} to {}, found {value}",
                range.start(),
                range.end()
            ))
        })?;
        check(key, value, range).map_err(de::Error::custom)
    }

    pub(super) fn iterations<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        within(d, "iterations", &ITERATIONS)
    }

    pub(super) fn pct_depth<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        within(d, "pct_depth", &PCT_DEPTH)
    }

    pub(super) fn max_steps<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        within(d, "max_steps", &MAX_STEPS)
    }
}

/// The checker of the exhaustive pass.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ExplorerKind {
    /// Loom's exhaustive exploration within the preemption bound (the `harness_loom` build).
    #[default]
    Loom,
    /// Shuttle's depth-first search within the preemption bound (the normal build), for a
    /// scenario loom cannot model: loom runs at most 8 threads, the main one included.
    ShuttleDfs,
    /// Not explored exhaustively on this target: neither checker finishes within the CI's
    /// budget (say so, with the figures, in `reason`). The randomized runs of the target then
    /// have no exhaustive set to check their outcomes against. Refused on the `sdk` target,
    /// whose every scenario is explored.
    None,
}

impl ExplorerKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ExplorerKind::Loom => "loom",
            ExplorerKind::ShuttleDfs => "shuttle-dfs",
            ExplorerKind::None => "none",
        }
    }
}

/// A setting with one value for every target, or a table with a value for each target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerTarget<T> {
    pub sdk: T,
    pub audited: T,
    pub python_head: T,
}

impl<T: Copy> PerTarget<T> {
    pub fn both(value: T) -> Self {
        Self {
            sdk: value,
            audited: value,
            python_head: value,
        }
    }

    pub fn of(&self, target: TargetKind) -> T {
        match target {
            TargetKind::Sdk => self.sdk,
            TargetKind::Audited => self.audited,
            TargetKind::PythonHead => self.python_head,
        }
    }
}

/// The explorer of each target.
pub type Explorers = PerTarget<ExplorerKind>;

impl<'de, T: Deserialize<'de> + Copy + Default> Deserialize<'de> for PerTarget<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use de::IntoDeserializer;
        const KEYS: &[&str] = &["sdk", "audited", "python-head"];
        struct PerTargetVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de> + Copy + Default> Visitor<'de> for PerTargetVisitor<T> {
            type Value = PerTarget<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "one value for every target, or a table { sdk = ..., audited = ..., python-head = ... }",
                )
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<PerTarget<T>, E> {
                T::deserialize(value.into_deserializer()).map(PerTarget::both)
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<PerTarget<T>, E> {
                T::deserialize(value.into_deserializer()).map(PerTarget::both)
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<PerTarget<T>, E> {
                T::deserialize(value.into_deserializer()).map(PerTarget::both)
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<PerTarget<T>, M::Error> {
                let mut values: [Option<T>; 3] = [None; 3];
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<T>()?;
                    match KEYS.iter().position(|known| *known == key) {
                        Some(index) => values[index] = Some(value),
                        None => return Err(de::Error::unknown_field(&key, KEYS)),
                    }
                }
                match values {
                    [Some(sdk), Some(audited), Some(python_head)] => Ok(PerTarget {
                        sdk,
                        audited,
                        python_head,
                    }),
                    _ => {
                        let missing = values.iter().position(Option::is_none).unwrap_or(0);
                        Err(de::Error::missing_field(KEYS[missing]))
                    }
                }
            }
        }
        deserializer.deserialize_any(PerTargetVisitor(std::marker::PhantomData))
    }
}

impl ScheduleSpec {
    /// 3, and 2 on `python-head`: its daemon threads and executor workers multiply the
    /// interleavings (loom took 246 s over a06_clear_window_wipe there at 3).
    fn default_preemption_bound() -> PerTarget<usize> {
        PerTarget {
            python_head: 2,
            ..PerTarget::both(3)
        }
    }
    fn default_iterations() -> usize {
        1000
    }
    fn default_pct_depth() -> usize {
        3
    }
    fn default_max_steps() -> usize {
        20_000
    }
}

impl Default for ScheduleSpec {
    fn default() -> Self {
        Self {
            iterations: Self::default_iterations(),
            pct_depth: Self::default_pct_depth(),
            max_steps: Self::default_max_steps(),
            preemption_bound: Self::default_preemption_bound(),
            explorer: Explorers::default(),
            reason: None,
        }
    }
}
