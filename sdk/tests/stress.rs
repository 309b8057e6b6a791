//! A multi-threaded stress test on real threads and the production locks: 8 threads run
//! thousands of mixed operations (set providers, evaluate, add hooks and handlers, emit, clear)
//! and the end state is checked with exact counts. Real threads prove little on their own; the
//! harness replays the same races under controlled schedules.

mod common;

use common::{CountingProvider, Init};
use openfeature_sdk::{Api, ErrorCode, Hook, ProviderEvent, ProviderEventDetails};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

const THREADS: usize = 8;
/// Enough operations per thread that every kind of operation overlaps every other many times.
const OPS_PER_THREAD: usize = 600;
const DOMAINS: [&str; 3] = ["alpha", "beta", "gamma"];

/// A small deterministic generator, so that a failing mix can be re-run.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

struct NoopHook;
impl Hook for NoopHook {}

#[derive(Default)]
struct Tally {
    providers: Mutex<Vec<Arc<CountingProvider>>>,
    api_hooks: AtomicUsize,
    client_hooks: AtomicUsize,
    ready_handlers: AtomicUsize,
    evaluations: AtomicUsize,
}

#[test]
fn mixed_operations_on_eight_threads_keep_exact_counts() {
    let api = Api::new();
    let shared_client = api.client();
    let tally = Tally::default();
    // Which READY handlers have seen the final provider's READY: each must, exactly once.
    let final_seen: Arc<Mutex<Vec<usize>>> = Arc::default();

    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (api, shared_client, tally, final_seen) = (
                api.clone(),
                shared_client.clone(),
                &tally,
                Arc::clone(&final_seen),
            );
            scope.spawn(move || {
                let mut random = XorShift(0x9E37_79B9_7F4A_7C15 ^ (thread as u64 + 1));
                for op in 0..OPS_PER_THREAD {
                    let domain = DOMAINS[random.below(DOMAINS.len())];
                    match random.below(10) {
                        0 | 1 => {
                            let init = match random.below(8) {
                                0 => Init::Fails,
                                1 => Init::Panics,
                                _ => Init::Succeeds,
                            };
                            let provider = CountingProvider::new(&format!("t{thread}-{op}"), init);
                            tally
                                .providers
                                .lock()
                                .expect("providers")
                                .push(provider.clone());
                            match random.below(4) {
                                0 => api.set_provider(provider),
                                1 => {
                                    let _ = api.set_provider_and_wait(provider);
                                }
                                2 => api.set_domain_provider(domain, provider),
                                _ => {
                                    let _ = api.set_domain_provider_and_wait(domain, provider);
                                }
                            }
                        }
                        2..=4 => {
                            let client = if random.below(2) == 0 {
                                shared_client.clone()
                            } else {
                                api.domain_client(domain)
                            };
                            let details = client.get_int_details("flag", -1, None, None);
                            match details.error_code {
                                // A counting provider serves 42, the no-op default serves -1.
                                None => assert!(details.value == 42 || details.value == -1),
                                Some(ErrorCode::ProviderNotReady) => assert_eq!(details.value, -1),
                                Some(other) => panic!("unexpected error {other}: {details:?}"),
                            }
                            tally.evaluations.fetch_add(1, Ordering::SeqCst);
                        }
                        5 => {
                            api.add_hooks([Arc::new(NoopHook) as Arc<dyn Hook>]);
                            tally.api_hooks.fetch_add(1, Ordering::SeqCst);
                        }
                        6 => {
                            shared_client.add_hooks([Arc::new(NoopHook) as Arc<dyn Hook>]);
                            tally.client_hooks.fetch_add(1, Ordering::SeqCst);
                        }
                        7 => {
                            let id = tally.ready_handlers.fetch_add(1, Ordering::SeqCst);
                            let final_seen = Arc::clone(&final_seen);
                            api.add_handler(ProviderEvent::Ready, move |details| {
                                if details.provider_name == "final" {
                                    final_seen.lock().expect("final").push(id);
                                }
                            });
                        }
                        8 => {
                            let providers = tally.providers.lock().expect("providers").clone();
                            if let Some(provider) =
                                providers.get(random.below(providers.len().max(1)))
                            {
                                if let Some(emitter) = provider.emitter() {
                                    let event = if random.below(2) == 0 {
                                        ProviderEvent::ConfigurationChanged
                                    } else {
                                        ProviderEvent::Stale
                                    };
                                    // Accepted or silently dropped (detached): never an error.
                                    let _ = emitter.emit(event, ProviderEventDetails::default());
                                }
                            }
                        }
                        _ => {
                            let _ = shared_client.get_bool_value("flag", false, None, None);
                            api.client().track("event", None, None);
                        }
                    }
                }
            });
        }
    });

    // No hook lost (A7, A8).
    assert_eq!(api.hooks().len(), tally.api_hooks.load(Ordering::SeqCst));
    assert_eq!(
        shared_client.hooks().len(),
        tally.client_hooks.load(Ordering::SeqCst)
    );

    // No handler lost: every READY handler sees the final provider's READY exactly once.
    let final_provider = CountingProvider::new("final", Init::Succeeds);
    api.set_provider_and_wait(final_provider.clone())
        .expect("final");
    let seen = final_seen.lock().expect("final").clone();
    let distinct: BTreeSet<usize> = seen.iter().copied().collect();
    assert_eq!(
        seen.len(),
        distinct.len(),
        "no handler ran twice for one event"
    );
    assert_eq!(distinct.len(), tally.ready_handlers.load(Ordering::SeqCst));

    // Lifecycle: after shutdown every provider was attached and initialized exactly once
    // (each was bound once) and shut down exactly once, and none resolved after shutdown.
    api.shutdown();
    let providers = tally.providers.lock().expect("providers").clone();
    assert!(providers.len() > THREADS * OPS_PER_THREAD / 10);
    for provider in providers.iter().chain(std::iter::once(&final_provider)) {
        let name = &provider.name;
        assert_eq!(
            CountingProvider::count(&provider.attaches),
            1,
            "{name} attached once"
        );
        assert_eq!(
            CountingProvider::count(&provider.inits),
            1,
            "{name} initialized once"
        );
        assert_eq!(
            CountingProvider::count(&provider.shutdowns),
            1,
            "{name} shut down once"
        );
        assert_eq!(
            CountingProvider::count(&provider.resolved_after_shutdown),
            0,
            "{name} resolved after its shutdown"
        );
    }
    assert!(tally.evaluations.load(Ordering::SeqCst) > 0);
}
