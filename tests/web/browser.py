"""
The browser tests' harness: a headless Chromium driven by Selenium against
the console of an L{ApiMixin} central system (L{BrowserMixin}), with waits,
clicks and form filling that survive the console re-rendering its tables,
and screenshots kept after the run.

Needs Debian's C{chromium} and C{chromium-driver} (C{.ci/run} installs them)
and the C{selenium} package (the C{test} extra). Without them the tests are
skipped, except under CI (C{CI=true}), where they fail.

Screenshots go to the folder C{OPENOCPP_SCREENSHOTS} names, or to the
test's temporary folder: C{<test id>-<name>.png} for each L{screenshot}
asked, C{<test id>.png} of the page at the end of each test, and
C{<test id>.failed.png} when a wait fails or the test fails.
"""

import os
import shutil
import tempfile

from twisted.internet.defer import inlineCallbacks, maybeDeferred
from twisted.internet.threads import deferToThread
from twisted.trial.unittest import SkipTest

#: Seconds a page element may take to appear.
WAIT = 10


def browser_paths():
    """
    The Chromium and chromedriver executables, or the reason they cannot be
    used.

    @return: C{((browser, driver), None)} or C{(None, reason)}.
    """
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None, "selenium is not installed (pip install '.[test]')"
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or (
        "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None
    )
    if browser is None or driver is None:
        return None, "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
    return (browser, driver), None


def start_browser(browser: str, driver: str, profile: str):
    """
    A headless Chromium under Selenium, with the paths given, so that
    Selenium Manager never looks for (or downloads) a driver or a browser.
    Blocking: call it in a thread.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for argument in [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--disable-extensions", "--window-size=1400,2200",
        f"--user-data-dir={profile}",
    ]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


def screenshot_folder(test) -> str:
    """
    The folder the screenshots of C{test} go to (made if missing).
    """
    folder = os.environ.get("OPENOCPP_SCREENSHOTS") or os.path.dirname(os.path.abspath(test.mktemp()))
    os.makedirs(folder, exist_ok=True)
    return folder


class BrowserMixin:
    """
    A trial test case's browser against the console of its L{ApiMixin}
    central system: C{setUp} starts the central system (C{self.start()});
    L{open_browser} starts Chromium. Mix in before C{ApiMixin}.
    """

    timeout = 60

    #: The browser (a Selenium C{WebDriver}) once L{open_browser} fired.
    driver = None

    @inlineCallbacks
    def setUp(self):
        paths, reason = browser_paths()
        if paths is None:
            if os.environ.get("CI"):
                self.fail(f"the browser test cannot run under CI: {reason}")
            raise SkipTest(reason)
        self.browser_path, self.driver_path = paths
        folder = screenshot_folder(self)
        self.screenshot_base = os.path.join(folder, self.id().replace("/", "_"))
        self._screenshot_on_failure()
        yield self.start()

    def _screenshot_on_failure(self):
        # Trial looks the test method up on the instance: wrapped there, a
        # failure of the test takes a screenshot before it is reported.
        method = getattr(self, self._testMethodName)

        def run():
            def failed(failure):
                if self.driver is None:
                    return failure
                shot = self.in_thread(self.driver.save_screenshot, self.screenshot_base + ".failed.png")
                shot.addBoth(lambda _: failure)
                return shot

            return maybeDeferred(method).addErrback(failed)

        run.__doc__ = method.__doc__
        setattr(self, self._testMethodName, run)

    def in_thread(self, function, *args, **kwargs):
        """
        Run the blocking C{function} (a Selenium call) in a thread; a
        Deferred of its result.
        """
        return deferToThread(function, *args, **kwargs)

    @inlineCallbacks
    def open_browser(self, path: str = "/"):
        """
        Start the browser (quit and its profile removed at the test's end,
        after a screenshot of the page it shows) and load C{path} of the
        console.
        """
        profile = tempfile.mkdtemp(prefix="openocpp-chromium-")
        self.addCleanup(shutil.rmtree, profile, True)
        self.driver = yield self.in_thread(start_browser, self.browser_path, self.driver_path, profile)
        self.addCleanup(self.in_thread, self.driver.quit)
        self.addCleanup(self.screenshot)
        yield self.in_thread(self.driver.get, self.base + path)
        return self.driver

    def screenshot(self, name: str | None = None):
        """
        Save the page as C{<test id>-<name>.png} (C{<test id>.png} without a
        name); a Deferred of the file's path.
        """
        path = self.screenshot_base + (f"-{name}" if name else "") + ".png"
        return self.in_thread(self.driver.save_screenshot, path).addCallback(lambda _: path)

    def _waiting(self, condition, what: str):
        from selenium.webdriver.support.ui import WebDriverWait

        def wait():
            try:
                return WebDriverWait(self.driver, WAIT, poll_frequency=0.05).until(condition)
            except Exception:
                self.driver.save_screenshot(self.screenshot_base + ".failed.png")
                raise AssertionError(what)

        return self.in_thread(wait)

    def wait_for(self, css: str, text: str | None = None):
        """
        Fire with the first element matching C{css} (whose text contains
        C{text} when given) once there is one.
        """
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        def find(driver):
            # The page re-renders its tables on every live event: an element
            # found may be replaced before its text is read; look again.
            try:
                for found in driver.find_elements(By.CSS_SELECTOR, css):
                    if text is None or text in found.text:
                        return found
            except StaleElementReferenceException:
                pass
            return False

        return self._waiting(find, f"no {css!r}{'' if text is None else ' with ' + repr(text)} on the page")

    def wait_gone(self, css: str):
        """
        Fire once no element matches C{css}.
        """
        from selenium.webdriver.common.by import By

        return self._waiting(lambda driver: not driver.find_elements(By.CSS_SELECTOR, css), f"{css!r} still on the page")

    def click(self, css: str):
        """
        Click the first element matching C{css} once there is one, finding
        it again if the page re-rendered it between the finding and the
        click (a table row replaced by a live event).
        """
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.common.by import By

        def found_and_clicked(driver):
            try:
                for element in driver.find_elements(By.CSS_SELECTOR, css):
                    element.click()
                    return True
            except StaleElementReferenceException:
                pass
            return False

        return self._waiting(found_and_clicked, f"no {css!r} to click on the page")

    @inlineCallbacks
    def fill(self, css: str, text: str):
        """
        Replace the text of the field matching C{css} with C{text}.
        """
        field = yield self.wait_for(css)

        def do():
            field.clear()
            field.send_keys(text)

        yield self.in_thread(do)

    @inlineCallbacks
    def choose(self, css: str, text: str):
        """
        Choose the option whose visible text is C{text} in the select
        matching C{css}.
        """
        from selenium.webdriver.support.ui import Select

        field = yield self.wait_for(css)
        yield self.in_thread(lambda: Select(field).select_by_visible_text(text))

    def set_value(self, css: str, value: str):
        """
        Set the value of the field matching C{css} by script (a
        datetime-local field's typing depends on the browser's locale).
        """
        return self.in_thread(
            self.driver.execute_script,
            "const field = document.querySelector(arguments[0]); field.value = arguments[1];"
            " field.dispatchEvent(new Event('input', {bubbles: true}));",
            css, value,
        )

    def run_script(self, script: str, *args):
        """
        Run C{script} in the page; a Deferred of what it returns.
        """
        return self.in_thread(self.driver.execute_script, script, *args)

    def go(self, hash_: str):
        """
        Show the console's view C{hash_} (C{"#/chargepoints/CP1"}) as a
        link would, without reloading the page.
        """
        return self.run_script("window.openocppConsole.go(arguments[0]);", hash_)

    @inlineCallbacks
    def severe_logs(self, ignore: str | None = None):
        """
        The browser's SEVERE log entries (but those whose message contains
        C{ignore}).
        """
        logs = yield self.in_thread(self.driver.get_log, "browser")
        return [
            entry for entry in logs
            if entry["level"] == "SEVERE" and (ignore is None or ignore not in entry["message"])
        ]
