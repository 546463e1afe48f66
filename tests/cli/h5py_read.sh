#!/bin/sh
# Reads the results files left by the CUnit suites h5out and jsonout
# ($BUILD/test_results.h5 and .json, synthetic data of
# poolsim_results_fill_test, T=3 L=2 C=2) with tools other than poolsim:
# h5dump -H, Python's h5py and Python's json. Checks the layout of
# docs/RESULTS.md, UTF-8 names, shapes, units/description attributes, a
# few values computed by hand, and that the JSON agrees with the HDF5 file.
set -eu
build=${BUILD:-build}
h5=$build/test_results.h5
json=$build/test_results.json
for f in "$h5" "$json"; do
    if [ ! -f "$f" ]; then
        echo "h5py_read.sh: $f is missing (written by $build/run_tests h5out / jsonout)" >&2
        exit 1
    fi
done

h5dump -H "$h5" >/dev/null

. "$(dirname "$0")/lib/python.sh"
if ! py=$(h5py_python); then
    echo "h5py_read.sh: no python3 with h5py (Debian package python3-h5py)" >&2
    exit 1
fi

"$py" - "$h5" "$json" <<'EOF'
import json, sys
import h5py

h5path, jpath = sys.argv[1], sys.argv[2]
fail = []
def check(cond, what):
    if not cond:
        fail.append(what)

f = h5py.File(h5path, "r")
a = f.attrs
check(a["format"] == "poolsim-results/1", "format attribute")
check(int(a["complete"]) == 1, "complete attribute")
check(int(a["seed"]) == 20200518 and a["seed"].dtype.name == "uint64", "seed is uint64 20200518")
check(int(a["paths"]) == 10000, "paths")
check(a["scenario_name"] == "株洲市测试情景", "scenario_name as UTF-8 str")
for k in ("poolsim_version", "git_commit", "build_info", "scenario_path", "scenario_text",
          "resolved_parameters", "lang", "quantile_method", "start_time", "claims_noise_name"):
    check(isinstance(a[k], str), "attribute %s is a string" % k)
check(list(f["years"][()]) == [2021, 2022, 2023], "years")
check([round(x, 2) for x in f["quantile_probs"][()]] == [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99],
      "quantile_probs")

line_ids = list(f["lines_index/ids"].asstr()[()])
county_ids = list(f["counties/ids"].asstr()[()])
check(line_ids == ["employee", "resident"], "line order")
check(county_ids == ["hetang", "lusong"], "county order")
check(list(f["counties/names"].asstr()[()]) == ["荷塘区", "芦淞区"], "county names")

T = 3
emp = f["lines/employee"]
check(emp.attrs["name"] == "城镇职工基本医疗保险", "line name attribute (UTF-8)")
check(f["lines/employee/counties/hetang"].attrs["name"] == "荷塘区", "county name attribute")
p = emp["exhaustion_prob"][()]
ci = emp["exhaustion_ci"][()]
check(p.shape == (T,) and ci.shape == (T, 2), "exhaustion_prob / exhaustion_ci shapes")
# poolsim_results_fill_test: p = floor(10000 u^2 (0.3 + 0.6 * 1/2)) / 10000, u = (t+1)/4
# -> floor(312.5), floor(1250), floor(2812.5) -> 0.0312, 0.125, 0.2812
check(list(p) == [0.0312, 0.125, 0.2812], "employee exhaustion_prob values")
check(all(ci[t, 0] <= p[t] <= ci[t, 1] for t in range(T)), "lo <= p <= hi")
fc = emp["first_exhaustion_count"][()]
check(fc.shape == (T + 1,) and fc.sum() == 10000, "first_exhaustion_count sums to paths")
for g in ("reserve_balance", "reserve_ratio"):
    qs = [emp[g][q][()] for q in ("p01", "p05", "p25", "p50", "p75", "p95", "p99")]
    check(all(x.shape == (T,) for x in qs), g + " quantile shapes")
    check(all((qs[k] <= qs[k + 1]).all() for k in range(6)), g + " quantiles ascending")
c = emp["counties/hetang"]
check(c["shortfall_ci"].shape == (T, 2), "shortfall_ci shape")
check(c["county_burden_total/mean"].shape == (), "county_burden_total is scalar")
for k in ("reserve_paid", "levy", "city_uncovered", "financing", "expenditure", "balance"):
    check(c[k + "/mean"].shape == (T,) and c[k + "/se"].shape == (T,), k + " shapes")

def units(name, obj):
    if isinstance(obj, h5py.Dataset):
        check("units" in obj.attrs and "description" in obj.attrs, "units/description on " + name)
f.visititems(units)

# The JSON agrees with the HDF5 file, value for value.
with open(jpath, encoding="utf-8") as fh:
    d = json.load(fh)
check(list(d)[:5] == ["scenario", "seed", "paths", "years", "lines"], "JSON top-level keys")
check(list(d["lines"]) == line_ids, "JSON line order")
for l in line_ids:
    jl, hl = d["lines"][l], f["lines/" + l]
    check(jl["exhaustion_prob"] == list(hl["exhaustion_prob"][()]), "JSON exhaustion_prob " + l)
    check(jl["exhaustion_ci"] == [list(x) for x in hl["exhaustion_ci"][()]], "JSON exhaustion_ci " + l)
    check(jl["reserve_ratio"]["p95"] == list(hl["reserve_ratio/p95"][()]), "JSON reserve_ratio " + l)
    check(list(jl["counties"]) == county_ids, "JSON county order " + l)
    for cid in county_ids:
        jc, hc = jl["counties"][cid], hl["counties/" + cid]
        check(jc["county_burden"]["cvar95"] == list(hc["county_burden/cvar95"][()]), "JSON cvar95")
        check(jc["county_burden_total"]["p99"] == float(hc["county_burden_total/p99"][()]),
              "JSON county_burden_total")
        check(jc["balance"]["mean"] == list(hc["balance/mean"][()]), "JSON balance")

if fail:
    for x in fail:
        print("h5py_read.sh: FAILED:", x, file=sys.stderr)
    sys.exit(1)
print("h5py_read.sh: HDF5 and JSON results files read by h5py/json: ok")
EOF
