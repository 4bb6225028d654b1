"""Reading definitions from several threads at once, each in a new process: no crash.

msgspec builds a type's decoding information the first time the type is decoded; two threads
doing that at once crashed the process (a segmentation fault: before the fix, 5 to 7 of these 8
runs crashed, every time). The server reads definitions in worker threads — the first syncs
after a restart compile their forms at once — so each type read in threads has its information
built at import, while imports are serialised. Each run is a new process, since the information
is built once per process.
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import LIBRARY, ROOT

SCRIPT = """
import json, sys, threading, tomllib
from pathlib import Path
import msgspec
import forms
from analysis import prioritise, rulebook
from survey.domain import design, publishing

toml = Path(sys.argv[1]).read_bytes()
definition = json.dumps(tomllib.loads(toml.decode()))  # not through msgspec: nothing is built yet
seed = rulebook.seed_text()
readers = [
    lambda: forms.loads(toml),
    lambda: publishing._compile("hash", definition),
    lambda: rulebook.loads(seed),
    lambda: msgspec.convert({"language": "en"}, design.Choices),
    lambda: msgspec.toml.decode(b'formula = "naccho"', type=prioritise.Settings),
]
failures = []

def read(reader, start):
    start.wait()
    try:
        reader()
    except Exception as err:  # a clean error is a failure too, but not a crash
        failures.append(repr(err))

for reader in readers:  # eight threads at once on each kind of definition
    start = threading.Barrier(8)
    threads = [threading.Thread(target=read, args=(reader, start)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
print(failures or "ok")
"""


def test_definitions_read_in_threads_at_once_never_crash() -> None:
    def run(_: int) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-X", "faulthandler", "-c", SCRIPT, str(LIBRARY / "household_visit.toml")]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(run, range(8)))
    crashed = [r for r in runs if r.returncode != 0]
    if crashed:  # the crash's stacks, without the list of extension modules
        lines = [line for line in crashed[0].stderr.splitlines() if not line.startswith("Extension")]
        raise AssertionError(f"{len(crashed)} of {len(runs)} runs crashed:\n" + "\n".join(lines[-60:]))
    assert all(r.stdout.strip() == "ok" for r in runs), [r.stdout for r in runs]
