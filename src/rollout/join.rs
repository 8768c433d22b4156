//! Waiting for a few futures at once.
//!
//! `futures_util::future::join_all` compiles two paths for every future type it is used with
//! (a plain list below 31 futures, `FuturesOrdered` above); the engine joins a handful of
//! futures of three types, so this one plain path is all it needs, and weighs less in the wasm.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Runs every future to completion, concurrently on one task, and returns their outputs in
/// the order the futures were given. Each wake polls the futures not yet done, in that order.
pub(in crate::rollout) async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut pending: Vec<(usize, Pin<Box<F>>)> = futures.into_iter().map(Box::pin).enumerate().collect();
    let mut outputs: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, future)| match future.as_mut().poll(cx) {
            Poll::Ready(output) => {
                outputs[*i] = Some(output);
                false
            }
            Poll::Pending => true,
        });
        if pending.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::join_all;
    use std::cell::RefCell;
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// Ready after being polled `polls` times, logging each poll.
    struct After<'a> {
        name: &'static str,
        polls: u32,
        log: &'a RefCell<Vec<&'static str>>,
    }

    impl Future for After<'_> {
        type Output = &'static str;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            self.log.borrow_mut().push(self.name);
            if self.polls <= 1 {
                return Poll::Ready(self.name);
            }
            self.polls -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn outputs_come_in_the_order_given_and_finished_futures_are_not_polled_again() {
        let log = RefCell::new(Vec::new());
        let futures = [("a", 3), ("b", 1), ("c", 2)].map(|(name, polls)| After { name, polls, log: &log });
        let outputs = futures_executor::block_on(join_all(futures));
        assert_eq!(outputs, ["a", "b", "c"]);
        assert_eq!(*log.borrow(), ["a", "b", "c", "a", "c", "a"]);
        assert!(futures_executor::block_on(join_all(Vec::<After>::new())).is_empty());
    }
}
