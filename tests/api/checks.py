"""Comparisons between server answers and `go tool pprof` reports.

Each check raises AssertionError with a compact description of every
difference (first few shown, with counts), so a failing test says exactly
which functions differ and by how much.
"""

import re

import pproftool

ID_RE = re.compile(r"^[A-Za-z0-9_-]{22,}$")
MAX_SHOWN = 12


def is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _fmt_diffs(title, diffs):
    lines = ["%s: %d difference(s)" % (title, len(diffs))]
    lines += ["  " + d for d in diffs[:MAX_SHOWN]]
    if len(diffs) > MAX_SHOWN:
        lines.append("  ... %d more" % (len(diffs) - MAX_SHOWN))
    return "\n".join(lines)


def server_top_rows(j):
    """{function: (flat, cum)} from a /top answer, checking its shape."""
    assert isinstance(j.get("rows"), list), "top answer without rows: %r" % (j,)
    out = {}
    dup = []
    for row in j["rows"]:
        name, flat, cum = row.get("function"), row.get("flat"), row.get("cum")
        assert isinstance(name, str), "row without function name: %r" % (row,)
        assert is_int(flat) and is_int(cum), "flat/cum must be JSON integers: %r" % (row,)
        if name in out:
            dup.append(name)
        out[name] = (flat, cum)
    assert not dup, "function names repeated in /top rows: %r" % dup[:10]
    return out


def compare_top(j, rep, what=""):
    """Compare a /top answer with a pproftool.TopReport (rows and total)."""
    srv = server_top_rows(j)
    exp, dups = pproftool.top_by_name(rep)
    # pprof drops nodes whose flat and cum are both zero (selectNodesForGraph);
    # such a row carries no information, so a server may list it or not.
    srv = {k: v for k, v in srv.items() if v != (0, 0)}
    diffs = []
    for name in sorted(set(exp) | set(srv)):
        e, s = exp.get(name), srv.get(name)
        if name in dups:
            continue  # pprof printed this name twice; compared by flat sum below
        if e is None:
            diffs.append("%r only on server: flat=%d cum=%d" % (name, s[0], s[1]))
        elif s is None:
            diffs.append("%r missing on server; pprof flat=%d cum=%d" % (name, e[0], e[1]))
        elif e != s:
            diffs.append("%r pprof flat=%d cum=%d, server flat=%d cum=%d" % (name, e[0], e[1], s[0], s[1]))
    for name in dups:
        flat = sum(f for n, f, _ in rep.rows if n == name)
        if srv.get(name, (0, 0))[0] != flat:
            diffs.append("%r (printed %d times by pprof) pprof flat=%d, server flat=%d"
                         % (name, sum(1 for n, _, _ in rep.rows if n == name), flat,
                            srv.get(name, (0, 0))[0]))
    total = j.get("total")
    assert is_int(total), "total must be a JSON integer: %r" % (total,)
    if total != rep.total:
        diffs.insert(0, "total: pprof %d, server %d (diff %+d)" % (rep.total, total, total - rep.total))
    assert not diffs, _fmt_diffs("/top%s vs go tool pprof -top" % what, diffs)


class Tree:
    """A /flamegraph answer, checked for shape and decoded into a tree."""

    def __init__(self, j, max_nodes=None):
        names, nodes = j.get("names"), j.get("nodes")
        assert isinstance(names, list) and all(isinstance(n, str) for n in names), \
            "flamegraph names must be a list of strings"
        assert isinstance(nodes, list) and nodes, "flamegraph needs at least the root node"
        for n in nodes:
            assert isinstance(n, list) and len(n) == 4 and all(is_int(x) for x in n), \
                "node must be [name_index, depth, self, total] integers: %r" % (n,)
            assert 0 <= n[0] < len(names), "name index out of range: %r" % (n,)
        self.names = names
        self.nodes = nodes
        self.total = j.get("total")
        root = nodes[0]
        assert names[root[0]] == "root" and root[1] == 0, "node 0 must be root at depth 0: %r" % (root,)
        # Pre-order: depth starts at 0 once, then each node is at most one
        # deeper than the node before it.
        self.parent = [-1] * len(nodes)
        self.children = [[] for _ in nodes]
        stack = [0]
        for i in range(1, len(nodes)):
            d = nodes[i][1]
            assert 1 <= d <= nodes[i - 1][1] + 1, \
                "node %d depth %d after depth %d: not a pre-order tree" % (i, d, nodes[i - 1][1])
            del stack[d:]
            self.parent[i] = stack[-1]
            self.children[stack[-1]].append(i)
            stack.append(i)

    def name(self, i):
        return self.names[self.nodes[i][0]]

    def signed(self):
        """Diff profiles (pprof -diff_base -proto) carry negative values."""
        return any(n[2] < 0 or n[3] < 0 for n in self.nodes)

    def check_sums(self):
        bad = []
        signed = self.signed()
        for i, n in enumerate(self.nodes):
            kids = sum(self.nodes[c][3] for c in self.children[i])
            if n[3] != n[2] + kids:
                bad.append("node %d %r: total %d != self %d + children %d"
                           % (i, self.name(i), n[3], n[2], kids))
            if n[2] < 0 and not signed:
                bad.append("node %d %r: negative self %d" % (i, self.name(i), n[2]))
            seen = set()
            for c in self.children[i]:
                nm = self.name(c)
                if nm in seen:
                    bad.append("node %d %r: two children named %r (must be merged)"
                               % (i, self.name(i), nm))
                seen.add(nm)
        assert not bad, _fmt_diffs("flamegraph structure", bad)

    def per_name(self):
        """{name: (sum of self, cum)}; cum counts each name once per path.

        A node's total counts every sample below it, so summing the totals of
        the nodes of a name that have no ancestor of the same name counts each
        sample containing that name exactly once: pprof's cum.
        """
        flat, cum = {}, {}
        on_path = {}
        # Iterative DFS keeping a count of names on the current path.
        stack = [(0, False)]
        while stack:
            i, leaving = stack.pop()
            nm = self.name(i)
            if leaving:
                on_path[nm] -= 1
                continue
            if i != 0:
                flat[nm] = flat.get(nm, 0) + self.nodes[i][2]
                if on_path.get(nm, 0) == 0:
                    cum[nm] = cum.get(nm, 0) + self.nodes[i][3]
                on_path[nm] = on_path.get(nm, 0) + 1
                stack.append((i, True))
            for c in reversed(self.children[i]):
                stack.append((c, False))
        return {nm: (flat.get(nm, 0), cum[nm]) for nm in cum}

    def paths(self):
        """[(path tuple of names, node index)] for every node but the root."""
        out = []
        path = []
        for i in range(1, len(self.nodes)):
            d = self.nodes[i][1]
            del path[d - 1:]
            path.append(self.name(i))
            out.append((tuple(path), i))
        return out


def compare_flamegraph(j, rep, what=""):
    """Check a /flamegraph answer (max_nodes=0) against pprof -top numbers."""
    t = Tree(j)
    t.check_sums()
    diffs = []
    root_total = t.nodes[0][3]
    if not is_int(t.total) or t.total != rep.total:
        diffs.append("total field: pprof %d, server %r" % (rep.total, t.total))
    # The root adds up the values; pprof's total adds up their absolute
    # values, which differs only when some are negative (diff profiles):
    # then the root must equal pprof's signed sum of flat.
    want_root = rep.flatsum if t.signed() else rep.total
    if root_total != want_root:
        diffs.append("root total: pprof %d, server %d" % (want_root, root_total))
    srv = {k: v for k, v in t.per_name().items() if v != (0, 0)}
    exp, dups = pproftool.top_by_name(rep)
    for name in sorted(set(exp) | set(srv)):
        if name in dups:
            continue
        e, s = exp.get(name), srv.get(name)
        if e is None:
            diffs.append("%r only in flamegraph: self=%d cum=%d" % (name, s[0], s[1]))
        elif s is None:
            diffs.append("%r missing from flamegraph; pprof flat=%d cum=%d" % (name, e[0], e[1]))
        elif e != s:
            diffs.append("%r pprof flat=%d cum=%d, flamegraph self-sum=%d cum=%d"
                         % (name, e[0], e[1], s[0], s[1]))
    assert not diffs, _fmt_diffs("/flamegraph%s vs go tool pprof -top" % what, diffs)
    return t


def server_tags(j):
    """{key: {value: total}} from a /tags answer, checking its shape."""
    assert isinstance(j.get("tags"), list), "tags answer without tags list: %r" % (j,)
    out = {}
    for tag in j["tags"]:
        key, values = tag.get("key"), tag.get("values")
        assert isinstance(key, str) and isinstance(values, list), "bad tag entry %r" % (tag,)
        assert key not in out, "tag key %r listed twice" % key
        out[key] = {}
        for v in values:
            val, total = v.get("value"), v.get("total")
            assert is_int(total), "tag total must be a JSON integer: %r" % (v,)
            assert isinstance(val, (str, int)) and not isinstance(val, bool), "bad tag value %r" % (v,)
            assert val not in out[key], "tag %r value %r listed twice" % (key, val)
            out[key][val] = total
    return out


def compare_tags(j, pprof_tags, numeric_units, default_strings=None):
    """Compare /tags with pprof -tags; zero totals may be listed or not.

    pprof_tags comes from an exact run (pproftool.tags).  Numeric labels
    (numeric_units: {key: unit}) are printed by pprof with ScaledLabel and
    the default -unit, e.g. "3.01kB": a server that sends such strings is
    compared with the exact values formatted that way (default_strings, the
    strings of a plain `pprof -tags` run, double-check the formatting); a
    server that sends integers is compared with the exact values.
    """
    srv = server_tags(j)
    exp, exp_int = {}, {}
    for key, vals in pprof_tags.items():
        if key in numeric_units:
            ints, strs = {}, {}
            for s, tot in vals.items():
                n = pproftool.numeric_tag_value(s)
                ints[n] = ints.get(n, 0) + tot
            for n, tot in ints.items():
                s = pproftool.scaled_label(n, numeric_units[key])
                strs[s] = strs.get(s, 0) + tot
            if default_strings is not None:
                assert set(strs) == default_strings.get(key, set()), \
                    "test bug: numeric label %r formatted %r, pprof prints %r" % (
                        key, sorted(strs)[:10], sorted(default_strings.get(key, ()))[:10])
            exp_int[key] = {v: t for v, t in ints.items() if t != 0}
            vals = strs
        exp[key] = {v: t for v, t in vals.items() if t != 0}
    got = {}
    for key, vals in srv.items():
        if key in numeric_units and vals and all(checks_int(v) for v in vals):
            exp[key] = exp_int.get(key, {})
        got[key] = {v: t for v, t in vals.items() if t != 0}
    exp = {k: v for k, v in exp.items() if v}
    got = {k: v for k, v in got.items() if v}
    diffs = []
    for key in sorted(set(exp) | set(got)):
        e, g = exp.get(key), got.get(key)
        if e is None:
            diffs.append("key %r only on server: %r" % (key, dict(list(g.items())[:5])))
            continue
        if g is None:
            diffs.append("key %r missing on server (pprof %d values)" % (key, len(e)))
            continue
        for v in sorted(set(e) | set(g), key=str):
            if e.get(v) != g.get(v):
                diffs.append("%s=%r: pprof %s, server %s" % (key, v, e.get(v), g.get(v)))
    assert not diffs, _fmt_diffs("/tags vs go tool pprof -tags", diffs)


def checks_int(v):
    return is_int(v)
