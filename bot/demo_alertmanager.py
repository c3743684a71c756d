"""The demo's own Alertmanager: Debian's binary on a free loopback port, so Silence works offline."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

import aiohttp

BINARIES = ("prometheus-alertmanager", "alertmanager")  # Debian's name first, then upstream's
DEBIAN_PATH = "/usr/bin/prometheus-alertmanager"  # where Debian puts it, should PATH miss /usr/bin
# The demo posts its storm to the bot directly, so this Alertmanager only keeps silences:
# one receiver that sends nothing, and no gossip (a single local instance).
CONFIG = 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n'


@dataclass
class DemoAlertmanager:
    """A running Alertmanager the demo started, and where its API answers."""

    proc: asyncio.subprocess.Process
    url: str

    async def stop(self) -> None:
        """Stop the process, killing it if it does not exit within 5 s."""
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 5)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()


def find_binary() -> str | None:
    """Return the path of an installed Alertmanager binary, or None."""
    found = next((path for path in map(shutil.which, BINARIES) if path), None)
    return found or (DEBIAN_PATH if Path(DEBIAN_PATH).exists() else None)


def alertmanager_argv(binary: str, config_file: Path, storage: Path, port: int) -> list[str]:
    """Return the command line of a single local Alertmanager: loopback only, gossip off."""
    return [binary, f"--config.file={config_file}", "--cluster.listen-address=",
            f"--storage.path={storage}", f"--web.listen-address=127.0.0.1:{port}"]


async def start_demo_alertmanager(data_dir: Path, binary: str, port: int,
                                  timeout_s: float = 20.0) -> DemoAlertmanager:
    """Start Alertmanager on 127.0.0.1:port with its state under data_dir; wait until it is ready."""
    folder = data_dir / "alertmanager"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "alertmanager.yml").write_text(CONFIG)
    url = f"http://127.0.0.1:{port}"
    with open(folder / "alertmanager.log", "wb") as log:
        proc = await asyncio.create_subprocess_exec(
            *alertmanager_argv(binary, folder / "alertmanager.yml", folder / "data", port),
            stdout=asyncio.subprocess.DEVNULL, stderr=log)
    am = DemoAlertmanager(proc, url)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1)) as http:
        while proc.returncode is None and loop.time() < deadline:
            try:
                async with http.get(f"{url}/-/ready") as resp:
                    if resp.status == 200:
                        return am
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.2)
    await am.stop()
    tail = (folder / "alertmanager.log").read_text(errors="replace").strip().splitlines()[-1:]
    raise RuntimeError(f"{binary} did not become ready in {timeout_s:.0f}s"
                       + (f": {tail[0]}" if tail else ""))
