"""In a real browser: an analyst materializes a report through the Dagster UI's own forms.

Playwright drives the system Chromium (apt package `chromium`, installed by the README's test
command; Playwright's own browser download is never used) against `dagster dev` (webserver and
daemon, as scripts/ui.sh starts them) on the test's own Dagster home. On failure the page's
screenshot and HTML, and the server's log, are kept under `test-artifacts/` (NP_TEST_ARTIFACTS
moves it); the path is printed.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import dagster as dg
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from scripts.dagster_dev import ROOT, DagsterDev, dagster_dev, make_dagster_home

pytestmark = pytest.mark.timeout(900)

ARTIFACTS = Path(os.environ.get("NP_TEST_ARTIFACTS", ROOT / "test-artifacts"))
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
MATERIALIZE = re.compile(r"\bMaterialize…?$")  # the accessible name starts with its icon's label
WAIT_MS = 120_000  # generous: a 2-core CI box builds pages slowly while a run worker starts


def _chromium() -> str:
    found = next((path for path in CHROMIUM if os.access(path, os.X_OK)), None)
    assert found, "no system Chromium: run `scripts/setup.sh base test` (installs the apt package `chromium`)"
    return found


@pytest.fixture(scope="module")
def ui(demo_template, tmp_path_factory) -> Iterator[DagsterDev]:
    """One `dagster dev` for this module: its own copy of the demo and its own Dagster home."""
    scratch = tmp_path_factory.mktemp("ui_browser")
    np_home, dagster_home = scratch / "np_home", scratch / "dagster_home"
    shutil.copytree(demo_template, np_home)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(dagster_home))  # the instance file's `env: DAGSTER_HOME`
        make_dagster_home(dagster_home, ["101", "202"])
        with dagster_dev(np_home, dagster_home) as dev:
            dev.graphql("mutation { setNuxSeen }")  # else a first-visit newsletter dialog covers the page
            yield dev


@pytest.fixture
def page(ui) -> Iterator[Page]:
    with sync_playwright() as p:
        # --no-sandbox: Chromium refuses to start its sandbox as root (CI containers).
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(WAIT_MS)
            expect.set_options(timeout=WAIT_MS)
            yield page
        finally:
            browser.close()


@contextmanager
def kept_on_failure(page: Page, ui: DagsterDev, name: str) -> Iterator[None]:
    """On failure keep what the browser showed (screenshot, HTML) and the server's log."""
    try:
        yield
    except BaseException:
        folder = ARTIFACTS / name
        folder.mkdir(parents=True, exist_ok=True)
        with suppress(Exception):
            page.screenshot(path=folder / "page.png", full_page=True)
        with suppress(Exception):
            (folder / "page.html").write_text(page.content(), encoding="utf-8")
        with suppress(Exception):
            shutil.copy(ui.log, folder / "dagster-dev.log")
        print(f"\nbrowser test artifacts (screenshot, page HTML, server log): {folder}")
        raise


def _open_asset(page: Page, ui: DagsterDev, asset: str):
    page.goto(f"{ui.url}/assets/{asset}")
    materialize = page.get_by_role("button", name=MATERIALIZE).first
    expect(materialize).to_be_enabled()  # disabled until the asset's definition has loaded
    return materialize


def test_an_analyst_materializes_a_report_for_one_case_through_the_form(ui, page):
    with kept_on_failure(page, ui, "materialize_one_case"):
        _open_asset(page, ui, "page_count_report").click()
        dialog = page.get_by_role("dialog").filter(has_text="Launch runs to materialize page_count_report")
        expect(dialog).to_be_visible()
        dialog.locator('[aria-haspopup="dialog"]').click()  # the partition picker
        page.get_by_role("menuitem").filter(has_text="101").first.click()
        dialog.get_by_text("Launch runs to materialize").click()  # closes the picker
        expect(dialog.get_by_text("1 partition", exact=True)).to_be_visible()
        dialog.get_by_role("button", name="Launch 1 run").click()

        toast = page.get_by_text(re.compile(r"Launched run [0-9a-f]{8}"))
        expect(toast).to_be_visible()
        short_id = toast.inner_text().split()[-1]
        page.goto(f"{ui.url}/runs")
        page.get_by_role("link", name=short_id).first.click()  # the runs list names runs by id prefix
        expect(page).to_have_url(re.compile(rf"/runs/{short_id}"))
        expect(page.get_by_text("partition: 101").first).to_be_visible()
        expect(page.get_by_text("Success", exact=True).first).to_be_visible(timeout=240_000)

        instance = dg.DagsterInstance.get()
        run = instance.get_run_by_id(page.url.rsplit("/", 1)[-1].split("?")[0])
        assert run.status == dg.DagsterRunStatus.SUCCESS and run.tags["dagster/partition"] == "101"
        [materialization] = instance.fetch_materializations(dg.AssetKey("page_count_report"), limit=5).records
        metadata = materialization.asset_materialization.metadata
        assert materialization.run_id == run.run_id and materialization.partition_key == "101"

        # The asset page's latest materialization shows what the run recorded.
        _open_asset(page, ui, "page_count_report")
        table = page.get_by_role("table").filter(has_text="object_key")
        expect(table.get_by_role("row").filter(has_text="row_count")).to_contain_text(
            str(metadata["row_count"].value)
        )
        object_key = metadata["object_key"].value
        assert object_key.startswith("case_101/reports/page_count/")
        expect(table.get_by_role("row").filter(has_text="object_key")).to_contain_text(object_key[:40])


def test_the_launchpad_refuses_a_format_that_is_not_offered(ui, page):
    with kept_on_failure(page, ui, "launchpad_refuses_bad_format"):
        materialize = _open_asset(page, ui, "page_count_report")
        materialize.locator("xpath=../following-sibling::*[1]").get_by_role("button").click()  # its menu
        page.get_by_role("menuitem", name="Open launchpad").click()
        launchpad = page.get_by_role("dialog").filter(has_text="Launchpad")
        expect(launchpad).to_be_visible()
        # The partition box is filled only once the scaffolded config has loaded (else it is reset).
        expect(launchpad.get_by_text("No errors")).to_be_visible()
        expect(launchpad.locator(".CodeMirror").first).to_contain_text("page_count_report")
        launchpad.get_by_placeholder("Partition").fill("101")
        page.get_by_role("menuitem", name="101", exact=True).click()
        expect(launchpad.get_by_text("partition: 101")).to_be_visible()
        launch = launchpad.get_by_role("button", name=MATERIALIZE)

        def type_config(yaml: str) -> None:
            launchpad.locator(".CodeMirror").first.click()
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.insert_text(yaml)  # as pasted: no auto-indent of typed newlines

        # A format the form offers: no error, the launch button is live (so the refusal below is real).
        type_config("ops:\n  page_count_report:\n    config:\n      format: xlsx\n")
        expect(launchpad.get_by_text("No errors")).to_be_visible()
        expect(launch).to_be_enabled()

        type_config("ops:\n  page_count_report:\n    config:\n      format: pdf\n")
        error = launchpad.get_by_text(re.compile(r"format.*pdf|pdf.*format"))
        expect(error.first).to_be_visible()
        expect(launch).to_be_disabled()
