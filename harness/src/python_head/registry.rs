//! `provider/_registry.py` (`ProviderRegistry`) and `provider/__init__.py` (`AbstractProvider`'s
//! attach, detach and emit) of the Python SDK's head, with the scenario's test providers' own
//! code and the registry's daemon threads. Part of the python-head fixture: a faithful model,
//! not production code; never fix the races here.
//!
//! `hasattr(provider, "initialize")` (line 111) and `hasattr(provider, "shutdown")` (line 193)
//! read class attributes, which no thread changes: they are always true for the test providers
//! and `NoOpProvider` (both `AbstractProvider`s) and are not steps.

use super::{Exc, Prov, Py, PyEvent, PyResult, Status};
use crate::ops::Code;
use crate::scenario::{EventName, ProviderSpec};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The exception that deleting a missing `_on_emit` attribute raises.
const NO_ON_EMIT: &str = "AttributeError: _on_emit";

/// How the test provider's `initialize` raised: whether its error carries `PROVIDER_FATAL`.
struct InitError {
    fatal: bool,
}

impl InitError {
    /// The `error_code` that `_run_initialize` gives the PROVIDER_ERROR event and the caller:
    /// `err.error_code` of an `OpenFeatureError`, `GENERAL` for any other exception.
    fn code(&self) -> Code {
        if self.fatal {
            Code::ProviderFatal
        } else {
            Code::General
        }
    }
}

impl Py {
    /// Mirrors provider/_registry.py ProviderRegistry.set_provider (lines 28-54). The
    /// bookkeeping is one `with self._lock:` block; the initialization (inline or on a daemon
    /// thread) and the old provider's shutdown (always on a daemon thread) come after it, outside
    /// the lock. An initialization error re-raised by `wait_for_init` skips the old provider's
    /// shutdown (lines 53-54 are not reached).
    pub(super) fn set_provider(
        self: &Arc<Self>,
        domain: &str,
        provider: &Prov,
        wait_for_init: bool,
    ) -> PyResult {
        let name = provider.name();
        let (old_provider, needs_init) = {
            let _lock = self.registry_lock.acquire(&self.world);
            let old_provider = self.stmt(
                &format!("_registry.py:39 old_provider = self._providers.get('{domain}')"),
                |s| s.slot(domain).cloned(),
            );
            self.stmt(
                &format!("_registry.py:40 self._providers['{domain}'] = {name}"),
                |s| s.store(domain, provider.clone()),
            );
            let already_bound = self.stmt(
                &format!(
                    "_registry.py:41 already_bound = {name} is default or {name} bound to \
                     another domain"
                ),
                |s| {
                    s.default_provider == *provider
                        || s.providers
                            .iter()
                            .any(|(bound, other)| bound != domain && other == provider)
                },
            );
            if !already_bound {
                self.stmt(
                    &format!("_registry.py:46 self._provider_status[{name}] = NOT_READY"),
                    |s| {
                        s.provider_status.insert(provider.clone(), Status::NotReady);
                    },
                );
            }
            (old_provider, !already_bound)
        };
        if needs_init {
            self.initialize_provider(provider, wait_for_init)?;
        }
        if let Some(old_provider) = old_provider {
            if old_provider != *provider {
                self.shutdown_if_unused(&old_provider);
            }
        }
        Ok(())
    }

    /// Mirrors provider/_registry.py ProviderRegistry.get_provider (lines 56-59): one unlocked
    /// read of the registry, traced with the caller's line after `<-`.
    pub(super) fn get_provider(&self, domain: Option<&str>, caller: &str) -> Prov {
        let label = match domain {
            None => format!("_registry.py:58 return self._default_provider <- {caller}"),
            Some(domain) => format!(
                "_registry.py:59 return self._providers.get('{domain}', default) <- {caller}"
            ),
        };
        self.stmt(&label, |s| s.get_provider(domain))
    }

    /// Mirrors provider/_registry.py ProviderRegistry.set_default_provider (lines 61-83), with
    /// the same shape as set_provider.
    pub(super) fn set_default_provider(
        self: &Arc<Self>,
        provider: &Prov,
        wait_for_init: bool,
    ) -> PyResult {
        let name = provider.name();
        let (old_provider, needs_init) = {
            let _lock = self.registry_lock.acquire(&self.world);
            let old_provider = self.stmt(
                "_registry.py:70 old_provider = self._default_provider",
                |s| s.default_provider.clone(),
            );
            self.stmt(
                &format!("_registry.py:71 self._default_provider = {name}"),
                |s| s.default_provider = provider.clone(),
            );
            let needs_init = self.stmt(
                &format!(
                    "_registry.py:72 if {name} is not {} and {name} not in values()",
                    old_provider.name()
                ),
                |s| old_provider != *provider && !s.bound(provider),
            );
            if needs_init {
                self.stmt(
                    &format!("_registry.py:77 self._provider_status[{name}] = NOT_READY"),
                    |s| {
                        s.provider_status.insert(provider.clone(), Status::NotReady);
                    },
                );
            }
            (old_provider, needs_init)
        };
        if needs_init {
            self.initialize_provider(provider, wait_for_init)?;
        }
        if old_provider != *provider {
            self.shutdown_if_unused(&old_provider);
        }
        Ok(())
    }

    /// Mirrors provider/_registry.py ProviderRegistry.clear_providers (lines 88-95): the
    /// shutdown loop, then the reset under `self._lock` as a second step. Between the two, the
    /// shut-down providers are still handed out (A6), and a provider set meanwhile is wiped
    /// without shutdown.
    pub(super) fn clear_providers(&self) -> PyResult {
        self.shutdown()?;
        let _lock = self.registry_lock.acquire(&self.world);
        self.stmt("_registry.py:91 self._providers.clear()", |s| {
            s.providers.clear()
        });
        self.stmt(
            "_registry.py:92 self._default_provider = NoOpProvider()",
            |s| {
                s.noops_made += 1;
                s.default_provider = Prov::NoOp(s.noops_made);
            },
        );
        self.stmt(
            "_registry.py:93 self._provider_status = {default: READY}",
            |s| {
                s.provider_status = BTreeMap::from([(s.default_provider.clone(), Status::Ready)]);
            },
        );
        Ok(())
    }

    /// Mirrors provider/_registry.py ProviderRegistry.shutdown (lines 97-102): the providers are
    /// read under the lock, then each is shut down synchronously (`abort_if_re_registered=False`)
    /// outside it. An exception (a detach's `AttributeError`) ends the loop.
    pub(super) fn shutdown(&self) -> PyResult {
        // The set `{default, *values()}` is built in one statement; the model iterates it in a
        // fixed order: the default first, then the domains in insertion order.
        let providers = {
            let _lock = self.registry_lock.acquire(&self.world);
            self.stmt(
                "_registry.py:99 providers = {self._default_provider, *values()}",
                |s| {
                    let mut set = vec![s.default_provider.clone()];
                    for (_, provider) in &s.providers {
                        if !set.contains(provider) {
                            set.push(provider.clone());
                        }
                    }
                    set
                },
            )
        };
        for provider in &providers {
            self.shutdown_provider(provider, false)?;
        }
        Ok(())
    }

    /// Mirrors provider/_registry.py ProviderRegistry._initialize_provider (lines 107-127):
    /// attaches on the calling thread, then runs `_run_initialize` inline (`wait_for_init`,
    /// re-raising) or on a daemon thread, a world background thread whose whole body is the
    /// background step `p0.initialize()`.
    fn initialize_provider(self: &Arc<Self>, provider: &Prov, wait_for_init: bool) -> PyResult {
        self.attach(provider);
        if wait_for_init {
            return self.run_initialize(provider, true);
        }
        let thread = self.next_daemon(&format!("init({})", provider.name()));
        self.world
            .trace(format!("_registry.py:127 thread.start() -> {thread}"));
        let (py, provider) = (Arc::clone(self), provider.clone());
        self.world.spawn_background(&thread, move || {
            let _turn = py.world.turn();
            py.world
                .begin_step(&format!("{}.initialize()", provider.name()));
            // `raise_on_error=False`: nothing escapes.
            let _ = py.run_initialize(&provider, false);
        });
        Ok(())
    }

    /// Mirrors provider/_registry.py ProviderRegistry._run_initialize (lines 129-170). After
    /// `initialize()` returns or raises, the stale-init check (under `self._lock`) drops the
    /// event when the provider is no longer registered; on the error path that `return` inside
    /// the `except` also swallows the exception, so a waiting bind whose provider was replaced
    /// meanwhile answers `ok`. The check and the dispatch are separate steps: the provider can
    /// be replaced (and shut down) between them, and its READY still lands.
    fn run_initialize(self: &Arc<Self>, provider: &Prov, raise_on_error: bool) -> PyResult {
        let name = provider.name();
        // The argument: `self._get_evaluation_context()` (line 105) reads the global context.
        // The test providers ignore it.
        self.get_evaluation_context("_registry.py:133 provider.initialize(...)");
        let outcome = self.user_initialize(provider);
        let check_line = if outcome.is_ok() { 138 } else { 151 };
        let stale = {
            let _lock = self.registry_lock.acquire(&self.world);
            self.stmt(
                &format!(
                    "_registry.py:{check_line} if {name} is not default and {name} not in \
                     values()"
                ),
                |s| !s.registered(provider),
            )
        };
        if stale {
            self.world.trace(format!(
                "py _registry.py:{} return (stale init of {name})",
                check_line + 4
            ));
            return Ok(());
        }
        match outcome {
            Ok(()) => {
                self.dispatch_event(provider, PyEvent::Ready, false, None);
                Ok(())
            }
            Err(error) => {
                self.dispatch_event(provider, PyEvent::Error, error.fatal, None);
                if raise_on_error {
                    self.world
                        .trace(format!("py _registry.py:170 raise ({name}'s error)"));
                    return Err(Exc::InitFailed(error.code()));
                }
                Ok(())
            }
        }
    }

    /// Mirrors provider/_registry.py ProviderRegistry._shutdown_if_unused (lines 172-187): the
    /// "still referenced" checks under `self._lock`, then `_shutdown_provider` with
    /// `abort_if_re_registered=True` on a daemon thread, a world background thread whose whole
    /// body is the background step `p0.shutdown()`. An exception there (a detach's
    /// `AttributeError`) kills the daemon thread; Python prints it and nobody sees it.
    fn shutdown_if_unused(self: &Arc<Self>, provider: &Prov) {
        let name = provider.name();
        {
            let _lock = self.registry_lock.acquire(&self.world);
            if self.stmt(
                &format!("_registry.py:176 if {name} is self._default_provider"),
                |s| s.default_provider == *provider,
            ) {
                return;
            }
            if self.stmt(
                &format!("_registry.py:178 if {name} in self._providers.values()"),
                |s| s.bound(provider),
            ) {
                return;
            }
        }
        let thread = self.next_daemon(&format!("shutdown({name})"));
        self.world
            .trace(format!("_registry.py:187 thread.start() -> {thread}"));
        let (py, provider) = (Arc::clone(self), provider.clone());
        self.world.spawn_background(&thread.clone(), move || {
            let _turn = py.world.turn();
            py.world
                .begin_step(&format!("{}.shutdown()", provider.name()));
            // Only a detach's `AttributeError` can come out of it.
            if let Err(Exc::Raised(error)) = py.shutdown_provider(&provider, true) {
                py.world.trace(format!("py {error} kills {thread}"));
            }
        });
    }

    /// Mirrors provider/_registry.py ProviderRegistry._shutdown_provider (lines 189-214).
    /// `provider.shutdown()` runs first; with `abort_if_re_registered` the re-registration check
    /// comes only after it, and its `return` (inside the `try`) also skips the detach, so a
    /// provider re-registered meanwhile stays bound, READY and attached though shut down. The
    /// `except` (lines 205-213) is unreachable in the model: the test providers' `shutdown` does
    /// not raise and `pop(provider, None)` cannot. The detach after the `try` can raise
    /// `AttributeError` (a concurrent detach), which escapes.
    fn shutdown_provider(&self, provider: &Prov, abort_if_re_registered: bool) -> PyResult {
        let name = provider.name();
        self.user_shutdown(provider);
        if abort_if_re_registered {
            let _lock = self.registry_lock.acquire(&self.world);
            if self.stmt(
                &format!("_registry.py:198 if {name} is default or {name} in values()"),
                |s| s.registered(provider),
            ) {
                self.world
                    .trace(format!("py _registry.py:202 return ({name} re-registered)"));
                return Ok(());
            }
        }
        {
            let _lock = self.registry_lock.acquire(&self.world);
            self.stmt(
                &format!("_registry.py:204 self._provider_status.pop({name}, None)"),
                |s| {
                    s.provider_status.remove(provider);
                },
            );
        }
        self.detach(provider)
    }

    /// Mirrors provider/_registry.py ProviderRegistry.get_provider_status (lines 216-217): one
    /// unlocked read, traced with the caller's line after `<-`.
    pub(super) fn get_provider_status(&self, provider: &Prov, caller: &str) -> Status {
        self.stmt(
            &format!(
                "_registry.py:217 self._provider_status.get({}, NOT_READY) <- {caller}",
                provider.name()
            ),
            |s| s.status_of(provider),
        )
    }

    /// Mirrors provider/_registry.py ProviderRegistry.dispatch_event (lines 219-226).
    pub(super) fn dispatch_event(
        self: &Arc<Self>,
        provider: &Prov,
        event: PyEvent,
        fatal: bool,
        emission: Option<usize>,
    ) {
        self.update_provider_status(provider, event, fatal);
        self.run_handlers_for_provider(provider, event, emission);
    }

    /// Mirrors provider/_registry.py ProviderRegistry._update_provider_status (lines 228-245):
    /// READY, STALE and ERROR (FATAL when the details carry `PROVIDER_FATAL`) set the status
    /// under `self._lock`, whether or not the provider is still registered; CONFIGURATION_CHANGED
    /// takes the lock and writes nothing.
    fn update_provider_status(&self, provider: &Prov, event: PyEvent, fatal: bool) {
        let _lock = self.registry_lock.acquire(&self.world);
        let (line, status) = match event {
            PyEvent::Ready => (236, Status::Ready),
            PyEvent::Stale => (238, Status::Stale),
            PyEvent::Error if fatal => (245, Status::Fatal),
            PyEvent::Error => (245, Status::Error),
            PyEvent::ConfigurationChanged => return,
        };
        let label = format!(
            "_registry.py:{line} self._provider_status[{}] = {}",
            provider.name(),
            status.as_str()
        );
        self.stmt(&label, |s| {
            s.provider_status.insert(provider.clone(), status);
        });
    }

    /// Mirrors provider/__init__.py AbstractProvider.attach (lines 133-137):
    /// `self._on_emit = on_emit`. The test provider starts its event thread at its first attach,
    /// as in `audited`.
    fn attach(self: &Arc<Self>, provider: &Prov) {
        let first = self.stmt(
            &format!(
                "provider/__init__.py:137 {}._on_emit = dispatch_event",
                provider.name()
            ),
            |s| {
                s.on_emit.insert(provider.clone());
                s.emitters_started.insert(provider.clone())
            },
        );
        // The no-op provider (never initialized in practice) has no events and no records.
        let Prov::Test(name) = provider else { return };
        self.world.provider(name, |record| record.attach += 1);
        let events = self.spec(name).emits;
        if first && !events.is_empty() {
            let (py, name) = (Arc::clone(self), name.clone());
            self.world
                .spawn_background(&format!("{name}.events"), move || {
                    for event in events {
                        let _turn = py.world.turn();
                        py.world
                            .begin_step(&format!("{name}.emit({})", event.as_str()));
                        py.emit(&name, event);
                    }
                });
        }
    }

    /// Mirrors provider/__init__.py AbstractProvider.detach (lines 139-141): `hasattr` then
    /// `del`, two statements, so two detaches can both pass the check and the second `del`
    /// raises `AttributeError` (A16's double detach).
    pub(super) fn detach(&self, provider: &Prov) -> PyResult {
        let name = provider.name();
        if let Prov::Test(name) = provider {
            self.world.provider(name, |record| record.detach += 1);
        }
        if self.stmt(
            &format!("provider/__init__.py:140 if hasattr({name}, '_on_emit')"),
            |s| s.on_emit.contains(provider),
        ) {
            let deleted = self.stmt(
                &format!("provider/__init__.py:141 del {name}._on_emit"),
                |s| s.on_emit.remove(provider),
            );
            if !deleted {
                return Err(Exc::Raised(NO_ON_EMIT.to_owned()));
            }
        }
        Ok(())
    }

    /// Mirrors provider/__init__.py AbstractProvider.emit (lines 263-266), called by the test
    /// provider's code (an `emit` operation or its event thread): `getattr(self, "_on_emit",
    /// None)` reads the callback once, so a concurrent detach makes the emission either go
    /// through (to the registry's `dispatch_event`, even after the detach) or be dropped; it
    /// never raises.
    pub(super) fn emit(self: &Arc<Self>, name: &str, event: EventName) {
        self.world.trace(format!("{name}.emit({})", event.as_str()));
        let emission = self.world.note_emit(name, event);
        let provider = Prov::Test(name.to_owned());
        let on_emit = self.stmt(
            &format!("provider/__init__.py:264 on_emit = getattr({name}, '_on_emit', None)"),
            |s| s.on_emit.contains(&provider),
        );
        if on_emit {
            let (event, fatal) = PyEvent::of(event);
            self.dispatch_event(&provider, event, fatal, Some(emission));
        }
    }

    /// A test provider's behaviour as the scenario declares it.
    fn spec(&self, name: &str) -> ProviderSpec {
        self.world
            .scenario
            .providers
            .get(name)
            .cloned()
            .unwrap_or_default()
    }

    /// The test provider's `initialize` (user code), as in `audited`: passes its scheduling
    /// points, then returns or raises as its spec says. A fatal failure raises an exception
    /// carrying `PROVIDER_FATAL`; a non-OpenFeature exception (`panics`, a `RuntimeError`) gets
    /// `GENERAL`, like a plain failure. It runs inside the step that runs `_run_initialize`: the
    /// operation's own (`set_provider_and_wait`) or the daemon thread's `p0.initialize()`.
    fn user_initialize(&self, provider: &Prov) -> Result<(), InitError> {
        let Prov::Test(name) = provider else {
            return Ok(());
        };
        self.reenter(&format!("{name}.initialize"));
        crate::pymodel::test_initialize(&self.world, name).map_err(|fatal| InitError { fatal })
    }

    /// The provider's `shutdown` (user code), as in `audited`: the test provider counts it; the
    /// no-op provider does nothing and is not a scenario provider, so it is only traced.
    fn user_shutdown(&self, provider: &Prov) {
        if let Prov::Test(name) = provider {
            self.reenter(&format!("{name}.shutdown"));
        }
        self.world.trace(format!("{}.shutdown()", provider.name()));
        if let Prov::Test(name) = provider {
            self.world.note_shutdown(name);
        }
    }
}
