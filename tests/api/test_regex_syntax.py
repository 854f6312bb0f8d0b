"""Regex syntax is Go's (issue 10): a table of patterns checked live
against `go tool pprof -focus` on a generated CPU profile.  Where pprof
refuses a pattern the server answers 400 bad_regex; where pprof takes it
the server's /top equals pprof's -top (relative to the kept samples, as in
test_oracle.test_filters) number for number.

One documented difference (docs/API.md): a pattern whose compiled RE2
program is over FDX_REGEX_MAX_MEM is refused although Go takes it
(OVER_BUDGET below); the test pins that down too, so that a change in
either direction is seen.
"""
import subprocess

import pytest

import catalog
import checks
import pproftool

# Patterns pprof takes or refuses; which is decided by pprof itself, live.
PATTERNS = [
    # taken: Go/RE2 syntax on real names
    r"main\.",
    r"^main\.fib$",
    r"runtime",
    r"(?i)MAIN\.FIB",
    r"main\.(even|odd)",
    r"\.fib$",
    r"^main\.[a-f]",
    r"[[:upper:]]",
    r"\bfib\b",
    r"(?U)main\..+",
    r"\Qmain.fib\E",
    r"(?P<pkg>main)\.fib",
    r"main\.f\w{2}",
    r"\x{6d}ain\.",
    r"\pL+\.\pL+$",
    r"\p{Greek}",
    r"(?s)main.fib",
    r"(?m)^main",
    r"(?:main|runtime)\.",
    r"[^\x00-\x{10FFFF}]",
    r"a{2,}",
    r"x*",
    r"^(.|.)*$\d|runtime",
    r"((m{1}){1}){1}ain",
    "(" * 499 + r"main\.fib" + ")" * 499,
    "(?:" * 1000 + r"main" + ")" * 1000,
    # refused by Go's regexp (and so by pprof)
    r"\C",
    r"main\C",
    r"(?<pkg>main)\.fib",
    r"(?<=main)\.fib",
    r"main\.(?=fib)",
    r"(main)\1",
    r"main++",
    r"(?R)",
    r"\p{Kawi}",
    r"(?P<é>main)",
    r"a{1001}",
    r"(a{100}){11}",
    "(" * 1000 + "main" + ")" * 1000,
    r"[z-a]",
    r"main(",
    r"*main",
    r"\Z",
    r"(?i",
    r"\8",
    r"a**",
    r"x{2}{3}",
]

# Go takes these; their RE2 program is over flamedex's memory budget.
OVER_BUDGET = [r"\pL{1000}", r"(?:\pL{100}){10}"]


def pprof_focus(path, idx, pattern):
    """None when pprof refuses the pattern, else its -top report."""
    p = subprocess.run(["go", "tool", "pprof", "-symbolize=none", "-top", "-sample_index=%d" % idx,
                        "-focus=" + pattern, path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=pproftool.go_env(), timeout=300)
    err = p.stderr.decode("utf-8", "replace")
    if "error parsing regexp" in err or "parsing focus regexp" in err:
        return None
    assert p.returncode == 0, err
    return True


def _ids(pats):
    return [(p if len(p) <= 24 else "%s...(%d)" % (p[:12], len(p))) for p in pats]


@pytest.fixture(scope="module")
def cpu(client, generated_profiles):
    path = generated_profiles["gen/cpu"]
    with open(path, "rb") as f:
        pid = client.upload_ok(f.read(), {"name": "regex-syntax"})["id"]
    types = catalog.decoded(path).sample_types
    return path, pid, len(types) - 1, types[-1][1]


@pytest.mark.parametrize("pattern", PATTERNS, ids=_ids(PATTERNS))
def test_syntax_as_pprof(client, cpu, pattern):
    path, pid, idx, unit = cpu
    taken = pprof_focus(path, idx, pattern)
    r = client.get("/api/v1/profiles/%s/top" % pid, {"focus": pattern, "sample_type": idx, "limit": 0})
    if taken is None:
        assert r.status == 400 and r.error_code() == "bad_regex", \
            "pprof refuses %r; server: %d %r" % (pattern, r.status, r.body[:300])
        return
    assert r.status == 200, "pprof takes %r; server: %d %r" % (pattern, r.status, r.body[:300])
    rep = pproftool.top(path, idx, unit, (("focus", pattern),), relative=True)
    checks.compare_top(r.json(), rep, "?focus=%.60s" % pattern)


def test_table_has_both_kinds(cpu):
    """The table is only a check if pprof both takes and refuses some."""
    path, _pid, idx, _unit = cpu
    verdicts = [pprof_focus(path, idx, p) is None for p in PATTERNS]
    assert 10 <= sum(verdicts) <= len(PATTERNS) - 10


@pytest.mark.parametrize("pattern", OVER_BUDGET, ids=_ids(OVER_BUDGET))
def test_over_budget_is_refused_not_no_match(client, cpu, pattern):
    path, pid, idx, _unit = cpu
    assert pprof_focus(path, idx, pattern) is not None, "pprof takes %r" % pattern
    r = client.get("/api/v1/profiles/%s/top" % pid, {"focus": pattern, "sample_type": idx})
    assert r.status == 400 and r.error_code() == "bad_regex", r.body[:300]
    assert "budget" in r.json()["error"]["message"]
