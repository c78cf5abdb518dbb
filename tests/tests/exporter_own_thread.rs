//! The exporter serves from a thread of its own, never from the bot's tokio runtime: a bot
//! whose runtime is busy (here: its only thread, blocked) is still scraped, and a slow
//! render never delays one of the bot's tasks.

use botwatch_tests::http_get;

#[botwatch::counted]
async fn tick() {}

/// Catches: the server spawned on the surrounding runtime (as it was), where a scrape waits
/// for the bot's tasks and a long render holds up a worker of the bot.
#[tokio::test(flavor = "current_thread")]
async fn scrapes_are_answered_while_the_bots_only_runtime_thread_is_busy() {
    let exporter = botwatch::Exporter::new()
        .listen("127.0.0.1:0".parse().unwrap())
        .install()
        .expect("install");
    tick().await;
    // A blocking call on the runtime's only thread: nothing else runs on this runtime
    // until it returns.
    for path in ["/metrics", "/rules", "/dashboard.json"] {
        let response = http_get(exporter.local_addr(), path)
            .unwrap_or_else(|e| panic!("GET {path} while the bot's runtime is busy: {e}"));
        assert_eq!(response.status, 200, "GET {path}");
    }
    let metrics = http_get(exporter.local_addr(), "/metrics").unwrap();
    assert!(
        metrics.body.contains("function=\"tick\""),
        "{}",
        metrics.body
    );
}
