#!/usr/bin/env python3
"""bench/gate/run.py: how often the CI gate (/api/v1/diff/check) fails a
build it should pass, and passes one it should fail.

Reads the profiles bench/gate/make_profiles.sh wrote (runs of
tests/progs/gateprof: same-code runs null-NN and runs with a planted +20%
in main.render, a function holding about 5%, planted-NN; each run cut into
chunks NAME.K.pb.gz), merges chunks with go tool pprof -proto into four
sizes (a tenth of a run, half a run, a whole run, two runs), uploads them all into a
fresh server and asks the gate about:

  null pairs     two same-code profiles of one size: every pair of distinct
                 profiles (pairs of chunks of one run included; beyond
                 GATE_MAX_PAIRS, 400, an evenly spread subset); a failure
                 here is a false failure
  planted pairs  a planted profile (target) against a same-code one (base)
                 of the same size; a hit is a 422 naming main.render, "first"
                 when it is the first regression listed

for each setting of a grid (max_growth, min_share, alpha; normalize=1), and
what a threshold-only gate (the old one: any function beyond both
thresholds fails) would have said. Then the run-to-run test (test=runs):
k same-code base runs (base.ids=, k in GATE_RUNS_K, default 2,3,5) from
distinct runs, none the target's, at the same place in their runs, against
a same-code target (false failures) or a planted one (hits), at most
GATE_MAX_RUNS_TESTS (300) of each per size and k. GATE_GRID=readme runs
the pair test at the README's settings only. Prints a table; writes results.json and
results.md next to the profiles. Needs python3 (standard library), go and
a server binary (FLAMEDEX_BIN, default build/server/flamedex).
"""
import glob
import itertools
import json
import math
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.environ.get("GATE_OUT", os.path.join(ROOT, "bench", "out", "gate"))
BIN = os.environ.get("FLAMEDEX_BIN", os.path.join(ROOT, "build", "server", "flamedex"))
GRID = [(g, s, a) for g in (10, 15, 20) for s in (1, 2) for a in (0.01, 0.05)]
README = (10, 2, 0.01)  # the README recipe's max_growth, min_share, alpha
if os.environ.get("GATE_GRID") == "readme":  # only the recipe's settings (quicker)
    GRID = [README]
# the run-to-run test: k same-code base runs (base.ids=), at these k
RUNS_K = [int(k) for k in os.environ.get("GATE_RUNS_K", "2,3,5").split(",") if k]
RUNS_GRID = [README, (10, 1, 0.01), (10, 2, 0.05)]
RUNS_SIZES = ["tenth", "half", "whole"]  # a base run needs its own run: no "double"
MAX_RUNS_TESTS = int(os.environ.get("GATE_MAX_RUNS_TESTS", "300"))
PLANTED_FN = "main.render"
SIZES = [("tenth", 1), ("half", 5), ("whole", 10), ("double", 20)]  # chunks a profile; double: two runs
MAX_PAIRS = int(os.environ.get("GATE_MAX_PAIRS", "400"))  # per kind and size: every k-th pair beyond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def upload(base, path):
    with open(path, "rb") as f:
        data = f.read()
    req = urllib.request.Request(base + "/api/v1/profiles?name=" + urllib.parse.quote(os.path.basename(path)),
                                 data=data, method="POST")
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())["id"]


def merge(paths, out):
    if os.path.isfile(out) and all(os.path.getmtime(out) >= os.path.getmtime(p) for p in paths):
        return out
    with open(out + ".tmp", "wb") as f:
        subprocess.run(["go", "tool", "pprof", "-proto"] + paths, stdout=f, stderr=subprocess.DEVNULL, check=True)
    os.replace(out + ".tmp", out)
    return out


def runs(kind):
    """{run number: [chunk paths in order]} of complete runs."""
    out = {}
    for p in glob.glob(os.path.join(OUT, kind + "-[0-9][0-9].[0-9]*.pb.gz")):
        m = re.match(r".*-(\d\d)\.(\d+)\.pb\.gz$", p)
        out.setdefault(int(m.group(1)), {})[int(m.group(2))] = p
    return {r: [c[k] for k in sorted(c)] for r, c in out.items() if len(c) >= 10}


def profiles(kind, merged_dir):
    """{size: [(run, path)]}: for each size of k chunks, the chunks of every
    run (the first 10, runs in order) cut into consecutive disjoint groups
    of k, an incomplete last group dropped: tenths, halves and whole runs
    (which never straddle two runs), and pairs of runs."""
    chunks = [(r, c) for r, cs in sorted(runs(kind).items()) for c in cs[:10]]
    out = {}
    for name, k in SIZES:
        out[name] = []
        for i in range(0, len(chunks) - k + 1, k):
            r, part = chunks[i][0], [c for _r, c in chunks[i:i + k]]
            path = part[0] if k == 1 else merge(part, os.path.join(merged_dir, "%s-%02d.%s%d.pb.gz" % (kind, r, name, i % 10)))
            out[name].append((r, path))
    return out


def thin(pairs):
    """At most MAX_PAIRS of pairs, evenly spread (deterministic)."""
    if len(pairs) <= MAX_PAIRS:
        return pairs
    step = len(pairs) / MAX_PAIRS
    return [pairs[int(i * step)] for i in range(MAX_PAIRS)]


def upper95(k, n):
    """Clopper-Pearson one-sided 95% upper bound of a rate k/n."""
    if n == 0:
        return float("nan")
    if k == n:
        return 1.0
    lo, hi = k / n, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        # P[X <= k | mid]
        cdf = sum(math.comb(n, i) * mid ** i * (1 - mid) ** (n - i) for i in range(k + 1))
        if cdf > 0.05:
            lo = mid
        else:
            hi = mid
    return hi


def runs_tests(nul, pla, k):
    """The run-to-run test's cases of one size: (bases, target) with k
    base profiles from k distinct same-code runs, none the target's run,
    each at the same place in its run as the target (the same tenth or
    half). Same-code targets (null) and planted ones; at most
    MAX_RUNS_TESTS of each, evenly spread."""
    def by_run(group):
        out = {}
        for r, p in group:
            out.setdefault(r, []).append(p)
        return out
    nr, pr = by_run(nul), by_run(pla)
    null_cases, planted_cases = [], []
    for tr, ps in sorted(nr.items()):
        others = [r for r in sorted(nr) if r != tr]
        for combo in itertools.combinations(others, k):
            for c, t in enumerate(ps):
                if all(c < len(nr[b]) for b in combo):
                    null_cases.append(([nr[b][c] for b in combo], t))
    for tr, ps in sorted(pr.items()):
        for combo in itertools.combinations(sorted(nr), k):
            for c, t in enumerate(ps):
                if all(c < len(nr[b]) for b in combo):
                    planted_cases.append(([nr[b][c] for b in combo], t))
    def spread(cases):
        if len(cases) <= MAX_RUNS_TESTS:
            return cases
        step = len(cases) / MAX_RUNS_TESTS
        return [cases[int(i * step)] for i in range(MAX_RUNS_TESTS)]
    return spread(null_cases), spread(planted_cases)


def run_mode(base, ids, null, planted):
    """The false failures and hits of the run-to-run test per size and k."""
    out = {}
    for name in RUNS_SIZES:
        for k in RUNS_K:
            nc, pc = runs_tests(null[name], planted[name], k)
            if not nc:
                continue
            for g, s, a in RUNS_GRID:
                q = {"normalize": 1, "max_growth": g, "min_share": s, "alpha": a, "test": "runs"}
                def ask(bases, t):
                    st, j = get(base + "/api/v1/diff/check?" + urllib.parse.urlencode(
                        dict(q, target=ids[t], **{"base.ids": ",".join(ids[b] for b in bases)})))
                    assert st in (200, 422), (st, j)
                    return st, j
                ff, fail_fns, spread_null, df_null, warn = 0, {}, [], [], 0
                samples = None
                for bases, t in nc:
                    st, j = ask(bases, t)
                    samples = samples or [j["base_count_total"] // k, j["target_count_total"]]
                    spread_null.append(j["run_spread"]["share_sd_pct"])
                    df_null.append(j["run_spread"]["prior_df"] if j["run_spread"]["prior_df"] is not None else float("inf"))
                    warn += bool(j["warnings"])
                    if st == 422:
                        ff += 1
                        for r in j["regressions"]:
                            fail_fns[r["function"]] = fail_fns.get(r["function"], 0) + 1
                hit = first = 0
                det = []
                for bases, t in pc:
                    st, j = ask(bases, t)
                    names = [r["function"] for r in j["regressions"]]
                    det.append(j["detectable"]["growth_pct"] if j["detectable"]["growth_pct"] is not None else float("inf"))
                    if st == 422 and PLANTED_FN in names:
                        hit += 1
                        first += names[0] == PLANTED_FN
                med = lambda xs: sorted(xs)[len(xs) // 2] if xs else None
                out.setdefault(name, {}).setdefault(str(k), []).append({
                    "max_growth": g, "min_share": s, "alpha": a, "samples_example": samples,
                    "null_tests": len(nc), "planted_tests": len(pc),
                    "false_failures": ff, "false_failure_rate": ff / len(nc), "false_failure_upper95": upper95(ff, len(nc)),
                    "false_failure_functions": fail_fns, "warned_null": warn,
                    "hits": hit, "hit_rate": hit / len(pc) if pc else float("nan"), "planted_first": first,
                    "spread_sd_pct_median": med(spread_null), "prior_df_median": med(df_null),
                    "detectable_pct_median": med(det),
                })
                print("runs %s k=%d %s: false %d/%d, hits %d/%d" % (name, k, (g, s, a), ff, len(nc), hit, len(pc)), flush=True)
    return out


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit("bench/gate: no server binary at %s (set FLAMEDEX_BIN)" % BIN)
    merged_dir = os.path.join(OUT, "merged")
    os.makedirs(merged_dir, exist_ok=True)
    null, planted = profiles("null", merged_dir), profiles("planted", merged_dir)
    if not null["whole"] or not planted["whole"]:
        sys.exit("bench/gate: no complete runs in %s (run bench/gate/make_profiles.sh)" % OUT)
    tmp = tempfile.mkdtemp(prefix="gatebench")
    port = free_port()
    srv = subprocess.Popen([BIN, "--listen", "127.0.0.1:%d" % port, "--db", os.path.join(tmp, "f.db"),
                            "--web", os.path.join(ROOT, "web")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        ids = {}
        for group in (null, planted):
            for size in group.values():
                for _r, p in size:
                    ids[p] = upload(base, p)
        results = {"runs": {"null": len(runs("null")), "planted": len(runs("planted"))}, "sizes": {}}
        for name, _k in SIZES:
            nul, pla = null[name], planted[name]
            null_pairs = thin(list(itertools.combinations([p for _r, p in nul], 2)))
            planted_pairs = thin([(b, t) for _rb, b in nul for _rt, t in pla])
            # the sample counts of this size
            st, j = get(base + "/api/v1/diff/check?" + urllib.parse.urlencode(
                {"base": ids[nul[0][1]], "target": ids[nul[1][1]], "normalize": 1}))
            size = {"profiles_null": len(nul), "profiles_planted": len(pla), "null_pairs": len(null_pairs),
                    "planted_pairs": len(planted_pairs), "samples_example": [j["base_count_total"], j["target_count_total"]],
                    "settings": []}
            for g, s, a in GRID:
                q = {"normalize": 1, "max_growth": g, "min_share": s, "alpha": a}
                ff = old_ff = warn = 0
                fail_fns = {}
                for b, t in null_pairs:
                    st, j = get(base + "/api/v1/diff/check?" + urllib.parse.urlencode(dict(q, base=ids[b], target=ids[t])))
                    assert st in (200, 422), (st, j)
                    if st == 422:
                        ff += 1
                        for r in j["regressions"]:
                            fail_fns[r["function"]] = fail_fns.get(r["function"], 0) + 1
                    if j["regressions"] or j["within_noise"]:
                        old_ff += 1
                    warn += bool(j["warnings"])
                hit = first = old_hit = 0
                low = low_hit = 0
                disp_null = sorted(get(base + "/api/v1/diff/check?" + urllib.parse.urlencode(dict(q, base=ids[b], target=ids[t])))[1]["dispersion"]
                                   for b, t in null_pairs[:100])
                disp = []
                for b, t in planted_pairs:
                    st, j = get(base + "/api/v1/diff/check?" + urllib.parse.urlencode(dict(q, base=ids[b], target=ids[t])))
                    assert st in (200, 422), (st, j)
                    names = [r["function"] for r in j["regressions"]]
                    disp.append(j["dispersion"])
                    caught = st == 422 and PLANTED_FN in names
                    if j["dispersion"] <= 1.2:
                        low += 1
                        low_hit += caught
                    if caught:
                        hit += 1
                        first += names[0] == PLANTED_FN
                    if PLANTED_FN in names + [r["function"] for r in j["within_noise"]]:
                        old_hit += 1
                size["settings"].append({
                    "max_growth": g, "min_share": s, "alpha": a,
                    "false_failures": ff, "false_failure_rate": ff / len(null_pairs),
                    "false_failure_upper95": upper95(ff, len(null_pairs)),
                    "false_failure_functions": fail_fns,
                    "threshold_only_false_failure_rate": old_ff / len(null_pairs),
                    "warned_pairs": warn,
                    "hits": hit, "hit_rate": hit / len(planted_pairs) if planted_pairs else float("nan"),
                    "planted_first": first,
                    "threshold_only_hit_rate": old_hit / len(planted_pairs) if planted_pairs else float("nan"),
                    "dispersion_median_null": disp_null[len(disp_null) // 2] if disp_null else None,
                    "dispersion_median_planted": sorted(disp)[len(disp) // 2] if disp else None,
                    "low_dispersion_pairs": low, "low_dispersion_hits": low_hit,
                })
            results["sizes"][name] = size
        results["runs_test"] = run_mode(base, ids, null, planted)
    finally:
        srv.terminate()
        srv.wait(timeout=30)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    lines = ["runs: %d same-code, %d planted (+20%% in %s)" % (results["runs"]["null"], results["runs"]["planted"], PLANTED_FN), "",
             "| profile size | samples (each) | null pairs | planted pairs | max_growth | min_share | alpha | false failures | rate (95% upper) | threshold-only false failures | planted hit | first | threshold-only hit | dispersion (median, null / planted) | hit when dispersion <= 1.2 |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, size in results["sizes"].items():
        for st in size["settings"]:
            lines.append("| %s | ~%d | %d | %d | %g%% | %g%% | %g | %d | %.2f%% (%.1f%%) | %.1f%% | %d/%d = %.1f%% | %d | %.1f%% | %.2f / %.2f | %d/%d |" % (
                name, sum(size["samples_example"]) / 2, size["null_pairs"], size["planted_pairs"],
                st["max_growth"], st["min_share"], st["alpha"], st["false_failures"],
                100 * st["false_failure_rate"], 100 * st["false_failure_upper95"],
                100 * st["threshold_only_false_failure_rate"],
                st["hits"], size["planted_pairs"], 100 * st["hit_rate"], st["planted_first"],
                100 * st["threshold_only_hit_rate"], st["dispersion_median_null"] or 0,
                st["dispersion_median_planted"] or 0, st["low_dispersion_hits"], st["low_dispersion_pairs"]))
    lines += ["", "The run-to-run test (base.ids= of k same-code runs, test=runs):", "",
              "| profile size | samples (each) | k base runs | max_growth | min_share | alpha | null tests | false failures | rate (95% upper) | planted tests | hits | rate | first | run spread of a share (median sd) | prior df (median) | detectable at min_share, 80% (median) |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, byk in results.get("runs_test", {}).items():
        for k, sts in byk.items():
            for st in sts:
                lines.append("| %s | ~%s | %s | %g%% | %g%% | %g | %d | %d | %.2f%% (%.1f%%) | %d | %d | %.1f%% | %d | %.2f%% | %s | %.1f%% |" % (
                    name, st["samples_example"][1] if st["samples_example"] else "?", k, st["max_growth"], st["min_share"],
                    st["alpha"], st["null_tests"], st["false_failures"], 100 * st["false_failure_rate"],
                    100 * st["false_failure_upper95"], st["planted_tests"], st["hits"], 100 * st["hit_rate"],
                    st["planted_first"], st["spread_sd_pct_median"] or 0,
                    "%.1f" % st["prior_df_median"] if st["prior_df_median"] not in (None, float("inf")) else "pooled",
                    st["detectable_pct_median"] if st["detectable_pct_median"] is not None else float("nan")))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
