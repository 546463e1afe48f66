#!/bin/sh
# The results file checked against what the model and the documentation
# say, independently of poolsim's writer and reader:
#  1. docs/RESULTS.md's schema table is `poolsim schema --markdown`;
#  2. every member that table lists is in the HDF5 file, at its documented
#     place, with the documented shape (read with h5py from the table's
#     text, not from poolsim's code);
#  3. for the deterministic scenario tests/data/engine_det.yaml the values
#     of financing, expenditure, levy and their line totals equal the
#     closed forms of MODEL.md sections 2, 3 and 5 computed here in Python
#     (so a writer/reader pair that swaps two arrays fails).
set -eu
poolsim=${POOLSIM:-./poolsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$poolsim" schema --markdown > "$tmp/schema.md"
sed -n '/<!-- schema:begin/,/<!-- schema:end/p' docs/RESULTS.md | sed '1d;$d' > "$tmp/doc.md"
if ! cmp -s "$tmp/schema.md" "$tmp/doc.md"; then
    echo "results_layout.sh: docs/RESULTS.md's schema table differs from 'poolsim schema --markdown':" >&2
    diff "$tmp/doc.md" "$tmp/schema.md" >&2 || true
    exit 1
fi

"$poolsim" run tests/data/engine_det.yaml -o "$tmp/det.h5" --json "$tmp/det.json" >/dev/null 2>&1

. "$(dirname "$0")/lib/python.sh"
py=$(h5py_python) || { echo "results_layout.sh: no python3 with h5py" >&2; exit 1; }

"$py" - "$tmp/det.h5" "$tmp/doc.md" "$tmp/det.json" <<'EOF'
import json, re, sys
import h5py
h5path, docpath, jpath = sys.argv[1:4]
f = h5py.File(h5path, "r")
fail = []
def check(cond, what):
    if not cond:
        fail.append(what)

T = len(f["years"][()])
lines = list(f["lines_index/ids"].asstr()[()])
counties = list(f["counties/ids"].asstr()[()])

# 2. every documented member at its documented place and shape
rows = [l for l in open(docpath, encoding="utf-8") if l.startswith("| `")]
check(len(rows) >= 17, "schema table has its rows")
for row in rows:
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    members, per, where = cells[0], cells[2], cells[3].strip("`").split(" ")[0]
    names = []
    for m in re.findall(r"`([^`]+)`", members):
        g = re.match(r"(.+)/\{(.+)\}$", m)
        names += [g.group(1) + "/" + x for x in g.group(2).split(",")] if g else [m]
    if "<rule>" in where:
        continue  # only with management rules
    places = []
    for l in lines:
        for c in counties:
            places.append(where.replace("<line>", l).replace("<county>", c))
    places = sorted(set(places))
    if "county_totals" in where and "county_totals" not in f:
        check(False, "county_totals group missing")
        continue
    for p in places:
        for n in names:
            path = p + "/" + n
            if path not in f:
                check(False, "missing " + path)
                continue
            shape = f[path].shape
            if n.endswith("_ci"):
                want = (T, 2) if per == "[T]" else (2,)
            else:
                want = {"[T]": (T,), "[T+1]": (T + 1,), "scalar": ()}[per]
            check(shape == want, "%s has shape %s, documented %s" % (path, shape, want))

# 3. closed forms for tests/data/engine_det.yaml (every sd 0, claims_noise none)
pop = {"a": {"resident": 1000, "worker": 200, "wage": 50000, "ci": 1.1, "ui": 1.2},
       "b": {"resident": 2000, "worker": 100, "wage": 40000, "ci": 0.9, "ui": 0.9}}
fin, exp = {}, {}
for c, p in pop.items():
    for t in range(T):
        nres = p["resident"] * 1.01 ** t           # enrol_growth 0.01
        nwork = p["worker"]                         # enrol_growth 0
        W, P = 1.04 ** t, 1.05 ** t                  # wage growth 4%, medical prices 5%
        F = nres * (300 * 1.05 ** t * 0.9 + 500 * 1.02 ** t) + nwork * 0.05 * p["wage"] * W
        lam = (0.2 * nres + 0.1 * nwork) * p["ui"] * 1.01 ** t
        E = 50 * 1.03 ** t * nres + lam * 0.7 * 6000 * p["ci"] * P
        fin[c, t], exp[c, t] = F, E
def close(x, y):
    return abs(x - y) <= 1e-9 * max(1.0, abs(y))
ln = f["lines/res"]
for c in pop:
    g = ln["counties/" + c]
    for t in range(T):
        check(close(g["financing/mean"][t], fin[c, t]), "financing %s %d" % (c, t))
        check(close(g["expenditure/mean"][t], exp[c, t]), "expenditure %s %d" % (c, t))
        check(g["financing/se"][t] == 0 and g["expenditure/se"][t] == 0, "se 0 %s %d" % (c, t))
    # year 1: the reserve starts empty, below its cap: levy 10% of F[1]
    check(close(g["levy/mean"][0], 0.10 * fin[c, 0]), "year-1 levy " + c)
    # year 2: levy basis F[1]; the reserve then holds 1.01 * 0.1 * sum F[1],
    # below 0.3 * sum F[2], so the levy is due
    check(close(g["levy/mean"][1], 0.10 * fin[c, 0]), "year-2 levy " + c)
for t in range(T):
    check(close(ln["financing_total/mean"][t], fin["a", t] + fin["b", t]), "financing_total %d" % t)
    check(close(ln["expenditure_total/mean"][t], exp["a", t] + exp["b", t]), "expenditure_total %d" % t)
    check(close(ln["reserve_ratio/mean"][t], ln["reserve_balance/mean"][t] / ln["financing_total/mean"][t]),
          "reserve_ratio = R / Ftot %d" % t)

# the JSON says the same
d = json.load(open(jpath, encoding="utf-8"))
for c in pop:
    check(d["lines"]["res"]["counties"][c]["financing"]["mean"] == list(ln["counties/" + c]["financing/mean"][()]),
          "JSON financing " + c)
if fail:
    for x in fail[:40]:
        print("results_layout.sh: FAILED:", x, file=sys.stderr)
    sys.exit(1)
print("results_layout.sh: documented layout and closed-form values: ok")
EOF
