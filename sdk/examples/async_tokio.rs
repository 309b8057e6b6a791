//! The SDK in async code on tokio: the waiting calls awaited without blocking a worker, a
//! transaction context per task, and evaluations (which never wait) called directly.
//! `cargo run -p openfeature-sdk --features tokio --example async_tokio`

use openfeature_sdk::{Api, EvaluationContext, Flag, InMemoryProvider, TokioTaskPropagator};
use std::sync::Arc;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let api = Api::new();
    let flags = [(
        "greeting".to_owned(),
        Flag::new([("formal", "Good day"), ("casual", "Hi")], "formal").with_context_evaluator(
            |context| (context.targeting_key() == Some("request-2")).then(|| "casual".to_owned()),
        ),
    )];
    // Awaits the provider's initialize on tokio's blocking pool: this runtime's one thread
    // stays free for other tasks meanwhile.
    api.set_provider_and_wait_async(Arc::new(InMemoryProvider::new(flags)))
        .await
        .unwrap();

    // Each request is a task with its own transaction context.
    api.set_transaction_propagator(Arc::new(TokioTaskPropagator));
    let mut requests = Vec::new();
    for request in 1..=3 {
        let api = api.clone();
        requests.push(tokio::spawn(TokioTaskPropagator::scope(async move {
            let id = format!("request-{request}");
            api.set_transaction_context(EvaluationContext::new().with_targeting_key(&id));
            tokio::task::yield_now().await;
            // Evaluation is synchronous and never waits: call it directly from async code.
            let greeting = api
                .client()
                .get_string_value("greeting", "Hello", None, None);
            format!("{id}: {greeting}")
        })));
    }
    let mut answers = Vec::new();
    for request in requests {
        answers.push(request.await.unwrap());
    }
    for answer in &answers {
        println!("{answer}");
    }
    assert_eq!(
        answers,
        [
            "request-1: Good day",
            "request-2: Hi",
            "request-3: Good day"
        ]
    );

    // Awaits every provider's shutdown on the blocking pool.
    api.shutdown_async().await;
}
