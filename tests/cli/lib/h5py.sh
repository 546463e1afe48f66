# Sourced by the CLI tests that read HDF5 files with h5py (not a test: the
# runner takes only tests/cli/*.sh). h5py_python prints the first Python
# that imports h5py and returns 0, or prints nothing and returns 1. Debian's
# python3-h5py installs into the system interpreter, which may not be the
# first python3 on PATH.
h5py_python() {
    for p in /usr/bin/python3 python3; do
        if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import h5py' 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
