# Sourced by the CLI tests that run Python with Debian's modules (not a
# test: the runner takes only tests/cli/*.sh). python_with MODULE...
# prints the first Python that imports every MODULE and returns 0, or
# prints nothing and returns 1. Debian's python3-* packages install into
# the system interpreter, which may not be the first python3 on PATH.
python_with() {
    for p in /usr/bin/python3 python3; do
        if command -v "$p" >/dev/null 2>&1 &&
            "$p" -c "import $(echo "$*" | tr ' ' ',')" 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# The first Python that reads HDF5 files with h5py.
h5py_python() {
    python_with h5py
}
