//! The crawler filter measured against lists it was NOT built from (it is built from npm
//! `crawler-user-agents` and npm `isbot`, `data/`). The test data in `tests/data/`:
//! - `matomo-bots.json`: every user agent of Matomo's device-detector test fixture
//!   `Tests/fixtures/bots.yml` (github.com/matomo-org/device-detector, LGPL-3.0,
//!   `LICENSE.device-detector`): 1 342 crawlers, monitors, feed readers, previews and tools.
//! - `matomo-browsers.json`: the user agents that the same project's fixtures `desktop.yml`,
//!   `smartphone.yml`, `smartphone-1.yml` and `tablet.yml` parse as browsers: 1 906 real
//!   browsers, modern and old.
//! - `../data/top-user-agents.json`: the 100 most common browsers (npm `top-user-agents`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use redirect::bots::{BROWSER_TOKENS, is_bot};

fn agents(path: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn at_most_one_in_a_hundred_known_bots_is_counted() {
    let bots = agents("tests/data/matomo-bots.json");
    assert!(bots.len() > 1_300);
    let counted: Vec<&String> = bots.iter().filter(|ua| !is_bot(ua)).collect();
    assert!(
        counted.len() * 100 <= bots.len(),
        "{} of {} bots counted as clicks: {counted:#?}",
        counted.len(),
        bots.len()
    );
}

#[test]
fn the_most_common_browsers_are_all_counted() {
    let browsers = agents("data/top-user-agents.json");
    let lost: Vec<&String> = browsers.iter().filter(|ua| is_bot(ua)).collect();
    assert!(lost.is_empty(), "{lost:#?}");
}

/// Old and rare browsers too: none of 1 906 is taken for a bot, not even Internet Explorer
/// with Chrome Frame, Google Earth, Sogou's mobile browser or Fluid.
#[test]
fn real_browsers_old_and_rare_are_counted() {
    let browsers = agents("tests/data/matomo-browsers.json");
    assert!(browsers.len() > 1_900);
    let lost: Vec<&String> = browsers.iter().filter(|ua| is_bot(ua)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} browsers lost: {lost:#?}",
        lost.len(),
        browsers.len()
    );
    for modern in [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "Mozilla/5.0 (Linux; Android 6.0; CUBOT MAX) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/72.0.3626.121 Mobile Safari/537.36",
    ] {
        assert!(!is_bot(modern), "{modern}");
    }
}

#[test]
fn generic_markers_catch_bots_no_list_names() {
    for ua in [
        "Mozilla/5.0 (compatible; Frobnicatorbot/0.1)",
        "Acme-Crawler/2.0",
        "Mozilla/5.0 (compatible; example-spider; +https://example.org/spider)",
        "fetcher (admin@example.org)",
        "python-requests/2.32.3",
        "Go-http-client/1.1",
        "okhttp/4.12.0",
        "axios/1.7.2",
        "curl/8.5.0",
        "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        "Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
        "WhatsApp/2.23.20.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "Feedly/1.0 (+http://www.feedly.com/fetcher.html; like FeedFetcher-Google)",
    ] {
        assert!(is_bot(ua), "{ua}");
    }
}

/// Browsers of ua-parser's test set (github.com/ua-parser/uap-core, `tests/test_ua.yaml`) that
/// the lists took for bots: Internet Explorer 8 with Chrome Frame, an LG television, Opera Mini
/// whose version contains `008/`, an Android 15 phone whose build a list named as a bot's.
const OTHER_BROWSERS: [&str; 4] = [
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.0; Trident/4.0; chromeframe; SLCC1; .NET CLR 2.0.50727; .NET CLR 3.5.30729; .NET CLR 3.0.30729)",
    "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.41 (KHTML, like Gecko) Large Screen WebAppManager Safari/537.41",
    "Opera/9.80 (MAUI Runtime; Opera Mini/4.4.39008/37.9178; U; en) Presto/2.12.423 Version/12.16",
    "Mozilla/5.0 (Linux; U; Android 15; en-gb; CPH2617 Build/AP3A.240617.008) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.72 Mobile Safari/537.36 HeyTapBrowser/45.13.6.1",
];

#[test]
fn browsers_of_another_published_set_are_counted() {
    for ua in OTHER_BROWSERS {
        assert!(!is_bot(ua), "{ua}");
    }
    // And the bot the exact pattern is for.
    assert!(is_bot("008/0.83 (http://www.advancedwebranking.com)"));
}

/// Each browser token is the exact text of a real browser, and a bot that sends one is still
/// caught by its other markers.
#[test]
fn browser_tokens_are_real_and_let_no_bot_through() {
    let mut browsers = agents("tests/data/matomo-browsers.json");
    browsers.extend(OTHER_BROWSERS.map(String::from));
    for token in BROWSER_TOKENS {
        assert!(
            browsers.iter().any(|ua| ua.to_lowercase().contains(token)),
            "{token:?} is in no browser's agent"
        );
    }
    for ua in [
        "Mozilla/4.0 (compatible; fluid/0.0; +http://www.leak.info/bot.html)",
        "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
        "python-requests/2.32.3 chromeframe/32.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; Google Earth/7.3)",
        "Mozilla/5.0 (Linux; Android 8.1.0; Capture+) HeadlessChrome/120.0.0.0",
        "curl/8.5.0 (Embedded Web Browser from: http://bsalsa.com/)",
    ] {
        assert!(is_bot(ua), "{ua}");
    }
}
