//! Provider lifecycle on the production locks: initialize once, shut down once when no longer
//! bound anywhere, status derived from events, and never resolving on a shut-down provider.

mod common;

use common::{CountingProvider, Init};
use openfeature_sdk::{Api, ErrorCode, FeatureProvider, ProviderStatus, Reason};
use std::sync::Arc;

fn count(counter: &std::sync::atomic::AtomicUsize) -> usize {
    CountingProvider::count(counter)
}

#[test]
fn set_provider_and_wait_initializes_once_and_reports_ready() {
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    api.set_provider_and_wait(p0.clone())
        .expect("init succeeds");
    assert_eq!(count(&p0.attaches), 1);
    assert_eq!(count(&p0.inits), 1);
    assert_eq!(api.provider_status(None), ProviderStatus::Ready);
    let details = api
        .client()
        .get_string_details("flag", "default", None, None);
    assert_eq!(details.value, "p0");
    assert_eq!(details.reason, Some(Reason::Static));
}

#[test]
fn replacing_a_provider_shuts_the_old_one_down_exactly_once() {
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    let p1 = CountingProvider::new("p1", Init::Succeeds);
    api.set_provider_and_wait(p0.clone()).expect("p0");
    api.set_provider_and_wait(p1.clone()).expect("p1");
    assert_eq!(count(&p0.shutdowns), 1);
    assert_eq!(count(&p1.shutdowns), 0);
    api.shutdown();
    assert_eq!(count(&p0.shutdowns), 1);
    assert_eq!(count(&p1.shutdowns), 1);
}

#[test]
fn a_provider_bound_twice_is_initialized_once_and_shut_down_when_unbound_everywhere() {
    let api = Api::new();
    let shared = CountingProvider::new("shared", Init::Succeeds);
    let other = CountingProvider::new("other", Init::Succeeds);
    api.set_provider_and_wait(shared.clone()).expect("default");
    api.set_domain_provider_and_wait("a", shared.clone())
        .expect("domain a");
    assert_eq!(count(&shared.inits), 1, "initialized once");
    api.set_provider_and_wait(other.clone())
        .expect("replace default");
    assert_eq!(count(&shared.shutdowns), 0, "still bound to domain a");
    api.set_domain_provider_and_wait("a", other.clone())
        .expect("replace domain a");
    assert_eq!(count(&shared.shutdowns), 1, "unbound everywhere");
    assert_eq!(count(&other.inits), 1);
}

#[test]
fn failed_and_fatal_initialization_set_error_and_fatal_status() {
    let api = Api::new();
    let failing = CountingProvider::new("failing", Init::Fails);
    let error = api
        .set_domain_provider_and_wait("f", failing)
        .expect_err("init fails");
    assert_eq!(error.code, ErrorCode::General);
    assert_eq!(api.provider_status(Some("f")), ProviderStatus::Error);

    let fatal = CountingProvider::new("fatal", Init::Fatal);
    let error = api
        .set_domain_provider_and_wait("x", fatal)
        .expect_err("init fatal");
    assert_eq!(error.code, ErrorCode::ProviderFatal);
    assert_eq!(api.provider_status(Some("x")), ProviderStatus::Fatal);
    let details = api
        .domain_client("x")
        .get_bool_details("flag", false, None, None);
    assert!(!details.value);
    assert_eq!(details.error_code, Some(ErrorCode::ProviderFatal));
    assert_eq!(details.reason, Some(Reason::Error));
}

#[test]
fn a_panicking_initialize_is_contained_as_an_error() {
    let api = Api::new();
    let panicking = CountingProvider::new("panicking", Init::Panics);
    let error = api
        .set_provider_and_wait(panicking.clone())
        .expect_err("init panics");
    assert_eq!(error.code, ErrorCode::General);
    assert!(error.message.unwrap_or_default().contains("panicked"));
    assert_eq!(api.provider_status(None), ProviderStatus::Error);
}

#[test]
fn evaluations_short_circuit_while_initialize_runs_and_resolve_after() {
    let api = Api::new();
    let slow = CountingProvider::gated("slow", Init::Succeeds);
    api.set_provider(slow.clone());
    let client = api.client();
    let details = client.get_int_details("flag", 7, None, None);
    assert_eq!(details.value, 7);
    assert_eq!(details.error_code, Some(ErrorCode::ProviderNotReady));
    assert_eq!(count(&slow.resolves), 0);
    slow.release_init();
    // A second binding of the same provider waits for the running initialize.
    api.set_domain_provider_and_wait("d", slow.clone())
        .expect("init finishes");
    assert_eq!(client.get_int_value("flag", 7, None, None), 42);
    assert_eq!(count(&slow.inits), 1);
}

#[test]
fn a_provider_replaced_during_initialize_is_shut_down_after_it_and_its_late_ready_is_ignored() {
    let api = Api::new();
    let slow = CountingProvider::gated("slow", Init::Succeeds);
    let next = CountingProvider::new("next", Init::Fails);
    api.set_provider(slow.clone());
    api.set_provider_and_wait(next.clone())
        .expect_err("next fails init");
    assert_eq!(
        count(&slow.shutdowns),
        0,
        "never shut down before init ends"
    );
    slow.release_init();
    api.shutdown();
    assert_eq!(count(&slow.inits), 1);
    assert_eq!(count(&slow.shutdowns), 1);
    assert_eq!(
        api.provider_status(None),
        ProviderStatus::Ready,
        "after shutdown the default is the no-op provider again"
    );
}

#[test]
fn late_ready_of_a_replaced_provider_does_not_change_the_current_status() {
    let api = Api::new();
    let slow = CountingProvider::gated("slow", Init::Succeeds);
    let failing = CountingProvider::new("failing", Init::Fails);
    api.set_provider(slow.clone());
    api.set_provider_and_wait(failing).expect_err("fails");
    slow.release_init();
    // Wait for the replaced provider's shutdown, which follows its initialize.
    for _ in 0..10_000 {
        if count(&slow.shutdowns) == 1 {
            break;
        }
        std::thread::yield_now();
    }
    assert_eq!(count(&slow.shutdowns), 1);
    assert_eq!(api.provider_status(None), ProviderStatus::Error);
}

#[test]
fn rebinding_a_provider_whose_shutdown_is_pending_starts_after_that_shutdown() {
    // Found by the harness's scenario generator: p is retired while its initialize runs (its
    // shutdown is deferred behind it) and bound again at once; the new registration must not
    // attach or initialize before the old one's shutdown.
    let api = Api::new();
    let p = CountingProvider::gated("p", Init::Succeeds);
    let q = CountingProvider::new("q", Init::Succeeds);
    api.set_provider(p.clone());
    api.set_provider(q.clone());
    api.set_provider(p.clone());
    p.release_init();
    api.shutdown();
    assert_eq!(
        p.calls(),
        [
            "attach",
            "initialize",
            "shutdown",
            "attach",
            "initialize",
            "shutdown"
        ]
    );
}

#[test]
fn emitting_after_detach_is_a_silent_no_op_and_detaching_twice_is_safe() {
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    api.set_provider_and_wait(p0.clone()).expect("p0");
    let emitter = p0.emitter().expect("attached");
    assert!(emitter.is_attached());
    api.shutdown();
    assert!(!emitter.is_attached());
    assert!(!emitter.emit(openfeature_sdk::ProviderEvent::Ready, Default::default()));
    emitter.detach();
    emitter.detach();
}

#[test]
fn clear_providers_shuts_everything_down_and_keeps_hooks_and_context() {
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    let p1 = CountingProvider::new("p1", Init::Succeeds);
    api.set_provider_and_wait(p0.clone()).expect("p0");
    api.set_domain_provider_and_wait("d", p1.clone())
        .expect("p1");
    api.set_context(openfeature_sdk::EvaluationContext::new().with("kept", true));
    api.clear_providers();
    assert_eq!(count(&p0.shutdowns), 1);
    assert_eq!(count(&p1.shutdowns), 1);
    assert_eq!(api.provider_metadata(Some("d")).name, "No-op Provider");
    assert!(api.context().get("kept").is_some());
    api.shutdown();
    assert!(api.context().is_empty(), "shutdown resets the context");
    assert_eq!(count(&p0.shutdowns), 1);
}

#[test]
fn shutdown_from_inside_an_evaluation_hook_does_not_deadlock() {
    use openfeature_sdk::{
        EvaluationContext, EvaluationError, Hook, HookContext, HookData, HookHints,
    };
    struct ShutsDown(Api);
    impl Hook for ShutsDown {
        fn before(
            &self,
            _: &HookContext<'_>,
            _: &HookHints,
            _: &mut HookData,
        ) -> Result<Option<EvaluationContext>, EvaluationError> {
            self.0.shutdown();
            Ok(None)
        }
    }
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    api.set_provider_and_wait(p0.clone()).expect("p0");
    let options =
        openfeature_sdk::EvaluationOptions::new().with_hook(Arc::new(ShutsDown(api.clone())));
    let value = api
        .client()
        .get_string_value("flag", "default", None, Some(&options));
    assert_eq!(
        value, "p0",
        "the evaluation resolves on its snapshot's provider"
    );
    assert_eq!(
        count(&p0.shutdowns),
        1,
        "shut down once the evaluation ended"
    );
    assert_eq!(count(&p0.resolved_after_shutdown), 0);
}

#[test]
fn tracking_reaches_the_provider_with_the_merged_context() {
    let api = Api::new();
    let p0 = CountingProvider::new("p0", Init::Succeeds);
    api.set_provider_and_wait(p0.clone()).expect("p0");
    api.client().track("clicked", None, None);
    assert_eq!(count(&p0.tracks), 1);
}

#[test]
fn tracking_skips_a_provider_that_is_not_initialized_yet() {
    let api = Api::new();
    let slow = CountingProvider::gated("slow", Init::Succeeds);
    api.set_provider(slow.clone());
    api.client().track("clicked", None, None);
    assert_eq!(count(&slow.tracks), 0, "initialize has not finished");
    slow.release_init();
    api.set_domain_provider_and_wait("d", slow.clone())
        .expect("init finishes");
    api.client().track("clicked", None, None);
    assert_eq!(count(&slow.tracks), 1);
}

#[test]
fn the_global_instance_is_one_instance() {
    let a: *const Api = Api::global();
    let b: *const Api = Api::global();
    assert!(std::ptr::eq(a, b));
    let provider: Arc<dyn FeatureProvider> = CountingProvider::new("global", Init::Succeeds);
    Api::global()
        .set_domain_provider_and_wait("global-test", provider)
        .expect("init");
    assert_eq!(
        Api::global().provider_metadata(Some("global-test")).name,
        "global"
    );
}

#[test]
fn an_api_dropped_without_shutdown_frees_its_providers() {
    // A provider keeps the emitter it is attached with; the emitter must not keep the API (and
    // so the provider itself) alive, or every API dropped without a shutdown leaks.
    let api = Api::new();
    let provider = Arc::new(openfeature_sdk::InMemoryProvider::new([]));
    let domain_provider = Arc::new(openfeature_sdk::InMemoryProvider::new([]));
    let (weak, weak_domain) = (Arc::downgrade(&provider), Arc::downgrade(&domain_provider));
    api.set_provider_and_wait(provider).expect("initializes");
    api.set_domain_provider_and_wait("d1", domain_provider)
        .expect("initializes");
    drop(api);
    assert!(
        weak.upgrade().is_none(),
        "the default provider outlived its API"
    );
    assert!(
        weak_domain.upgrade().is_none(),
        "the domain's provider outlived its API"
    );
}

/// A provider that records which thread dropped it.
struct DropRecorder {
    dropped_on: Arc<std::sync::Mutex<Option<std::thread::ThreadId>>>,
}

impl Drop for DropRecorder {
    fn drop(&mut self) {
        *self.dropped_on.lock().expect("drop record") = Some(std::thread::current().id());
    }
}

impl FeatureProvider for DropRecorder {
    fn metadata(&self) -> openfeature_sdk::ProviderMetadata {
        openfeature_sdk::ProviderMetadata::new("drop-recorder")
    }
    fn resolve_bool(
        &self,
        _: &str,
        _: bool,
        _: &openfeature_sdk::EvaluationContext,
    ) -> openfeature_sdk::ResolutionResult<bool> {
        Ok(openfeature_sdk::ResolutionDetails::new(true))
    }
    fn resolve_int(
        &self,
        _: &str,
        default: i64,
        _: &openfeature_sdk::EvaluationContext,
    ) -> openfeature_sdk::ResolutionResult<i64> {
        Ok(openfeature_sdk::ResolutionDetails::new(default))
    }
    fn resolve_float(
        &self,
        _: &str,
        default: f64,
        _: &openfeature_sdk::EvaluationContext,
    ) -> openfeature_sdk::ResolutionResult<f64> {
        Ok(openfeature_sdk::ResolutionDetails::new(default))
    }
    fn resolve_string(
        &self,
        _: &str,
        default: &str,
        _: &openfeature_sdk::EvaluationContext,
    ) -> openfeature_sdk::ResolutionResult<String> {
        Ok(openfeature_sdk::ResolutionDetails::new(default.to_owned()))
    }
    fn resolve_object(
        &self,
        _: &str,
        default: &openfeature_sdk::Value,
        _: &openfeature_sdk::EvaluationContext,
    ) -> openfeature_sdk::ResolutionResult<openfeature_sdk::Value> {
        Ok(openfeature_sdk::ResolutionDetails::new(default.clone()))
    }
}

#[test]
fn a_replaced_provider_is_freed_by_a_configuration_change_and_never_by_an_evaluating_thread() {
    // The evaluating thread's cached snapshot is the last holder of the replaced provider's
    // registration besides the registry; letting go of that snapshot must not free it there
    // (freeing what another thread allocated contends for that thread's allocator arena).
    let api = Api::new();
    let dropped_on = Arc::new(std::sync::Mutex::new(None));
    let recorder = Arc::new(DropRecorder {
        dropped_on: Arc::clone(&dropped_on),
    });
    api.set_provider_and_wait(recorder).expect("initializes");
    let client = api.client();
    assert_eq!(
        client.get_string_value("flag", "recorder", None, None),
        "recorder"
    );

    let writer = std::thread::spawn({
        let api = api.clone();
        move || {
            // The second rebind prunes the first's shut-down registration from the registry's
            // pending list: before it was kept, the evaluating thread's snapshot was then its
            // last holder.
            for name in ["b", "c"] {
                let provider = CountingProvider::new(name, Init::Succeeds);
                api.set_provider_and_wait(provider).expect("initializes");
            }
            std::thread::current().id()
        }
    });
    let writer_id = writer.join().expect("writer thread");

    // The version moved: this evaluation replaces the thread's snapshot of the old provider.
    assert_eq!(client.get_string_value("flag", "recorder", None, None), "c");
    assert_eq!(
        *dropped_on.lock().expect("drop record"),
        None,
        "the evaluating thread freed the replaced provider"
    );

    let changer = std::thread::spawn({
        let api = api.clone();
        move || {
            api.set_context(openfeature_sdk::EvaluationContext::new().with("k", 1_i64));
            std::thread::current().id()
        }
    });
    let changer_id = changer.join().expect("changer thread");
    assert_ne!(changer_id, writer_id);
    assert_eq!(
        *dropped_on.lock().expect("drop record"),
        Some(changer_id),
        "the next configuration change frees what no evaluation holds any more"
    );
}

/// A hook whose `Drop` calls back into the SDK and reports what it read.
struct CallsBackOnDrop {
    call: Box<dyn Fn() -> bool + Send + Sync>,
    read: std::sync::mpsc::Sender<bool>,
}

impl Drop for CallsBackOnDrop {
    fn drop(&mut self) {
        let _ = self.read.send((self.call)());
    }
}

impl openfeature_sdk::Hook for CallsBackOnDrop {}

/// Hands `install` a [`CallsBackOnDrop`] running `call`, runs `release` on another thread with
/// what `install` returned, and returns what the value's `Drop` read (panicking if it never
/// returned: a deadlock).
fn read_by_a_value_dropped_on_another_thread<T: Send + 'static>(
    call: impl Fn() -> bool + Send + Sync + 'static,
    install: impl FnOnce(CallsBackOnDrop) -> T,
    release: impl FnOnce(T) + Send + 'static,
) -> bool {
    let (read, reads) = std::sync::mpsc::channel();
    let installed = install(CallsBackOnDrop {
        call: Box::new(call),
        read,
    });
    let releasing = std::thread::spawn(move || release(installed));
    let value = reads
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the value was dropped, and its call into the SDK returned");
    releasing.join().expect("the release returned");
    value
}

/// Adds a [`CallsBackOnDrop`] hook with `add`, runs `clear` on another thread, and returns what
/// the hook's `Drop` read.
fn read_by_a_hook_dropped_on_clear(
    call: impl Fn() -> bool + Send + Sync + 'static,
    add: impl FnOnce(Arc<dyn openfeature_sdk::Hook>),
    clear: impl FnOnce() + Send + 'static,
) -> bool {
    read_by_a_value_dropped_on_another_thread(call, |hook| add(Arc::new(hook)), |()| clear())
}

#[test]
fn a_hook_dropped_by_clear_hooks_may_call_back_into_the_api_from_its_drop() {
    // A replaced value's `Drop` is user code: it runs after the registry lock is released, so
    // it may call the API. (Dropped under the write lock, this read would deadlock.)
    let api = Api::new();
    let context_was_empty = read_by_a_hook_dropped_on_clear(
        {
            let api = api.clone();
            move || api.context().is_empty()
        },
        |hook| api.add_hooks([hook]),
        {
            let api = api.clone();
            move || api.clear_hooks()
        },
    );
    assert!(context_was_empty);
    assert!(api.hooks().is_empty());
}

#[test]
fn a_client_hook_dropped_by_clear_hooks_may_call_back_into_the_client_from_its_drop() {
    // Likewise for a client's hooks and its hooks lock.
    let api = Api::new();
    let client = api.client();
    let hooks_were_empty = read_by_a_hook_dropped_on_clear(
        {
            let client = client.clone();
            move || client.hooks().is_empty()
        },
        |hook| client.add_hooks([hook]),
        {
            let client = client.clone();
            move || client.clear_hooks()
        },
    );
    assert!(hooks_were_empty);
}

/// Adds an API handler that holds a [`CallsBackOnDrop`] running `call`, runs `remove` on
/// another thread, and returns what the value's `Drop` read.
fn read_by_a_handler_dropped_on_remove(
    api: &Api,
    call: impl Fn() -> bool + Send + Sync + 'static,
    remove: impl FnOnce(openfeature_sdk::HandlerId) + Send + 'static,
) -> bool {
    read_by_a_value_dropped_on_another_thread(
        call,
        |captured| {
            api.add_handler(
                openfeature_sdk::ProviderEvent::ConfigurationChanged,
                move |_| {
                    let _ = &captured;
                },
            )
        },
        remove,
    )
}

#[test]
fn a_handler_removed_may_call_back_into_the_api_from_its_captures_drop() {
    // The removed handler is dropped after the events lock is released.
    let api = Api::new();
    let added = read_by_a_handler_dropped_on_remove(
        &api,
        {
            let api = api.clone();
            move || {
                let id = api.add_handler(openfeature_sdk::ProviderEvent::Ready, |_| {});
                api.remove_handler(id)
            }
        },
        {
            let api = api.clone();
            move |id| assert!(api.remove_handler(id))
        },
    );
    assert!(added);
}

#[test]
fn handlers_cleared_by_clear_providers_may_call_back_into_the_api_from_their_captures_drop() {
    // The reset's handlers are dropped after its registry and events locks are released.
    let api = Api::new();
    let status_read = read_by_a_handler_dropped_on_remove(
        &api,
        {
            let api = api.clone();
            move || api.provider_status(None) == ProviderStatus::Ready
        },
        {
            let api = api.clone();
            move |_| api.clear_providers()
        },
    );
    assert!(
        status_read,
        "the no-op default provider is ready after the reset"
    );
}
