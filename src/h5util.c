/* poolsim: HDF5 helpers shared by src/h5out.c, src/h5in.c and
 * src/sweep_h5.c (src/h5util.h). Serial HDF5: one thread only. */
#include "h5util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

hid_t poolsim_h5util_utf8_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        t = H5I_INVALID_HID;
    }
    return t;
}

int poolsim_h5util_writer_open(poolsim_h5w *w, int detailed)
{
    *w = (poolsim_h5w){.gcpl = H5I_INVALID_HID,
                       .dcpl = H5I_INVALID_HID,
                       .str = H5I_INVALID_HID,
                       .detailed = detailed};
    if ((w->gcpl = H5Pcreate(H5P_GROUP_CREATE)) < 0 ||
        (w->dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_obj_track_times(w->gcpl, 0) < 0 ||
        H5Pset_obj_track_times(w->dcpl, 0) < 0 || (w->str = poolsim_h5util_utf8_type()) < 0)
        return -1;
    return 0;
}

void poolsim_h5util_writer_close(poolsim_h5w *w)
{
    if (w->gcpl >= 0) H5Pclose(w->gcpl);
    if (w->dcpl >= 0) H5Pclose(w->dcpl);
    if (w->str >= 0) H5Tclose(w->str);
    w->gcpl = w->dcpl = w->str = H5I_INVALID_HID;
}

void poolsim_h5util_where(hid_t loc, const char *name, char *out, size_t size)
{
    char where[256] = "";
    if (loc >= 0 && H5Iget_name(loc, where, sizeof where) < 0) where[0] = '\0';
    const char *sep = (where[0] && strcmp(where, "/") != 0) ? "/" : "";
    snprintf(out, size, "%s%s%s", where[0] ? where : "/", sep, name);
}

/* HDF5 keeps the most specific reason in the innermost error of its stack
 * (file drivers add the system's: "... error message = 'File too large'"). */
static herr_t innermost_error(unsigned n, const H5E_error2_t *e, void *data)
{
    char *out = data;
    if (n != 0 || !e->desc) return 0;
    const char *m = strstr(e->desc, "error message = '");
    if (m) {
        m += strlen("error message = '");
        const char *end = strchr(m, '\'');
        size_t len = end ? (size_t)(end - m) : strlen(m);
        if (len > 255) len = 255;
        memcpy(out, m, len);
        out[len] = '\0';
    } else {
        snprintf(out, 256, "%s", e->desc);
    }
    return 0;
}

void poolsim_h5util_fail(poolsim_h5w *w, hid_t loc, const char *doing, const char *name)
{
    if (w->failed) return;
    w->failed = 1;
    if (!w->detailed) {
        snprintf(w->what, sizeof w->what, "%s %s", doing, name);
        return;
    }
    char reason[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, reason);
    /* "<doing> <where>: <reason>", appended piece by piece */
    int m = snprintf(w->what, sizeof w->what, "%s ", doing);
    if (m < 0 || (size_t)m >= sizeof w->what) return;
    poolsim_h5util_where(loc, name, w->what + m, sizeof w->what - (size_t)m);
    size_t k = strlen(w->what);
    snprintf(w->what + k, sizeof w->what - k, ": %s", reason[0] ? reason : "HDF5 error");
}

void poolsim_h5util_fail_msg(poolsim_h5w *w, const char *fmt, ...)
{
    if (w->failed) return;
    w->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->what, sizeof w->what, fmt, ap);
    va_end(ap);
}

void poolsim_h5util_fail_nomem(poolsim_h5w *w, const char *name)
{
    if (w->detailed)
        poolsim_h5util_fail_msg(w, "writing %s: out of memory", name);
    else
        poolsim_h5util_fail_msg(w, "out of memory writing %s", name);
}

void poolsim_h5util_close(hid_t id)
{
    if (id >= 0) H5Oclose(id);
}

hid_t poolsim_h5util_group(poolsim_h5w *w, hid_t loc, const char *name)
{
    if (w->failed) return H5I_INVALID_HID;
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, w->gcpl, H5P_DEFAULT);
    if (g < 0) poolsim_h5util_fail(w, loc, "creating group", name);
    return g;
}

void poolsim_h5util_attr(poolsim_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                         const void *v)
{
    if (w->failed) return;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? H5I_INVALID_HID : H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, mtype, v) < 0) poolsim_h5util_fail(w, loc, "writing attribute", name);
    if (a >= 0 && H5Aclose(a) < 0) poolsim_h5util_fail(w, loc, "closing attribute", name);
    if (sp >= 0) H5Sclose(sp);
}

void poolsim_h5util_attr_str(poolsim_h5w *w, hid_t loc, const char *name, const char *s)
{
    const char *v = s ? s : "";
    poolsim_h5util_attr(w, loc, name, w->str, w->str, &v);
}

void poolsim_h5util_attr_int(poolsim_h5w *w, hid_t loc, const char *name, int v)
{
    poolsim_h5util_attr(w, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
}

void poolsim_h5util_dataset(poolsim_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                            int rank, const hsize_t *dims, hid_t dcpl, const void *data,
                            const char *units, const char *description)
{
    if (w->failed) return;
    hid_t sp = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
    hid_t d =
        sp < 0 ? H5I_INVALID_HID : H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        poolsim_h5util_fail(w, loc, "writing dataset", name);
    if (d >= 0) {
        poolsim_h5util_attr_str(w, d, "units", units);
        poolsim_h5util_attr_str(w, d, "description", description);
        if (H5Dclose(d) < 0) poolsim_h5util_fail(w, loc, "closing dataset", name);
    }
    if (sp >= 0) H5Sclose(sp);
}

void poolsim_h5util_vec(poolsim_h5w *w, hid_t loc, const char *name, const double *x, size_t n,
                        const char *units, const char *description)
{
    hsize_t dims[1] = {n};
    poolsim_h5util_dataset(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, w->dcpl, x,
                           units, description);
}

void poolsim_h5util_strings(poolsim_h5w *w, hid_t loc, const char *name, char *const *s, size_t n,
                            const char *description)
{
    if (w->failed) return;
    const char **v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        poolsim_h5util_fail_nomem(w, name);
        return;
    }
    for (size_t i = 0; i < n; i++) v[i] = s[i] ? s[i] : "";
    hsize_t dims[1] = {n};
    poolsim_h5util_dataset(w, loc, name, w->str, w->str, 1, dims, w->dcpl, v, "", description);
    free(v);
}

void poolsim_h5util_pairs(poolsim_h5w *w, hid_t loc, const char *name, const double *lo,
                          const double *hi, size_t n, double *buf, const char *units,
                          const char *description)
{
    if (w->failed) return; /* buf may be the allocation that failed */
    for (size_t i = 0; i < n; i++) buf[2 * i] = lo[i], buf[2 * i + 1] = hi[i];
    hsize_t dims[2] = {n, 2};
    poolsim_h5util_dataset(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, w->dcpl, buf,
                           units, description);
}

const char *poolsim_h5util_hard_link(hid_t loc, const char *name)
{
    if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return "not a plain name";
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return "missing";
    H5L_info_t info;
    if (H5Lget_info(loc, name, &info, H5P_DEFAULT) < 0) return "unreadable link";
    switch (info.type) {
    case H5L_TYPE_HARD: return NULL;
    case H5L_TYPE_SOFT: return "a soft link (only hard links are read)";
    case H5L_TYPE_EXTERNAL: return "an external link (only hard links are read)";
    default: return "a user-defined link (only hard links are read)";
    }
}

const char *poolsim_h5util_own_storage(hid_t d)
{
    hid_t p = H5Dget_create_plist(d);
    if (p < 0) return "unreadable storage properties";
    H5D_layout_t lay = H5Pget_layout(p);
    int ext = H5Pget_external_count(p);
    H5Pclose(p);
    if (lay != H5D_COMPACT && lay != H5D_CONTIGUOUS && lay != H5D_CHUNKED)
        return "data stored outside the file (virtual dataset)";
    if (ext != 0) return "data stored in external files";
    return NULL;
}

const char *poolsim_h5util_string_size(hid_t ftype, size_t n, size_t max_total, char *why,
                                       size_t size)
{
    htri_t var = H5Tis_variable_str(ftype);
    size_t sz = H5Tget_size(ftype);
    if (var < 0 || sz == 0) return "unreadable string type";
    if (var) return NULL;
    if (sz <= POOLSIM_H5_MAX_STRING && (n == 0 || sz <= max_total / n)) return NULL;
    snprintf(why, size,
             "fixed-length strings of %zu bytes x %zu (limits %u bytes each, %zu in all)", sz, n,
             POOLSIM_H5_MAX_STRING, max_total);
    return why;
}
