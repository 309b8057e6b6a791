//! The benchmark cases of `evaluation.rs` and `allocations.rs`, included by both (`#[path]`):
//! each binary sets `THREADS` and whether the allocator counts.

use divan::{black_box, Bencher};
use openfeature_bench::FLAG_KEY;
use openfeature_sdk::FeatureProvider;

use super::THREADS;

/// The provider alone, through this SDK's `FeatureProvider` trait: the floor under every
/// `sdk::*` case.
#[divan::bench(threads = THREADS)]
fn raw_provider(bencher: Bencher) {
    let provider = openfeature_bench::sdk::ConstantProvider::new("constant");
    let context = openfeature_bench::sdk::context5();
    bencher.bench(|| {
        provider.resolve_bool(black_box(FLAG_KEY), black_box(false), black_box(&context))
    });
}

/// This SDK: `client.get_bool_value(key, false, context, None)`.
mod sdk {
    use super::super::THREADS;
    use divan::{black_box, Bencher};
    use openfeature_bench::sdk::{context5, get_bool_value, Setup};
    use openfeature_bench::{Hooks, FLAG_KEY};

    #[divan::bench(threads = THREADS)]
    fn no_hooks_no_context(bencher: Bencher) {
        let setup = Setup::new(Hooks::None);
        bencher.bench(|| get_bool_value(&setup.client, black_box(FLAG_KEY), black_box(None)));
    }

    #[divan::bench(threads = THREADS)]
    fn no_hooks_ctx5(bencher: Bencher) {
        let setup = Setup::new(Hooks::None);
        let context = context5();
        bencher.bench(|| {
            get_bool_value(
                &setup.client,
                black_box(FLAG_KEY),
                black_box(Some(&context)),
            )
        });
    }

    #[divan::bench(threads = THREADS)]
    fn two_hooks_ctx5(bencher: Bencher) {
        let setup = Setup::new(Hooks::Two);
        let context = context5();
        bencher.bench(|| {
            get_bool_value(
                &setup.client,
                black_box(FLAG_KEY),
                black_box(Some(&context)),
            )
        });
    }
}

/// `open-feature` 0.3: `pollster::block_on(client.get_bool_value(key, context, None))`. Its
/// client takes the context by reference and clones it inside, on every call.
mod open_feature {
    use super::super::THREADS;
    use divan::{black_box, Bencher};
    use openfeature_bench::open_feature::{context5, get_bool_value, Setup};
    use openfeature_bench::{Hooks, FLAG_KEY};

    #[divan::bench(threads = THREADS)]
    fn no_hooks_no_context(bencher: Bencher) {
        let setup = Setup::new(Hooks::None);
        bencher.bench(|| get_bool_value(&setup.client, black_box(FLAG_KEY), black_box(None)));
    }

    #[divan::bench(threads = THREADS)]
    fn no_hooks_ctx5(bencher: Bencher) {
        let setup = Setup::new(Hooks::None);
        let context = context5();
        bencher.bench(|| {
            get_bool_value(
                &setup.client,
                black_box(FLAG_KEY),
                black_box(Some(&context)),
            )
        });
    }

    #[divan::bench(threads = THREADS)]
    fn two_hooks_ctx5(bencher: Bencher) {
        let setup = Setup::new(Hooks::Two);
        let context = context5();
        bencher.bench(|| {
            get_bool_value(
                &setup.client,
                black_box(FLAG_KEY),
                black_box(Some(&context)),
            )
        });
    }
}
