"""End to end in a real browser: JupyterLab + headless Debian chromium run notebook 06 and click Generate.

Needs /usr/bin/chromium (apt-get install chromium) and the playwright Python package (no
`playwright install`: we drive the system chromium). Skipped, with the reason, only when chromium is absent.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_generate_widgets.ipynb"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer {url} within {timeout}s:\n{log.read_text()[-3000:]}")


def _stop_server(proc: subprocess.Popen, base: str, token: str) -> None:
    """Ask the server to shut down (it stops its kernels), then make sure the process group is gone."""
    try:
        req = urllib.request.Request(f"{base}/api/shutdown", method="POST",
                                     headers={"Authorization": f"token {token}"})
        urllib.request.urlopen(req, timeout=5).close()
        proc.wait(timeout=15)
    except Exception:
        pass
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def jupyterlab(tmp_path):
    """JupyterLab on 127.0.0.1:<free port> with a token, serving a temp copy of notebook 06."""
    root = tmp_path / "root"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(NOTEBOOK, root / "notebooks" / NOTEBOOK.name)
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "jconfig"), JUPYTER_RUNTIME_DIR=str(tmp_path / "jruntime"),
               JUPYTER_DATA_DIR=str(tmp_path / "jdata"), IPYTHONDIR=str(tmp_path / "ipython"), OMP_NUM_THREADS="1",
               MPLBACKEND="module://matplotlib_inline.backend_inline")
    log = tmp_path / "jupyterlab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0",
           f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", "--LabApp.news_url=", "--LabApp.expose_app_in_browser=True",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")                                # containers and CI often run as root
    with open(log, "w") as fh:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_server(f"{base}/api/status?token={token}", proc, log)
        yield dict(base=base, token=token, root=root, log=log)
    finally:
        _stop_server(proc, base, token)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium missing): "
                                                   "apt-get install -y chromium")
def test_notebook06_generate_in_browser(jupyterlab, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    start = time.monotonic()
    base, token = jupyterlab["base"], jupyterlab["token"]
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(tmp_path / "chromium-profile"), executable_path=str(CHROMIUM),
                                                       headless=True, args=CHROMIUM_ARGS, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        try:
            page.goto(f"{base}/lab/tree/notebooks/{NOTEBOOK.name}?token={token}", timeout=60_000)
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
            # Run > Run All Cells, through JupyterLab's command registry once the kernel is ready
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                                   " && window.jupyterapp.shell.currentWidget.sessionContext", timeout=60_000)
            page.evaluate("""async () => {
                const app = window.jupyterapp;
                await app.shell.currentWidget.sessionContext.ready;
                app.commands.execute('notebook:run-all-cells');
            }""")

            label = page.locator(".widget-dropdown", has=page.locator("label", has_text="class")).locator("select")
            label.wait_for(timeout=120_000)                       # imports + a short training run
            # the notebook itself generates "happiness, seed 3"; wait for that, then ask for another label
            status = page.locator(".widget-html-content", has_text="seed 3")
            status.first.wait_for(timeout=60_000)
            label.select_option(label="surprise")
            page.locator("button.jupyter-button", has_text="Generate").click()

            link = page.locator("a[download='surprise_seed3.gif']")
            link.wait_for(timeout=60_000)
            assert link.get_attribute("href").startswith("data:image/gif;base64,")
            # the output <img> shows GIF bytes (ipywidgets serves them as a blob: URL)
            heads = page.evaluate("""async () => {
                const out = [];
                for (const img of document.querySelectorAll('.jupyter-widgets img, img.jupyter-widgets')) {
                    if (!img.src) continue;
                    const buf = await (await fetch(img.src)).arrayBuffer();
                    out.push(String.fromCharCode(...new Uint8Array(buf).slice(0, 6)));
                }
                return out;
            }""")
            assert any(h.startswith("GIF8") for h in heads), heads
            assert page.locator(".widget-html-content", has_text="surprise, seed 3").count() >= 1
            page.locator(".jp-OutputArea-output", has=page.locator(".widget-dropdown")).last.scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / "widget.png"))  # what the student sees, for a human look
        except Exception:
            page.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
            print("screenshot:", tmp_path / "failure.png", "\nserver log tail:\n", jupyterlab["log"].read_text()[-2000:])
            raise
        finally:
            context.close()
    assert time.monotonic() - start < 180, "browser test took longer than 3 minutes"
