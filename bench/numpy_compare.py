#!/usr/bin/env python3
"""Compare the means of bench/numpy_model.py with poolsim's, metric by metric.

usage: numpy_compare.py NUMPY.json POOLSIM.json [--max-z Z] [-v]

NUMPY.json is written by `bench/numpy_model.py --json`, POOLSIM.json by
`poolsim run --json` of the same scenario (other seeds: the two programs
draw different random numbers). For every line, county, metric and year
it forms z = (numpy mean - poolsim mean) / sqrt(se_numpy^2 + se_poolsim^2);
poolsim's JSON gives probabilities without standard errors, so theirs is
the binomial one, sqrt(p (1 - p) / (n - 1)). Quantities that do not vary
across paths (both standard errors 0) must agree to 1e-9 relative.

Prints the largest |z| of each metric and exits 1 when any |z| reaches Z
(default 5: P(|z| >= 5) = 5.7e-7 per comparison, so when the two programs
compute the same model a false alarm has a probability of about 4e-4 in
the four-county case's 660 comparisons and 9e-4 in the default scenario's
1,500),
when a deterministic value differs, or when a metric is missing.
"""
import argparse
import json
import math
import sys

LINE_METRICS = ("reserve_balance", "financing_total", "expenditure_total",
                "exhaustion_prob", "exhaustion_year_prob")
COUNTY_METRICS = ("financing", "expenditure", "balance", "county_burden",
                  "levy", "reserve_paid", "shortfall_prob")


def poolsim_series(obj, n):
    """Means and standard errors of a poolsim JSON entry: a {mean, se}
    object, or a list of probabilities (binomial standard errors)."""
    if isinstance(obj, dict):
        return obj["mean"], obj["se"]
    return obj, [math.sqrt(p * (1.0 - p) / (n - 1)) if n > 1 else 0.0 for p in obj]


def z_score(ma, sa, mb, sb):
    s = math.hypot(sa, sb)
    scale = max(1.0, abs(ma), abs(mb))
    if s <= 1e-12 * scale:          # neither varies: compare the values
        return 0.0 if abs(ma - mb) <= 1e-9 * scale else math.inf
    return (ma - mb) / s


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("numpy_json")
    ap.add_argument("poolsim_json")
    ap.add_argument("--max-z", type=float, default=5.0)
    ap.add_argument("-v", action="store_true", help="print every comparison at or above Z")
    a = ap.parse_args(argv)
    with open(a.numpy_json, encoding="utf-8") as fh:
        A = json.load(fh)
    with open(a.poolsim_json, encoding="utf-8") as fh:
        B = json.load(fh)
    n = B["paths"]
    T = len(A["years"])
    groups = {}
    problems = []

    def add(lid, cid, k, sa_obj, sb_obj):
        ma, sa = sa_obj["mean"], sa_obj["se"]
        mb, sb = poolsim_series(sb_obj, n)
        if not (len(ma) == len(mb) == T):
            problems.append(f"{lid} {cid} {k}: {len(ma)} numpy years, {len(mb)} poolsim years")
            return
        for t in range(T):
            z = z_score(ma[t], sa[t], mb[t], sb[t])
            groups.setdefault((lid, k), []).append((z, cid, A["years"][t], ma[t], sa[t], mb[t], sb[t]))

    def add_all(lid, cid, metrics, da, db):
        if db is None:
            problems.append(f"{lid} {cid}: not in {a.poolsim_json}")
            return
        for k in metrics:
            if k not in db:
                problems.append(f"{lid} {cid} {k}: not in {a.poolsim_json}")
            else:
                add(lid, cid, k, da[k], db[k])

    for lid, la in A["lines"].items():
        lb = B["lines"].get(lid)
        add_all(lid, "-", LINE_METRICS, la, lb)
        for cid, ca in la["counties"].items():
            add_all(lid, cid, COUNTY_METRICS, ca, lb and lb["counties"].get(cid))

    bad = []
    print(f"{'line':10} {'metric':21} {'n':>4} {'max|z|':>7}  worst: county year numpy poolsim")
    for (lid, k), rows in groups.items():
        w = max(rows, key=lambda r: abs(r[0]))
        print(f"{lid:10} {k:21} {len(rows):4d} {abs(w[0]):7.2f}  {w[1]} {w[2]} {w[3]:.6g} {w[5]:.6g}")
        bad += [r for r in rows if not abs(r[0]) < a.max_z]
    total = sum(len(r) for r in groups.values())
    print(f"{total} comparisons, {len(bad)} with |z| >= {a.max_z:g}, {len(problems)} missing")
    for r in bad if a.v else bad[:20]:
        print(f"  z = {r[0]:.2f}: {r[1]} {r[2]}: numpy {r[3]:.9g} +- {r[4]:.3g}, "
              f"poolsim {r[5]:.9g} +- {r[6]:.3g}")
    for p in problems:
        print("  " + p)
    return 1 if bad or problems or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
