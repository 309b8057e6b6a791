//! `provider/_registry.py` (`ProviderRegistry`) and `provider/__init__.py` (`AbstractProvider`'s
//! attach, detach and emit) of the audited Python SDK, with the scenario's test providers' own
//! code. Part of the audited fixture: a faithful model, not production code; never fix the races
//! here.

use super::{Prov, Py, PyEvent, PyResult, Status};
use crate::scenario::{EventName, ProviderSpec};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The exception that `del providers[domain]` or `providers[domain]` raises for a missing key.
fn key_error(domain: &str) -> String {
    format!("KeyError: '{domain}'")
}

/// The exception that reading or deleting a missing `_on_emit` attribute raises.
const NO_ON_EMIT: &str = "AttributeError: _on_emit";

impl Py {
    /// Mirrors provider/_registry.py ProviderRegistry.set_provider. Exhibits A2 (two threads
    /// replace the same slot and the loser's initialized provider is overwritten), A3 (`KeyError`
    /// when the entry is deleted between the check and the read), A4 (a provider stored meanwhile
    /// is overwritten without shutdown) and A5 (the final store after a concurrent clear).
    pub(super) fn set_provider(self: &Arc<Self>, domain: &str, provider: &Prov) -> PyResult {
        // `providers = self._providers` aliases the dict; clear_providers empties that same dict
        // in place, so reading `self._providers` at each statement is the same thing.
        if self.stmt(&format!("if '{domain}' in providers"), |s| {
            s.slot(domain).is_some()
        }) {
            let old = self
                .stmt(&format!("old_provider = providers['{domain}']"), |s| {
                    s.slot(domain).cloned()
                })
                .ok_or_else(|| key_error(domain))?;
            self.stmt(&format!("del providers['{domain}']"), |s| {
                let index = s.providers.iter().position(|(bound, _)| bound == domain);
                index.map(|index| s.providers.remove(index))
            })
            .ok_or_else(|| key_error(domain))?;
            let orphaned = self.stmt(
                &format!("if {0} not in values() and {0} != default", old.name()),
                |s| !s.bound(&old) && s.default_provider != old,
            );
            if orphaned {
                self.shutdown_provider(&old)?;
            }
        }
        let fresh = self.stmt(
            &format!("if {0} not in values() and {0} != default", provider.name()),
            |s| !s.bound(provider) && s.default_provider != *provider,
        );
        if fresh {
            self.initialize_provider(provider);
        }
        self.stmt(
            &format!("providers['{domain}'] = {}", provider.name()),
            |s| s.store(domain, provider.clone()),
        );
        Ok(())
    }

    /// Mirrors provider/_registry.py ProviderRegistry.set_default_provider. Exhibits A1 (two
    /// threads both pass the "old default not bound elsewhere" check and both shut it down), A2
    /// (each assigns its provider, and each initializes its own after re-reading the attribute,
    /// so the loser's provider is initialized but never registered) and A15 (the new default is
    /// visible, NOT_READY, while it initializes).
    ///
    /// The Python code assigns `_default_provider` before it initializes the provider, and its
    /// "not bound elsewhere" check re-reads the attribute; the model keeps both.
    pub(super) fn set_default_provider(self: &Arc<Self>, provider: &Prov) -> PyResult {
        let shut_old = self.stmt("if default and default not in values()", |s| {
            !s.bound(&s.default_provider)
        });
        if shut_old {
            // The argument re-reads the attribute: a statement of its own.
            let old = self.stmt("_shutdown_provider(default)", |s| {
                s.default_provider.clone()
            });
            self.shutdown_provider(&old)?;
        }
        self.stmt(
            &format!("self._default_provider = {}", provider.name()),
            |s| s.default_provider = provider.clone(),
        );
        if self.stmt("if default not in values()", |s| {
            !s.bound(&s.default_provider)
        }) {
            self.initialize_provider(provider);
        }
        Ok(())
    }

    /// Mirrors provider/_registry.py ProviderRegistry.clear_providers. Exhibits A5 (the status map
    /// is replaced, losing a concurrent initialize's READY) and A6 (between the shutdown loop and
    /// the clear, shut-down providers are still handed out, and a provider set meanwhile is wiped
    /// without shutdown).
    pub(super) fn clear_providers(&self) -> PyResult {
        self.shutdown()?;
        self.stmt("self._providers.clear()", |s| s.providers.clear());
        self.stmt("self._default_provider = NoOpProvider()", |s| {
            s.noops_made += 1;
            s.default_provider = Prov::NoOp(s.noops_made);
        });
        self.stmt("_provider_status = {default: READY}", |s| {
            s.provider_status = BTreeMap::from([(s.default_provider.clone(), Status::Ready)]);
        });
        Ok(())
    }

    /// Mirrors provider/_registry.py ProviderRegistry.shutdown (and api.shutdown, which only calls
    /// it). Exhibits A1 when it races another shutdown or a set (a provider shut down twice) and
    /// A6 as the first step of clear_providers.
    pub(super) fn shutdown(&self) -> PyResult {
        // The set `{default, *providers.values()}` is built in one statement; the model iterates
        // it in a fixed order: the default first, then the domains in insertion order.
        let providers = self.stmt("for p in {default, *values()}", |s| {
            let mut set = vec![s.default_provider.clone()];
            for (_, provider) in &s.providers {
                if !set.contains(provider) {
                    set.push(provider.clone());
                }
            }
            set
        });
        for provider in &providers {
            self.shutdown_provider(provider)?;
        }
        Ok(())
    }

    /// Mirrors provider/_registry.py ProviderRegistry._initialize_provider. Initialization errors
    /// become a PROVIDER_ERROR event, never an escape.
    fn initialize_provider(self: &Arc<Self>, provider: &Prov) {
        self.attach(provider);
        // The argument reads the global context: one statement. The test providers ignore it.
        self.stmt("get_evaluation_context() for initialize", |_| ());
        match self.user_initialize(provider) {
            Ok(()) => self.dispatch_event(provider, PyEvent::Ready, false, None),
            Err(fatal) => self.dispatch_event(provider, PyEvent::Error, fatal, None),
        }
    }

    /// Mirrors provider/_registry.py ProviderRegistry._shutdown_provider. Exhibits A1: the second
    /// shutdown's `del self._provider_status[provider]` raises `KeyError`, which the `except`
    /// turns into a PROVIDER_ERROR (PROVIDER_FATAL) event for every handler; and A16 through the
    /// detach after the `try`, whose `AttributeError` does escape.
    fn shutdown_provider(&self, provider: &Prov) -> PyResult {
        self.user_shutdown(provider);
        let deleted = self.stmt(
            &format!("del self._provider_status[{}]", provider.name()),
            |s| s.provider_status.remove(provider).is_some(),
        );
        if !deleted {
            self.world
                .trace(format!("py except KeyError: '{}'", provider.name()));
            self.dispatch_event(provider, PyEvent::Error, true, None);
        }
        self.detach(provider)
    }

    /// Mirrors provider/_registry.py ProviderRegistry.get_provider_status.
    pub(super) fn get_provider_status(&self, provider: &Prov) -> Status {
        self.stmt(
            &format!("registry.get_provider_status({})", provider.name()),
            |s| s.status_of(provider),
        )
    }

    /// Mirrors provider/_registry.py ProviderRegistry.dispatch_event, with its
    /// `_update_provider_status`: READY, STALE and ERROR (FATAL when `fatal`) set the status;
    /// CONFIGURATION_CHANGED leaves it.
    pub(super) fn dispatch_event(
        &self,
        provider: &Prov,
        event: PyEvent,
        fatal: bool,
        emission: Option<usize>,
    ) {
        let label = format!(
            "_update_provider_status({}, {})",
            provider.name(),
            event.label()
        );
        self.stmt(&label, |s| {
            let status = match event {
                PyEvent::Ready => Some(Status::Ready),
                PyEvent::Stale => Some(Status::Stale),
                PyEvent::Error if fatal => Some(Status::Fatal),
                PyEvent::Error => Some(Status::Error),
                PyEvent::ConfigurationChanged => None,
            };
            if let Some(status) = status {
                s.provider_status.insert(provider.clone(), status);
            }
        });
        self.run_handlers_for_provider(provider, event, emission);
    }

    /// Mirrors provider/__init__.py AbstractProvider.attach: `self._on_emit = on_emit`. The test
    /// provider starts its event thread at its first attach.
    fn attach(self: &Arc<Self>, provider: &Prov) {
        let first = self.stmt(
            &format!("{}.attach(dispatch_event)", provider.name()),
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
                        let emitted = {
                            let _turn = py.world.turn();
                            py.world
                                .begin_step(&format!("{name}.emit({})", event.as_str()));
                            py.emit(&name, event)
                        };
                        if let Err(error) = emitted {
                            py.world.trace(format!("py {error} kills {name}.events"));
                            return;
                        }
                    }
                });
        }
    }

    /// Mirrors provider/__init__.py AbstractProvider.detach. Exhibits A16: two detaches can both
    /// pass the `hasattr` check, and the second `del` raises `AttributeError`.
    pub(super) fn detach(&self, provider: &Prov) -> PyResult {
        let name = provider.name();
        if let Prov::Test(name) = provider {
            self.world.provider(name, |record| record.detach += 1);
        }
        if self.stmt(&format!("if hasattr({name}, '_on_emit')"), |s| {
            s.on_emit.contains(provider)
        }) {
            let deleted = self.stmt(&format!("del {name}._on_emit"), |s| {
                s.on_emit.remove(provider)
            });
            if !deleted {
                return Err(NO_ON_EMIT.to_owned());
            }
        }
        Ok(())
    }

    /// Mirrors provider/__init__.py AbstractProvider.emit, called by the test provider's code (an
    /// `emit` operation or its event thread). Exhibits A16: a detach between the `hasattr` check and
    /// the read of `self._on_emit` makes the read raise `AttributeError`.
    pub(super) fn emit(&self, name: &str, event: EventName) -> PyResult {
        self.world.trace(format!("{name}.emit({})", event.as_str()));
        let emission = self.world.note_emit(name, event);
        let provider = Prov::Test(name.to_owned());
        if self.stmt(&format!("if hasattr({name}, '_on_emit')"), |s| {
            s.on_emit.contains(&provider)
        }) {
            let label = format!("{name}._on_emit({name}, {})", event.as_str());
            if !self.stmt(&label, |s| s.on_emit.contains(&provider)) {
                return Err(NO_ON_EMIT.to_owned());
            }
            let (event, fatal) = PyEvent::of(event);
            self.dispatch_event(&provider, event, fatal, Some(emission));
        }
        Ok(())
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

    /// The test provider's `initialize` (user code): passes its scheduling points, then returns or
    /// raises as its spec says. `Err(true)` is an exception carrying `PROVIDER_FATAL`; a
    /// non-OpenFeature exception (`panics`) carries `GENERAL`, like a plain failure.
    fn user_initialize(&self, provider: &Prov) -> Result<(), bool> {
        let Prov::Test(name) = provider else {
            return Ok(());
        };
        // Python initializes inline, inside the operation's own atomic step: not a step apart.
        self.reenter(&format!("{name}.initialize"));
        crate::pymodel::test_initialize(&self.world, name)
    }

    /// The provider's `shutdown` (user code): the test provider counts it; the no-op provider
    /// does nothing and is not a scenario provider, so it is only traced.
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
