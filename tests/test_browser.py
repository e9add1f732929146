"""`formflow serve` in real Chromium (Debian's chromium and chromium-driver, driven by Selenium).

The app runs under waitress in a thread on 127.0.0.1 over the archive of tests/test_web.py;
HR, a leader and an employee each log in through the login form, open a personnel file,
download an original (compared byte for byte) and are answered 404 for a file that is not
theirs. One screenshot per role is kept in the test's tmp folder (`screenshots/`).
"""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait
from test_web import (  # noqa: F401 (fixtures)
    CHEAP,
    PASSWORD,
    USERS,
    _hold_unknown_employee,
    clock,
    filled,
    settings,
    wheeled,
)
from test_web_sso import provider, sso_app  # noqa: F401 (fixtures)

from formflow.archive import Archive
from formflow.config import Settings
from formflow.web.app import create_app

pytestmark = pytest.mark.needs("chromium", "chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1100,900",
)


@contextlib.contextmanager
def _served(app: Flask) -> Iterator[str]:
    """`app` under waitress on a free port of 127.0.0.1; its base URL."""
    from waitress.server import create_server

    running = create_server(app, host="127.0.0.1", port=0)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{running.effective_port}"
    finally:
        running.close()
        thread.join(timeout=10)


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:  # noqa: F811 (the fixture imported above)
    with _served(create_app(settings, hasher=CHEAP)) as base:
        yield base


@pytest.fixture
def sso_server(sso_app: Flask) -> Iterator[str]:  # noqa: F811
    """The app with single sign-on through the fake identity provider of test_web_sso."""
    with _served(sso_app) as base:
        yield base


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """Debian's chromium, headless, a fresh profile, downloads into tmp_path/downloads."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    service = Service(executable_path=shutil.which("chromedriver") or "chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _log_in(driver: WebDriver, base: str, login: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element(By.NAME, "login").send_keys(login)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    _follow(driver, "form.login button")


def _follow(driver: WebDriver, selector: str) -> None:
    """Click what loads a new page, and wait until it has replaced the old one (reading the
    next page's heading at once could find the old page's, gone by the time it is read)."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 20).until(lambda _: _replaced(old))


def _replaced(old: WebElement) -> bool:
    """Whether the page `old` belonged to is gone. Asked in the middle of the navigation,
    Chromium may answer "Node with given id does not belong to the document" instead of
    Selenium's stale element: the same news (seen under load)."""
    try:
        return bool(staleness_of(old)(None))
    except WebDriverException as error:
        if "does not belong to the document" in (error.msg or ""):
            return True
        raise


LOADED = "const i = document.querySelector('details.page-one img'); return i.naturalWidth > 0"


def _previews(settings: Settings, login: str) -> int:  # noqa: F811
    entries = Archive(settings.archive, settings).audit_log.entries()
    return sum(e.get("who") == login and e["action"] == "web_previewed" for e in entries)


def _downloaded(folder: Path, name: str) -> bytes:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if (folder / name).is_file() and not list(folder.glob("*.crdownload")):
            return (folder / name).read_bytes()
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded: {sorted(p.name for p in folder.iterdir())}")


@pytest.mark.parametrize(
    ("login", "own", "stranger"),
    [("hanne", "1001", "9999"), ("lise", "1001", "1002"), ("anna", "1001", "1002")],
)
def test_each_role_in_chromium(
    browser: WebDriver,
    server: str,
    settings: Settings,  # noqa: F811
    filled: tuple[Path, int],  # noqa: F811
    tmp_path: Path,
    login: str,
    own: str,
    stranger: str,
) -> None:
    driver = browser
    _log_in(driver, server, login)
    heading = driver.find_element(By.TAG_NAME, "h1").text
    if USERS[login][0] == "employee":
        assert heading.startswith(f"Personalemappe: {own}")
    else:
        assert heading == f"MUS-runden {filled[1]}"
    driver.get(f"{server}/medarbejder/{own}")
    assert "Personalemappe: 1001 Anna Ærø" in driver.find_element(By.TAG_NAME, "h1").text
    shots = tmp_path.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    driver.save_screenshot(str(shots / f"{login}.png"))
    assert not _previews(settings, login), "page 1 was fetched before it was asked for"
    driver.find_element(By.CSS_SELECTOR, "details.page-one summary").click()
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(LOADED))
    driver.save_screenshot(str(shots / f"{login}-side-1.png"))
    assert _previews(settings, login) == 1
    driver.find_element(By.CSS_SELECTOR, "a.download").click()
    (row,) = Archive(settings.archive, settings).forms(employee=own, latest_only=False)
    name = f"aftaleskema-{filled[1]}-v1.pdf"
    assert (
        _downloaded(tmp_path / "downloads", name) == (settings.archive / row.original).read_bytes()
    )
    driver.get(f"{server}/medarbejder/{stranger}")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Siden findes ikke"
    driver.get(f"{server}/medarbejder/{stranger}/maal")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Siden findes ikke"
    driver.get(f"{server}/koer")
    queues = driver.find_element(By.TAG_NAME, "h1").text
    if login == "hanne":
        assert queues == "Afviste skemaer og skemaer til afklaring"
        assert "aftaleskema-carla.pdf" in driver.page_source
        driver.save_screenshot(str(shots / "hanne-koer.png"))
    else:
        assert queues == "Siden findes ikke"
    driver.get(f"{server}/medarbejder/{own}")
    _follow(driver, "a.goals")
    assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Mål og aftaler gennem årene")
    assert "Tage certificering i projektledelse" in driver.page_source
    driver.save_screenshot(str(shots / f"{login}-maal.png"))
    viewed = [
        e.get("employee")
        for e in Archive(settings.archive, settings).audit_log.entries()
        if e.get("who") == login and e.get("action") in ("web_viewed", "web_downloaded")
    ]
    landed = USERS[login][0] == "employee"  # sent to their own file when logging in
    assert viewed == [own] * (5 if landed else 4), "a view or the download is not audited"


def test_hr_resolves_a_held_form_in_chromium(
    browser: WebDriver,
    server: str,
    settings: Settings,  # noqa: F811
    filled: tuple[Path, int],  # noqa: F811
    tmp_path: Path,
) -> None:
    """HR assigns the held form to Eva Holm (1005), and it is in her personnel file."""
    data = _hold_unknown_employee(settings, filled[1])
    driver = browser
    _log_in(driver, server, "hanne")
    driver.get(f"{server}/koer")
    assert "aftale-aase.pdf" in driver.page_source
    driver.find_element(By.CSS_SELECTOR, "form.resolve input[name=nummer]").send_keys("1005")
    shots = tmp_path.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    driver.save_screenshot(str(shots / "hanne-afklar.png"))
    _follow(driver, "form.resolve button")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Skemaet er arkiveret"
    _follow(driver, "a.next")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Personalemappe: 1005 Eva Holm"
    assert "Udviklings- og aftaleskema, version 1" in driver.page_source
    driver.save_screenshot(str(shots / "hanne-afklaret.png"))
    (row,) = Archive(settings.archive, settings).forms(employee="1005", latest_only=False)
    assert (settings.archive / row.original).read_bytes() == data


def test_single_sign_on_in_chromium(
    browser: WebDriver,
    sso_server: str,
    settings: Settings,  # noqa: F811
    filled: tuple[Path, int],  # noqa: F811
    tmp_path: Path,
) -> None:
    """ "Log ind med organisationens konto": off to the identity provider and back, logged in
    as the formflow user its ID token names (Lise, a leader), with a leader's rights."""
    driver = browser
    driver.get(f"{sso_server}/login")
    _follow(driver, "a.sso")
    WebDriverWait(driver, 20).until(lambda d: d.current_url == f"{sso_server}/")
    assert driver.find_element(By.TAG_NAME, "h1").text == f"MUS-runden {filled[1]}"
    assert driver.find_element(By.CSS_SELECTOR, "header .who").text == "lise (leder)"
    assert "Anna Ærø" in driver.page_source and "Bent Bødker" not in driver.page_source
    shots = tmp_path.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    driver.save_screenshot(str(shots / "lise-sso.png"))
    driver.get(f"{sso_server}/medarbejder/1002")  # Ole's employee
    assert driver.find_element(By.TAG_NAME, "h1").text == "Siden findes ikke"
    logins = Archive(settings.archive, settings).audit_log.entries()
    assert [(e["who"], e["method"]) for e in logins if e["action"] == "web_login"] == [
        ("lise", "sso")
    ]


PHONE_PAGES = {
    "hanne": ("/", "/medarbejder/1001", "/medarbejder/1001/maal", "/koer"),
    "anna": ("/medarbejder/1001", "/medarbejder/1001/maal"),  # with who has looked
}
OPEN_ALL = (  # every part opened, and its images loaded now (lazy ones wait to be scrolled to)
    "document.querySelectorAll('details').forEach(d => { d.open = true; });"
    "document.querySelectorAll('img').forEach(i => { i.loading = 'eager'; });"
)
IMAGES_DONE = "return [...document.images].every(i => i.complete)"
WIDER = "return document.documentElement.scrollWidth > window.innerWidth"


def test_every_page_fits_a_phone(
    browser: WebDriver,
    wheeled: Flask,  # noqa: F811 (the archive with Anna's competence wheel)
    settings: Settings,  # noqa: F811
    filled: tuple[Path, int],  # noqa: F811
    tmp_path: Path,
) -> None:
    """At 375 px nothing is wider than the screen: wide tables become a block per row, a
    notice's long line scrolls in its own box; every part opened (page 1, the wheel)."""
    _hold_unknown_employee(settings, filled[1])
    driver = browser
    driver.set_window_size(375, 900)
    shots = tmp_path.parent / "screenshots"
    shots.mkdir(exist_ok=True)
    with _served(wheeled) as base:
        for login, urls in PHONE_PAGES.items():
            driver.delete_all_cookies()
            _log_in(driver, base, login)
            for url in urls:
                driver.get(f"{base}{url}")
                driver.execute_script(OPEN_ALL)
                WebDriverWait(driver, 30).until(lambda d: d.execute_script(IMAGES_DONE))
                name = f"{login}{url.replace('/', '-')}-375.png"
                driver.save_screenshot(str(shots / name))
                assert not driver.execute_script(WIDER), f"{url} is wider than a phone"
