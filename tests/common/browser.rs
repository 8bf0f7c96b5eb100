//! Headless Chromium for the report tests, driven over the DevTools protocol by the
//! `headless_chrome` crate: synchronous (no async runtime in the tests), offline by
//! default (it never downloads a browser unless its `fetch` feature is on, which it is
//! not here), and it reports the events a safety check needs — dialogs opened and
//! uncaught exceptions.
//!
//! No browser is a test failure that says how to get one, unless
//! `BRIEF_SKIP_BROWSER_TESTS=1` asks to skip (then the test prints that it skipped).
#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions, Tab};

/// The Chromium to use: `$BRIEF_CHROME`, else the first of the usual names on `PATH`.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("BRIEF_CHROME") {
        return Some(PathBuf::from(p));
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A running headless Chromium with a fresh profile.
pub struct Chromium {
    browser: Browser,
    _profile: tempfile::TempDir,
}

/// One page, with what it did that it should not have.
pub struct Page {
    /// The tab.
    pub tab: Arc<Tab>,
    /// Messages of JavaScript dialogs (`alert`, `confirm`, `prompt`) the page opened;
    /// each is dismissed at once.
    pub dialogs: Arc<Mutex<Vec<String>>>,
    /// Uncaught exceptions.
    pub exceptions: Arc<Mutex<Vec<String>>>,
}

impl Chromium {
    /// Start Chromium, or `None` when there is none and the environment says to skip.
    /// Panics with instructions when there is none otherwise.
    pub fn start(test: &str) -> Option<Chromium> {
        let Some(path) = find_chromium() else {
            if std::env::var_os("BRIEF_SKIP_BROWSER_TESTS").is_some_and(|v| v == "1") {
                eprintln!("{test}: SKIPPED: no Chromium found and BRIEF_SKIP_BROWSER_TESTS=1");
                return None;
            }
            panic!(
                "{test}: no Chromium found (looked for $BRIEF_CHROME, chromium, chromium-browser, \
                 google-chrome on PATH). Install it (`apt-get install chromium`; .ci/run does) \
                 or set BRIEF_SKIP_BROWSER_TESTS=1 to skip the browser tests"
            );
        };
        let profile = tempfile::tempdir().expect("profile folder");
        // Root, no GPU, no network: nothing in the background may phone home or wait.
        let args: Vec<&OsStr> = [
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ]
        .iter()
        .map(OsStr::new)
        .collect();
        let options = LaunchOptions {
            headless: true,
            sandbox: false,
            path: Some(path.clone()),
            user_data_dir: Some(profile.path().to_path_buf()),
            window_size: Some((1400, 1000)),
            idle_browser_timeout: Duration::from_secs(300),
            args,
            ..LaunchOptions::default()
        };
        let browser = Browser::new(options)
            .unwrap_or_else(|e| panic!("{test}: cannot start {}: {e:#}", path.display()));
        Some(Chromium {
            browser,
            _profile: profile,
        })
    }

    /// Open `file` in a new tab and wait until the page's script has run
    /// (`body[data-ready]`).
    pub fn open(&self, file: &Path) -> Page {
        let tab = self.browser.new_tab().expect("new tab");
        tab.set_default_timeout(Duration::from_secs(30));
        let dialogs = Arc::new(Mutex::new(Vec::new()));
        let exceptions = Arc::new(Mutex::new(Vec::new()));
        tab.enable_runtime().expect("runtime events");
        let weak = Arc::downgrade(&tab);
        let (d, x) = (dialogs.clone(), exceptions.clone());
        tab.add_event_listener(Arc::new(move |event: &Event| match event {
            Event::PageJavascriptDialogOpening(e) => {
                d.lock().unwrap().push(e.params.message.clone());
                if let Some(tab) = weak.upgrade() {
                    // Not from the event thread: the reply would wait for it.
                    std::thread::spawn(move || tab.get_dialog().dismiss());
                }
            }
            Event::RuntimeExceptionThrown(e) => {
                x.lock()
                    .unwrap()
                    .push(format!("{:?}", e.params.exception_details));
            }
            _ => {}
        }))
        .expect("event listener");
        let url = format!(
            "file://{}",
            file.canonicalize().expect("page file").display()
        );
        tab.navigate_to(&url)
            .and_then(|t| t.wait_until_navigated())
            .unwrap_or_else(|e| panic!("loading {url}: {e:#}"));
        tab.wait_for_element("body[data-ready='1']")
            .unwrap_or_else(|e| panic!("{url}: the page's script did not finish: {e:#}"));
        Page {
            tab,
            dialogs,
            exceptions,
        }
    }
}

impl Page {
    /// Evaluate `js` (an expression; promises are awaited) and return its value as JSON
    /// (`null` for `undefined`).
    pub fn eval(&self, js: &str) -> serde_json::Value {
        // Objects come back by reference unless serialised in the page; the array
        // makes `undefined` a value, so no string back means the expression threw.
        let wrapped = format!("(async () => JSON.stringify([await ({js})]))()");
        let r = self
            .tab
            .evaluate(&wrapped, true)
            .unwrap_or_else(|e| panic!("evaluating {js}: {e:#}"));
        match r.value {
            Some(serde_json::Value::String(json)) => {
                let mut v: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
                v.pop().unwrap_or_default()
            }
            other => panic!("evaluating {js}: no value ({other:?}): it threw"),
        }
    }

    /// Click the element matching `selector` with a real mouse event.
    pub fn click(&self, selector: &str) {
        self.tab
            .wait_for_element(selector)
            .and_then(|e| e.click().map(|_| ()))
            .unwrap_or_else(|e| panic!("clicking {selector}: {e:#}"));
    }

    /// Save a PNG of the visible page to `path`.
    pub fn screenshot(&self, path: &Path) {
        use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
        let png = self
            .tab
            .capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)
            .expect("screenshot");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Nothing the page should not have done: no dialog, no uncaught exception.
    pub fn assert_quiet(&self) {
        assert!(
            self.dialogs.lock().unwrap().is_empty(),
            "dialogs opened: {:?}",
            self.dialogs.lock().unwrap()
        );
        assert!(
            self.exceptions.lock().unwrap().is_empty(),
            "uncaught exceptions: {:?}",
            self.exceptions.lock().unwrap()
        );
    }
}
