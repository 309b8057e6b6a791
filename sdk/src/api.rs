//! The API object (spec 1.1, 1.6, 1.8): provider registry, API hooks, global context, the
//! transaction-context propagator, API event handlers, and shutdown.
//!
//! All of an instance's shared state lives in `ApiShared` (module `shared`), which an `Api`
//! shares with its clients and with the emitters of its providers. Lock order, where two are
//! held: `registry` before `events`. User code never runs under either.

use crate::client::Client;
use crate::context::EvaluationContext;
use crate::evaluation::EvaluationError;
use crate::events::{EventDetails, EventHandler, HandlerId, HandlerScope, ProviderEvent};
use crate::hooks::Hook;
use crate::provider::{FeatureProvider, ProviderMetadata, ProviderStatus};
use crate::registry::Registration;
use crate::shared::ApiShared;
use crate::sync::{self, Arc};
use crate::transaction::TransactionContextPropagator;

/// An OpenFeature API instance. Cloning gives another handle to the same instance.
///
/// [`Api::new`] makes an isolated instance (spec 1.8); [`Api::global`] is the process-wide one
/// (spec 1.1.1), a thin wrapper over an instance made on first use.
#[derive(Clone)]
pub struct Api {
    shared: Arc<ApiShared>,
}

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

/// Which slot a provider is bound to.
#[derive(Clone, Copy)]
enum Slot<'a> {
    Default,
    Domain(&'a str),
}

impl Api {
    /// A new, independent API instance (spec 1.8.1) with the no-op provider as default.
    pub fn new() -> Self {
        Self {
            shared: Arc::new(ApiShared::new()),
        }
    }

    /// The process-wide API instance (spec 1.1.1). Not available under the model checkers,
    /// which cannot model a value that outlives one execution.
    #[cfg(not(any(openfeature_sdk_shuttle, openfeature_sdk_loom)))]
    pub fn global() -> &'static Api {
        static GLOBAL: sync::OnceLock<Api> = sync::OnceLock::new();
        GLOBAL.get_or_init(Api::new)
    }

    // ----- providers -----------------------------------------------------------------------

    /// Binds `provider` as the default and returns at once; `initialize` runs in the
    /// background (spec 1.1.2.1, 1.1.2.2).
    pub fn set_provider(&self, provider: Arc<dyn FeatureProvider>) {
        let _in_background = self.bind(Slot::Default, provider, false);
    }

    /// Binds `provider` as the default, waits for its `initialize` and for the resulting event's
    /// handlers, and returns the outcome (spec 1.1.2.4).
    ///
    /// The binding takes effect at once, as with [`Api::set_provider`]: evaluations on other
    /// threads see the new provider `NOT_READY` until its `initialize` finishes, and a concurrent
    /// `clear_providers` or `shutdown` may unbind it before then (it is then shut down after its
    /// `initialize`). Only the waiting differs.
    pub fn set_provider_and_wait(
        &self,
        provider: Arc<dyn FeatureProvider>,
    ) -> Result<(), EvaluationError> {
        self.bind(Slot::Default, provider, true)
    }

    /// Binds `provider` to `domain` and returns at once (spec 1.1.3).
    pub fn set_domain_provider(&self, domain: &str, provider: Arc<dyn FeatureProvider>) {
        let _in_background = self.bind(Slot::Domain(domain), provider, false);
    }

    /// Binds `provider` to `domain` and waits for its initialization (spec 1.1.3, 1.1.2.4).
    pub fn set_domain_provider_and_wait(
        &self,
        domain: &str,
        provider: Arc<dyn FeatureProvider>,
    ) -> Result<(), EvaluationError> {
        self.bind(Slot::Domain(domain), provider, true)
    }

    /// The one place that changes a binding. It builds a registration for the provider before
    /// taking the registry write lock; under the lock it swaps the slot, numbers and publishes
    /// that registration if the provider is not bound elsewhere (claiming its `initialize`;
    /// otherwise the built one is dropped unused after the lock), and retires the old
    /// registration if no slot binds it any more (holding a lease of its own on it, which it
    /// gives back after the lock: if it is the last, it runs the `shutdown`). Everything
    /// claimed runs after the lock is released.
    fn bind(
        &self,
        slot: Slot<'_>,
        provider: Arc<dyn FeatureProvider>,
        wait: bool,
    ) -> Result<(), EvaluationError> {
        let name = crate::contain::call("provider metadata", || provider.metadata())
            .map(|metadata| metadata.name)
            .unwrap_or_else(|_| "unnamed provider".to_owned());
        // Built and allocated before the write section, which only numbers it: the section
        // stays short (an evaluation that needs a fresh snapshot waits for it). Unused, and
        // dropped after the section, when the provider is bound already.
        let mut fresh = Arc::new(Registration::new_uninitialized(
            0,
            Arc::clone(&provider),
            name,
        ));
        let (registration, created, predecessor, init_context, retired, unused) = {
            let mut registry = self.shared.registry_mut();
            let (registration, created, predecessor, unused) = match registry.find(&provider) {
                Some(existing) => (Arc::clone(existing), false, None, Some(fresh)),
                None => {
                    let predecessor = registry.predecessor(&provider);
                    let serial = registry.take_serial();
                    // Unshared until now (no clone, no weak reference yet), so this always
                    // numbers it.
                    if let Some(fresh) = Arc::get_mut(&mut fresh) {
                        fresh.serial = serial;
                    }
                    fresh.emitter.attach(&self.shared, &fresh);
                    (fresh, true, predecessor, None)
                }
            };
            let previous = match slot {
                Slot::Default => Some(std::mem::replace(
                    &mut registry.default,
                    Arc::clone(&registration),
                )),
                Slot::Domain(domain) => registry
                    .domains
                    .insert(domain.to_owned(), Arc::clone(&registration)),
            };
            let retired = previous.filter(|previous| !registry.binds(previous));
            if let Some(retired) = &retired {
                registry.retire(retired);
            }
            (
                registration,
                created,
                predecessor,
                Arc::clone(&registry.context),
                retired,
                unused,
            )
        };
        drop(unused);
        if let Some(previous) = retired {
            if previous.release_retirer() {
                previous.shut_down();
            }
        }
        if !created {
            return if wait {
                registration.wait_initialized()
            } else {
                Ok(())
            };
        }
        if wait {
            let (outcome, ticket) = self.shared.attach_and_initialize(
                &registration,
                predecessor.as_deref(),
                &init_context,
            );
            if let Some(ticket) = ticket {
                self.shared.wait_delivered(ticket);
            }
            outcome
        } else {
            let shared = Arc::clone(&self.shared);
            let thread_name = format!("openfeature-init-{}", registration.serial);
            sync::spawn(&thread_name, move || {
                let _ = shared.attach_and_initialize(
                    &registration,
                    predecessor.as_deref(),
                    &init_context,
                );
            });
            Ok(())
        }
    }

    /// Metadata of the provider a client of `domain` would use (spec 1.1.5).
    pub fn provider_metadata(&self, domain: Option<&str>) -> ProviderMetadata {
        let registry = self.shared.registry();
        ProviderMetadata::new(registry.registration_for(domain).name.clone())
    }

    /// The domains that have a provider of their own, in name order.
    pub fn bound_domains(&self) -> Vec<String> {
        self.shared.registry().domains.keys().cloned().collect()
    }

    /// Status of the provider a client of `domain` would use.
    pub fn provider_status(&self, domain: Option<&str>) -> ProviderStatus {
        self.shared.registry().registration_for(domain).status()
    }

    /// Unbinds every provider and removes every event handler in one step (A9, A12), then shuts
    /// the providers down and waits for that. Hooks, context and the propagator are kept.
    pub fn clear_providers(&self) {
        self.reset(false);
    }

    /// Shuts every provider down once and resets all state of the instance in one step: providers,
    /// hooks, event handlers, evaluation context and propagator (spec 1.6.1, 1.6.2; A6, A9, A12).
    /// Returns when every provider's `shutdown` has run, unless called from provider or hook code
    /// (then providers still in use by that call shut down when it finishes).
    pub fn shutdown(&self) {
        self.reset(true);
    }

    fn reset(&self, everything: bool) {
        // The handlers the reset removes: dropped after its locks (see
        // `EventState::unregister`).
        let cleared;
        let retired: Vec<(Arc<Registration>, bool)> = {
            let mut registry = self.shared.registry_mut();
            let mut events = self.shared.events.lock();
            let bound = registry.distinct_registrations();
            let earlier = registry.pending_shutdown.clone();
            // The new registry keeps, in retirement order, every registration whose shutdown
            // may not have run yet (those retired earlier, then those retired below), so that a
            // provider bound again right after this reset starts after its latest shutdown.
            *registry = registry.after_reset(!everything);
            cleared = events.clear_handlers();
            // Each with whether this reset retired it (and so holds a lease on it to give
            // back), or only waits for it.
            let mut retired: Vec<(Arc<Registration>, bool)> = Vec::new();
            for registration in bound {
                registry.retire(&registration);
                retired.push((registration, true));
            }
            // This reset waits for the earlier ones too.
            retired.extend(
                earlier
                    .into_iter()
                    .map(|registration| (registration, false)),
            );
            retired
        };
        for (registration, retired_here) in &retired {
            if *retired_here && registration.release_retirer() {
                registration.shut_down();
            }
        }
        drop(cleared);
        for (registration, _) in &retired {
            registration.wait_shut_down();
        }
    }

    // ----- clients -------------------------------------------------------------------------

    /// A client bound to the default provider (spec 1.1.6). Never fails (spec 1.1.7).
    pub fn client(&self) -> Client {
        Client::new(Arc::clone(&self.shared), None)
    }

    /// A client bound to `domain`: it uses the domain's provider, or the default while the
    /// domain has none (spec 1.1.3, 1.1.6).
    pub fn domain_client(&self, domain: &str) -> Client {
        Client::new(Arc::clone(&self.shared), Some(Arc::from(domain)))
    }

    // ----- hooks ---------------------------------------------------------------------------

    /// Appends API hooks (spec 1.1.4). Concurrent calls never lose a hook (A7): the list is
    /// replaced whole under the registry write lock.
    pub fn add_hooks(&self, hooks: impl IntoIterator<Item = Arc<dyn Hook>>) {
        let hooks: Vec<Arc<dyn Hook>> = hooks.into_iter().collect();
        let mut registry = self.shared.registry_mut();
        let mut list = Vec::with_capacity(registry.hooks.len() + hooks.len());
        list.extend(registry.hooks.iter().cloned());
        list.extend(hooks);
        registry.set_hooks(list);
    }

    /// Removes every API hook.
    pub fn clear_hooks(&self) {
        self.shared.registry_mut().set_hooks(Vec::new());
    }

    /// The API hooks, in order.
    pub fn hooks(&self) -> Vec<Arc<dyn Hook>> {
        self.shared.registry().hooks.as_ref().clone()
    }

    // ----- evaluation context --------------------------------------------------------------

    /// Replaces the global evaluation context (spec 3.2.1).
    pub fn set_context(&self, context: EvaluationContext) {
        // Allocated before the write section, which only swaps it in.
        let context = Arc::new(context);
        self.shared.registry_mut().set_context(context);
    }

    /// The global evaluation context.
    pub fn context(&self) -> Arc<EvaluationContext> {
        Arc::clone(&self.shared.registry().context)
    }

    /// Overlays `fields` on the global context in one atomic step: no read-modify-write race can
    /// lose another thread's attributes (A13).
    pub fn merge_context(&self, fields: &EvaluationContext) {
        let mut registry = self.shared.registry_mut();
        let mut merged = registry.context.as_ref().clone();
        merged.merge_in(fields);
        registry.set_context(Arc::new(merged));
    }

    /// Applies `update` to the global context atomically (A13). `update` runs outside the lock
    /// and is retried on a copy of the newer context if another change landed meanwhile, so it
    /// may run more than once and should have no side effects.
    pub fn update_context(&self, mut update: impl FnMut(&mut EvaluationContext)) {
        loop {
            let (current, version) = {
                let registry = self.shared.registry();
                (Arc::clone(&registry.context), registry.context_version)
            };
            let mut updated = current.as_ref().clone();
            if crate::contain::call("context update", || update(&mut updated)).is_err() {
                return;
            }
            let updated = Arc::new(updated);
            let mut registry = self.shared.registry_mut();
            if registry.context_version == version {
                registry.set_context(updated);
                return;
            }
        }
    }

    // ----- transaction context -------------------------------------------------------------

    /// Installs a transaction-context propagator (spec 3.3.1.1). Contexts held by the previous
    /// propagator are not carried over.
    pub fn set_transaction_propagator(&self, propagator: Arc<dyn TransactionContextPropagator>) {
        self.shared.registry_mut().set_propagator(propagator);
    }

    /// Sets the transaction context through the installed propagator (spec 3.3.1.2). Atomic with
    /// respect to a propagator swap (A14): if a swap lands while the propagator runs, the
    /// context is written again into the new one, so the caller's later evaluations see it.
    pub fn set_transaction_context(&self, context: EvaluationContext) {
        let context = Arc::new(context);
        loop {
            let (propagator, version) = {
                let registry = self.shared.registry();
                (
                    Arc::clone(&registry.propagator),
                    registry.propagator_version,
                )
            };
            let written = crate::contain::call("propagator set", || {
                propagator.set_transaction_context(Arc::clone(&context))
            });
            let unchanged = self.shared.registry().propagator_version == version;
            if written.is_err() || unchanged {
                return;
            }
        }
    }

    /// The transaction context from the installed propagator, if any.
    pub fn transaction_context(&self) -> Option<Arc<EvaluationContext>> {
        let propagator = Arc::clone(&self.shared.registry().propagator);
        crate::contain::call("propagator get", || propagator.get_transaction_context())
            .ok()
            .flatten()
    }

    // ----- events --------------------------------------------------------------------------

    /// Adds an API-level handler for `event` (spec 5.2.2). If a bound provider is already in the
    /// matching state, the handler runs once for it right away, in order with other events
    /// (spec 5.3.3).
    pub fn add_handler(
        &self,
        event: ProviderEvent,
        handler: impl Fn(&EventDetails) + Send + Sync + 'static,
    ) -> HandlerId {
        let handler: EventHandler = Arc::new(handler);
        self.shared.add_handler(HandlerScope::Api, event, handler)
    }

    /// Removes an API-level handler (spec 5.2.7); returns whether it was registered.
    pub fn remove_handler(&self, id: HandlerId) -> bool {
        self.shared.remove_handler(&HandlerScope::Api, id)
    }
}
