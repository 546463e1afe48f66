#!/usr/bin/env python3
"""NumPy part of `make bench`: poolsim against bench/numpy_model.py, timed
on this machine.

Both programs run whole (process start, scenario, simulation, results)
on the two cases of docs/PERFORMANCE.md at 20,000 paths, one after the
other in turn, so that all see the same minutes of a shared machine:
poolsim `run` on 2 threads writing its HDF5 and JSON files, the NumPy
model on one thread writing its JSON file, in blocks of paths (its
default) and with all paths at once (`--block 0`, the simplest vectorised
form). Prints the median and fastest wall-clock seconds of each, their
CPU seconds and the ratios of medians.
Prints figures, asserts nothing.

usage: scripts/bench-numpy.py [RUNS] (default 7 runs of each program per case)
"""
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

CASES = (("four-county case", "bench/four-counties.yaml"),
         ("default scenario", "scenarios/zhuzhou.yaml"))


def timed(cmd):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    py = sys.executable
    # the model runs in this interpreter and imports numpy and yaml
    # (`make bench` runs Debian's /usr/bin/python3, with python3-numpy and
    # python3-yaml): name what is missing, not a traceback
    missing = [m for m in ("numpy", "yaml") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"bench-numpy.py: {py} cannot import {' and '.join(missing)}; run it with a "
              f"Python that has numpy and yaml (e.g. /usr/bin/python3 with Debian's "
              f"python3-numpy and python3-yaml)", file=sys.stderr)
        return 2
    print(f"poolsim against the NumPy model (bench/numpy_model.py), 20,000 paths, "
          f"{runs} runs each, alternating; wall median / fastest, CPU median")
    with tempfile.TemporaryDirectory() as tmp:
        for name, scenario in CASES:
            ps = ["./poolsim", "run", scenario, "-n", "20000", "-t", "2", "-q",
                  "-o", os.path.join(tmp, "r.h5"), "--json", os.path.join(tmp, "r.json")]
            nm = [py, "bench/numpy_model.py", scenario, "-n", "20000",
                  "--json", os.path.join(tmp, "n.json")]
            t = {"poolsim": [], "numpy": [], "numpy, all paths at once": []}
            for _ in range(runs):
                t["poolsim"].append(timed(ps))
                t["numpy"].append(timed(nm))
                t["numpy, all paths at once"].append(timed(nm + ["--block", "0"]))
            med = {}
            for k, v in t.items():
                w = [x[0] for x in v]
                med[k] = statistics.median(w)
                print(f"  {name:17s} {k:25s} {med[k]:6.3f} s / {min(w):6.3f} s wall, "
                      f"{statistics.median(x[1] for x in v):6.3f} s CPU")
            print(f"  {name:17s} NumPy / poolsim: {med['numpy'] / med['poolsim']:.1f}x "
                  f"(all paths at once: {med['numpy, all paths at once'] / med['poolsim']:.1f}x), medians")
    return 0


if __name__ == "__main__":
    sys.exit(main())
