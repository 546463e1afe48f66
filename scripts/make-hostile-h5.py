#!/usr/bin/env python3
"""Write hostile HDF5 results files for the reader's regression tests.

Usage: make-hostile-h5.py GOOD.h5 OUTDIR [FLIPS]
       make-hostile-h5.py --sweep SWEEP.h5 OUTDIR

GOOD.h5 is a complete poolsim results file (any size); OUTDIR receives one
file per attack, named for it, and a list `cases.txt` (one name a line).
FLIPS (default 24) copies with random bytes flipped are added, from fixed
seeds, so every run writes the same files. Every file must make
`poolsim summary FILE` exit 3 with a message naming the file, within the
read time limit, and never crash (tests/cli/hostile_h5.sh).

With --sweep, SWEEP.h5 is a complete file written by `poolsim sweep`, and
the attacks are on the /sweep group that `poolsim plot` draws: for every
dataset of /sweep outside the per-county groups, and every dataset of the
first county group of the first line, a copy with that dataset deleted,
given an extent of 2^41 elements (no data stored), made a string (numbers
only), given one more dimension, and made 3 elements longer; for every
attribute of /sweep but its prose `description`, copies with it deleted and
made an array of 1000 numbers; a group replaced by a dataset, a soft link
loop. Every file must make `poolsim plot FILE` exit 3 with a message naming
the file and write no chart.

Needs Debian's python3-h5py (scripts/install-deps.sh --test).
"""
import os
import random
import shutil
import struct
import sys

import h5py
import numpy as np


def first_line(f):
    return f["lines_index/ids"].asstr()[0]


def first_county(f):
    return f["counties/ids"].asstr()[0]


def replace(f, path, make):
    """Delete `path` and create a new object there with make(parent, name)."""
    parent, name = path.rsplit("/", 1)
    g = f[parent] if parent else f["/"]
    del g[name]
    make(g, name)


def fixed_string_dataset(g, name, n, size):
    """A 1-D dataset of n fixed-length strings of `size` bytes, no data
    written (the file stays small; reading it back needs n * size bytes)."""
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(size)
    space = h5py.h5s.create_simple((n,))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_LATE)
    h5py.h5d.create(g.id, name.encode(), tid, space, dcpl=dcpl)


def huge_extent(g, name, n, dtype):
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_LATE)
    space = h5py.h5s.create_simple((n,))
    h5py.h5d.create(g.id, name.encode(), h5py.h5t.py_create(np.dtype(dtype)), space, dcpl=dcpl)


def attacks(good, out):
    """(name, function(h5py.File, folder)) applied to a copy of good."""
    cases = []

    def case(name):
        def reg(fn):
            cases.append((name, fn))
            return fn

        return reg

    @case("string-fixed-1g")
    def _(f, d):
        # county names as 1 GiB fixed-length strings: 74 KB on disk
        n = f["counties/ids"].shape[0]
        replace(f, "/counties/names", lambda g, k: fixed_string_dataset(g, k, n, 1 << 30))

    @case("string-fixed-ids-64m")
    def _(f, d):
        n = f["lines_index/ids"].shape[0]
        replace(f, "/lines_index/ids", lambda g, k: fixed_string_dataset(g, k, n, 1 << 26))

    @case("years-extent-2e12")
    def _(f, d):
        replace(f, "/years", lambda g, k: huge_extent(g, k, 1 << 41, "<i4"))

    @case("ids-extent-2e12")
    def _(f, d):
        replace(f, "/counties/ids", lambda g, k: huge_extent(g, k, 1 << 41, "<i4"))

    @case("data-extent-2e12")
    def _(f, d):
        p = "/lines/%s/cap_ratio" % first_line(f)
        replace(f, p, lambda g, k: huge_extent(g, k, 1 << 41, "<f8"))

    @case("names-extent-mismatch")
    def _(f, d):
        n = f["counties/ids"].shape[0]
        replace(f, "/counties/names",
                lambda g, k: g.create_dataset(k, data=["x"] * (n + 3), dtype=h5py.string_dtype()))

    @case("data-extent-mismatch")
    def _(f, d):
        p = "/lines/%s/exhaustion_prob" % first_line(f)
        T = f["years"].shape[0]
        replace(f, p, lambda g, k: g.create_dataset(k, data=np.zeros(T + 7)))

    @case("data-rank-2")
    def _(f, d):
        p = "/lines/%s/counties/%s/levy/mean" % (first_line(f), first_county(f))
        T = f["years"].shape[0]
        replace(f, p, lambda g, k: g.create_dataset(k, data=np.zeros((T, 2))))

    @case("years-float")
    def _(f, d):
        y = f["years"][()]
        replace(f, "/years", lambda g, k: g.create_dataset(k, data=y.astype("f8")))

    @case("data-string")
    def _(f, d):
        p = "/lines/%s/exhaustion_prob" % first_line(f)
        T = f["years"].shape[0]
        replace(f, p, lambda g, k: g.create_dataset(k, data=["0.5"] * T,
                                                    dtype=h5py.string_dtype()))

    @case("data-compound")
    def _(f, d):
        p = "/lines/%s/cap_ratio" % first_line(f)
        T = f["years"].shape[0]
        dt = np.dtype([("a", "<f8"), ("b", "<i4")])
        replace(f, p, lambda g, k: g.create_dataset(k, data=np.zeros(T, dtype=dt)))

    @case("format-int")
    def _(f, d):
        del f.attrs["format"]
        f.attrs["format"] = np.int32(1)

    @case("complete-string")
    def _(f, d):
        del f.attrs["complete"]
        f.attrs["complete"] = "1"

    @case("seed-string")
    def _(f, d):
        del f.attrs["seed"]
        f.attrs["seed"] = "1"

    @case("cycle-hard")
    def _(f, d):
        # a county group that is the /lines group itself
        g = f["/lines/%s/counties" % first_line(f)]
        c = first_county(f)
        del g[c]
        g[c] = f["/lines"]

    @case("cycle-soft")
    def _(f, d):
        del f["/lines"]
        f["/lines"] = h5py.SoftLink("/lines")

    @case("soft-link-chain")
    def _(f, d):
        # /lines -> /a0 -> /a1 -> ... -> /a99 -> real group
        f.move("/lines", "/real_lines")
        for i in range(100):
            f["/a%d" % i] = h5py.SoftLink("/a%d" % (i + 1) if i < 99 else "/real_lines")
        f["/lines"] = h5py.SoftLink("/a0")

    @case("external-link-fifo")
    def _(f, d):
        # a line group in a FIFO: opening it would wait for a writer forever
        fifo = os.path.join(d, "fifo")
        if not os.path.exists(fifo):
            os.mkfifo(fifo)
        l = first_line(f)
        del f["/lines/%s" % l]
        f["/lines/%s" % l] = h5py.ExternalLink(fifo, "/")

    @case("external-link-self")
    def _(f, d):
        l = first_line(f)
        del f["/lines/%s" % l]
        f["/lines/%s" % l] = h5py.ExternalLink(os.path.join(d, "external-link-self.h5"),
                                              "/lines/%s" % l)

    @case("external-storage")
    def _(f, d):
        # raw data of a dataset read from another file (here /etc/hostname,
        # or /dev/zero): a results file must not make poolsim read other files
        p = "/lines/%s/cap_ratio" % first_line(f)
        T = f["years"].shape[0]
        src = "/etc/hostname" if os.path.exists("/etc/hostname") else "/dev/zero"
        replace(f, p, lambda g, k: g.create_dataset(k, shape=(T,), dtype="<f8",
                                                    external=[(src, 0, h5py.h5f.UNLIMITED)]))

    @case("id-with-slash")
    def _(f, d):
        ids = f["lines_index/ids"].asstr()[()].tolist()
        f.move("/lines/%s" % ids[0], "/lines/x")
        f.create_group("/lines/x/y")
        ids[0] = "x/y/../" + ids[0]
        replace(f, "/lines_index/ids",
                lambda g, k: g.create_dataset(k, data=ids, dtype=h5py.string_dtype()))

    @case("id-dot")
    def _(f, d):
        ids = f["counties/ids"].asstr()[()].tolist()
        ids[0] = "."
        replace(f, "/counties/ids",
                lambda g, k: g.create_dataset(k, data=ids, dtype=h5py.string_dtype()))

    @case("deep-groups")
    def _(f, d):
        # 2000 nested groups where a county should be
        g = f["/lines/%s/counties" % first_line(f)]
        c = first_county(f)
        del g[c]
        h = g.create_group(c)
        for i in range(2000):
            h = h.create_group("d")

    return cases


def sweep_datasets(f):
    """Paths of the /sweep datasets to attack, in a fixed order."""
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


def sweep_attacks(f):
    """(name, function(h5py.File)) for the /sweep group of the good sweep
    file f (read only here)."""
    cases = []
    for p in sweep_datasets(f):
        tag = p[len("/sweep/"):].replace("/", "-")
        parent, name = p.rsplit("/", 1)
        d = f[p]
        shape, dtype = d.shape, d.dtype

        def drop(h, parent=parent, name=name):
            del h[parent][name]

        def huge(h, parent=parent, name=name, dtype=dtype):
            del h[parent][name]
            huge_extent(h[parent], name, 1 << 41, dtype if dtype.kind != "O" else "<f8")

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


def main_sweep(good, out):
    os.makedirs(out, exist_ok=True)
    with h5py.File(good, "r") as f:
        cases = sweep_attacks(f)
    names = []
    for name, fn in cases:
        p = os.path.join(out, name + ".h5")
        shutil.copyfile(good, p)
        with h5py.File(p, "r+") as h:
            fn(h)
        names.append(name)
    with open(os.path.join(out, "cases.txt"), "w") as fh:
        fh.write("\n".join(names) + "\n")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--sweep":
        return main_sweep(sys.argv[2], sys.argv[3])
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    good, out = sys.argv[1], sys.argv[2]
    flips = int(sys.argv[3]) if len(sys.argv) == 4 else 24
    os.makedirs(out, exist_ok=True)
    names = []
    for name, fn in attacks(good, out):
        p = os.path.join(out, name + ".h5")
        shutil.copyfile(good, p)
        with h5py.File(p, "r+") as f:
            fn(f, out)
        names.append(name)

    data = open(good, "rb").read()
    n = len(data)

    def write(name, b):
        with open(os.path.join(out, name + ".h5"), "wb") as fh:
            fh.write(b)
        names.append(name)

    # truncated copies
    for k in (1, 2, 3, 5, 7):
        write("truncated-%d8" % k, data[: n * k // 8])
    write("truncated-superblock", data[:60])
    # superblock (version 0) fields pointing far out of the file
    sb = bytearray(data)
    if sb[:8] == b"\x89HDF\r\n\x1a\n" and sb[8] == 0:
        for name, off, val in (("sb-base-far", 24, 1 << 50), ("sb-eof-far", 40, 1 << 50),
                               ("sb-eof-small", 40, 96), ("sb-root-far", 64, 1 << 50),
                               ("sb-root-self", 64, 0)):
            b = bytearray(data)
            b[off:off + 8] = struct.pack("<Q", val)
            write(name, bytes(b))
    # random byte flips, mostly in the metadata at the file's start
    for k in range(flips):
        rng = random.Random(1000 + k)
        b = bytearray(data)
        span = min(n, 8192) if k % 2 == 0 else n
        for _ in range(1 + k % 8):
            b[rng.randrange(span)] ^= 1 << rng.randrange(8)
        write("flip-%02d" % k, bytes(b))

    with open(os.path.join(out, "cases.txt"), "w") as fh:
        fh.write("\n".join(names) + "\n")


if __name__ == "__main__":
    main()
