"""Percentages people read are rounded to 4 decimal places (docs/API.md);
the exact sample values beside them stay exact integers."""

import re

import pb


def test_growth_pct_is_rounded_and_values_stay_exact(client):
    base = pb.simple_profile({("main.main", "main.grow"): [3300, 3300 * 10000000],
                              ("main.main", "main.steady"): [100000, 100000 * 10000000]})
    target = pb.simple_profile({("main.main", "main.grow"): [19900, 19900 * 10000000],
                                ("main.main", "main.steady"): [100000, 100000 * 10000000]})
    b = client.upload_ok(base)["id"]
    t = client.upload_ok(target)["id"]
    r = client.get("/api/v1/diff/check", {"base": b, "target": t, "sample_type": "samples",
                                          "max_growth": 15, "min_share": 1})
    assert r.status == 422, r
    text = r.body.decode()
    # (19900 - 3300) / 3300 = 503.030303...%: printed as 503.0303, not 503.03030000000001
    assert re.search(r'"growth_pct":503\.0303[,}]', text), text[:800]
    for m in re.finditer(r'"[a-z_]*pct":(-?[0-9.eE+-]+)', text):
        assert not re.search(r"\.\d{5,}", m.group(1)), m.group(0)
    row = next(x for x in r.json()["regressions"] if x["function"] == "main.grow")
    assert row["base_cum"] == 3300 and row["target_cum"] == 19900
    assert '"base_cum":3300' in text
