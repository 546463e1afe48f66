#!/usr/bin/env python3
"""Write hostile variants of a sweep results file (the /sweep group that
`poolsim sweep` adds to a results file and `poolsim plot` reads).

Usage: make-hostile-sweep.py GOOD.h5 OUTDIR

GOOD.h5 is a complete results file written by `poolsim sweep`. For every
dataset of /sweep outside the per-county groups, and every dataset of the
first county group of the first line, OUTDIR receives copies with that
dataset deleted, given an extent of 2^41 elements (no data stored), made a
string (numbers only), given one more dimension, and made 3 elements
longer; for every attribute of /sweep but its prose `description`, copies with it deleted and made an array of 1000
numbers; and a few structural ones (a group replaced by a dataset, a soft
link loop). `cases.txt` lists them. Every file must make `poolsim plot
FILE` exit 3 with a message naming the file, within the read time limit,
write no chart and never crash (tests/cli/hostile_h5.sh).

Needs Debian's python3-h5py.
"""
import os
import shutil
import sys

import h5py
import numpy as np


def datasets(f):
    """Paths of the datasets to attack, in a fixed order."""
    out = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            out.append("/sweep/" + name)

    f["sweep"].visititems(visit)
    lines = sorted(f["sweep/lines"].keys())
    first = None
    if lines and "counties" in f["sweep/lines/" + lines[0]]:
        cs = sorted(f["sweep/lines/%s/counties" % lines[0]].keys())
        if cs:
            first = "/sweep/lines/%s/counties/%s/" % (lines[0], cs[0])
    return sorted(p for p in out if "/counties/" not in p or (first and p.startswith(first)))


def late(g, name, n, tid):
    """A dataset of n elements of type tid with no data written."""
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_LATE)
    space = h5py.h5s.create_simple((n,))
    h5py.h5d.create(g.id, name.encode(), tid, space, dcpl=dcpl)


def fixed_string_type(size):
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(size)
    return tid


def attacks(f):
    """(name, function(h5py.File)) for the good file f (read only here)."""
    cases = []
    for p in datasets(f):
        tag = p[len("/sweep/"):].replace("/", "-")
        parent, name = p.rsplit("/", 1)
        d = f[p]
        shape, dtype = d.shape, d.dtype

        def drop(h, parent=parent, name=name):
            del h[parent][name]

        def huge(h, parent=parent, name=name, dtype=dtype):
            del h[parent][name]
            tid = h5py.h5t.py_create(dtype if dtype.kind != "O" else np.dtype("<f8"))
            late(h[parent], name, 1 << 41, tid)

        def string(h, parent=parent, name=name, shape=shape):
            del h[parent][name]
            h[parent].create_dataset(name, data=np.full(shape, "x", dtype=object),
                                     dtype=h5py.string_dtype())

        def rank(h, parent=parent, name=name, shape=shape):
            del h[parent][name]
            h[parent].create_dataset(name, data=np.zeros(shape + (2,)))

        def longer(h, p=p, parent=parent, name=name):
            data = h[p][()]
            del h[parent][name]
            if data.dtype.kind == "O":
                h[parent].create_dataset(name, data=list(data) + ["x"] * 3,
                                         dtype=h5py.string_dtype())
            else:
                extra = np.zeros((3,) + data.shape[1:], dtype=data.dtype)
                h[parent].create_dataset(name, data=np.concatenate([data, extra]))

        for kind, fn in (("missing", drop), ("extent-2e12", huge), ("string", string),
                         ("rank-up", rank), ("longer", longer)):
            # strings replaced by strings of the same shape are still valid
            if kind == "string" and dtype.kind == "O":
                continue
            cases.append(("sweep-%s-%s" % (tag, kind), fn))
    # `description` is prose for people; the reader does not need it
    for a in sorted(k for k in f["sweep"].attrs.keys() if k != "description"):
        def drop_attr(h, a=a):
            del h["sweep"].attrs[a]

        def array_attr(h, a=a):
            g = h["sweep"]
            del g.attrs[a]
            g.attrs[a] = np.arange(1000.0)

        cases.append(("sweep-attr-%s-missing" % a, drop_attr))
        cases.append(("sweep-attr-%s-array" % a, array_attr))

    def group_as_dataset(h):
        del h["sweep"]["levers"]
        h["sweep"].create_dataset("levers", data=np.zeros(3))

    def link_loop(h):
        g = h["sweep"]["lines"]
        first = sorted(g.keys())[0]
        del g[first]
        g[first] = h5py.SoftLink("/sweep/lines/" + first)

    cases.append(("sweep-levers-dataset", group_as_dataset))
    cases.append(("sweep-line-soft-loop", link_loop))
    return cases


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    good, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with h5py.File(good, "r") as f:
        cases = attacks(f)
    names = []
    for name, fn in cases:
        p = os.path.join(out, name + ".h5")
        shutil.copyfile(good, p)
        with h5py.File(p, "r+") as h:
            fn(h)
        names.append(name)
    with open(os.path.join(out, "cases.txt"), "w") as fh:
        fh.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
