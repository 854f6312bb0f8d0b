"""Fixtures: a real flamedex server (tests/lib/flamedex_server.py, shared
with tests/leaks), generated profiles from tests/progs, an upload cache,
and pprof reports computed in parallel ahead of the tests that compare
with them.
"""

import glob
import os
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))

import catalog  # noqa: E402
from client import Client  # noqa: E402
from flamedex_server import session_server  # noqa: E402


@pytest.fixture(scope="session")
def server():
    yield from session_server()


@pytest.fixture(scope="session")
def base_url(server):
    return server.url


@pytest.fixture(scope="session")
def client(server):
    return Client(server.url)


@pytest.fixture(scope="session")
def upload(client):
    """upload(bytes, **params) -> metadata JSON (asserts 201)."""
    def _upload(data, **params):
        return client.upload_ok(data, params or None)
    return _upload


# ------------------------------------------------------------ profiles


def go_env(tmp):
    env = dict(os.environ)
    env["GO111MODULE"] = "off"
    env.setdefault("GOCACHE", os.path.join(tempfile.gettempdir(), "flamedex-tests-gocache"))
    env.setdefault("GOPATH", os.path.join(tmp, "gopath"))
    env["GOFLAGS"] = ""
    return env


@pytest.fixture(scope="session")
def generated_profiles(tmp_path_factory):
    """{"gen/cpu": path, ...}: profiles written by the Go programs in tests/progs."""
    missing = [prog for prog, _types in catalog.GENERATED.values()
               if not glob.glob(os.path.join(catalog.PROGS_DIR, prog, "*.go"))]
    if missing:
        pytest.fail("no Go program in %s for: %s" % (catalog.PROGS_DIR, ", ".join(missing)), pytrace=False)
    out_dir = str(tmp_path_factory.mktemp("generated"))
    env = go_env(out_dir)
    paths, procs = {}, {}
    for gid, (prog, _types) in catalog.GENERATED.items():
        path = os.path.join(out_dir, prog + ".pb.gz")
        paths[gid] = path
        procs[gid] = subprocess.Popen(
            ["go", "run", "./" + prog, path], cwd=catalog.PROGS_DIR, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    failures = []
    for gid, p in procs.items():
        out, _ = p.communicate(timeout=300)
        if p.returncode != 0 or not os.path.isfile(paths[gid]):
            failures.append("%s: exit %s\n%s" % (gid, p.returncode, out.decode("utf-8", "replace")))
    if failures:
        pytest.fail("generating profiles failed:\n" + "\n".join(failures))
    return paths


@pytest.fixture(scope="session")
def profile_path(generated_profiles):
    """profile_path(id) -> file path for a corpus path or a "gen/..." id."""
    def _path(pid):
        if pid in generated_profiles:
            return generated_profiles[pid]
        return os.path.join(catalog.CORPUS, pid)
    return _path


class UploadCache:
    """Upload each profile at most once per session; remember the answer."""

    def __init__(self, client, profile_path):
        self.client = client
        self.profile_path = profile_path
        self.lock = threading.Lock()
        self.answers = {}

    def get(self, pid):
        with self.lock:
            if pid not in self.answers:
                with open(self.profile_path(pid), "rb") as f:
                    data = f.read()
                r = self.client.upload(data, {"name": pid})
                self.answers[pid] = (r, data)
            return self.answers[pid]


@pytest.fixture(scope="session")
def uploads(client, profile_path):
    return UploadCache(client, profile_path)


@pytest.fixture(scope="session")
def pprof_warm(request, profile_path):
    """Run the slow `go tool pprof` reports in parallel, once, for the
    profiles that the selected tests use."""
    import pproftool

    wanted = set()
    for item in request.session.items:
        cs = getattr(item, "callspec", None)
        if cs is not None and "pid" in cs.params:
            wanted.add(cs.params["pid"])
    jobs = []
    for pid, types in catalog.ALL_PROFILES:
        if pid not in wanted:
            continue
        path = profile_path(pid)
        prof = catalog.decoded(path)
        _keys, num_unit = catalog.numeric_label_info(prof)
        for i, (_t, unit) in enumerate(types):
            jobs.append((pproftool.top, (path, i, unit)))
            jobs.append((pproftool.tags, (path, i, unit, num_unit)))
        if types:
            jobs.append((pproftool.top, (path, None, types[prof.default_index()][1])))
    workers = max(2, min(8, (os.cpu_count() or 2) * 2))
    with ThreadPoolExecutor(workers) as ex:
        for f in [ex.submit(fn, *args) for fn, args in jobs]:
            try:
                f.result()
            except Exception:
                pass  # reported by the test that needs it
    return True
