/* poolsim: HDF5 helpers shared by src/h5out.c, src/h5in.c and
 * src/sweep_h5.c (src/h5util.h). Serial HDF5: one thread only. */
#include "h5util.h"

#include <stdlib.h>
#include <string.h>

#include "poolsim/common.h"

#include <stdarg.h>
#include <stdint.h>
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
                       .compact = H5I_INVALID_HID,
                       .dxpl = H5I_INVALID_HID,
                       .str = H5I_INVALID_HID,
                       .detailed = detailed};
    if ((w->gcpl = H5Pcreate(H5P_GROUP_CREATE)) < 0 ||
        (w->dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_obj_track_times(w->gcpl, 0) < 0 ||
        H5Pset_obj_track_times(w->dcpl, 0) < 0 || (w->compact = H5Pcopy(w->dcpl)) < 0 ||
        H5Pset_layout(w->compact, H5D_COMPACT) < 0 || (w->dxpl = H5Pcreate(H5P_DATASET_XFER)) < 0 ||
        H5Pset_buffer(w->dxpl, POOLSIM_H5UTIL_TCONV_BYTES, NULL, NULL) < 0 ||
        (w->str = poolsim_h5util_utf8_type()) < 0)
        return -1;
    return 0;
}

void poolsim_h5util_slots_free(poolsim_h5w *w)
{
    free(w->slots);
    free(w->scratch);
    free(w->offset);
    w->slots = NULL;
    w->scratch = NULL;
    w->offset = NULL;
    w->nslots = w->cap = w->next = w->nscratch = 0;
}

void poolsim_h5util_writer_close(poolsim_h5w *w)
{
    if (w->gcpl >= 0) H5Pclose(w->gcpl);
    if (w->dcpl >= 0) H5Pclose(w->dcpl);
    if (w->compact >= 0) H5Pclose(w->compact);
    if (w->dxpl >= 0) H5Pclose(w->dxpl);
    if (w->str >= 0) H5Tclose(w->str);
    w->gcpl = w->dcpl = w->compact = w->dxpl = w->str = H5I_INVALID_HID;
}

herr_t poolsim_h5util_small_cache(hid_t fapl, size_t bytes)
{
    H5AC_cache_config_t c = {.version = H5AC__CURR_CACHE_CONFIG_VERSION};
    if (H5Pget_mdc_config(fapl, &c) < 0) return -1;
    c.set_initial_size = 1;
    c.initial_size = c.min_size = c.max_size = bytes;
    c.incr_mode = H5C_incr__off;
    c.flash_incr_mode = H5C_flash_incr__off;
    c.decr_mode = H5C_decr__off;
    return H5Pset_mdc_config(fapl, &c);
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
    if (w->failed || w->mode == POOLSIM_H5W_FILL) return H5I_INVALID_HID;
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, w->gcpl, H5P_DEFAULT);
    if (g < 0) poolsim_h5util_fail(w, loc, "creating group", name);
    return g;
}

void poolsim_h5util_attr(poolsim_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                         const void *v)
{
    if (w->failed || w->mode == POOLSIM_H5W_FILL) return;
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

/* The hash of a name: with the number of values, what FILL checks. */
static unsigned name_hash(const char *s)
{
    return poolsim_hash32(s, POOLSIM_HASH_INIT);
}

static double placeholder_value(unsigned i)
{
    uint64_t bits = (uint64_t)POOLSIM_H5W_MAGIC << 32 | i;
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

void poolsim_h5util_placeholder(poolsim_h5w *w, const char *name, double *out, size_t n)
{
    if (w->failed) return;
    if (n > UINT32_MAX - w->nvalues) {
        poolsim_h5util_fail_msg(w, "too many values for placeholders (%s)", name);
        return;
    }
    if (w->nslots == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 512;
        poolsim_h5w_slot *k = realloc(w->slots, cap * sizeof *k);
        if (!k) {
            poolsim_h5util_fail_nomem(w, name);
            return;
        }
        w->slots = k;
        w->cap = cap;
    }
    w->slots[w->nslots++] = (poolsim_h5w_slot){name_hash(name), w->nvalues, (unsigned)n};
    for (size_t i = 0; i < n; i++) out[i] = placeholder_value(w->nvalues++);
}

void poolsim_h5util_fill(poolsim_h5w *w, const char *name, const double *x, size_t n)
{
    if (w->failed) return;
    const poolsim_h5w_slot *k = w->next < w->nslots ? &w->slots[w->next] : NULL;
    if (!k || !w->offset || k->hash != name_hash(name) || k->count != n) {
        w->mismatch = 1;
        poolsim_h5util_fail_msg(w, "values %zu (%s) are not those the skeleton holds", w->next,
                                name);
        return;
    }
    w->next++;
    for (size_t i = 0; i < n; i++) memcpy(w->image + w->offset[k->first + i], &x[i], sizeof *x);
}

int poolsim_h5util_locate(poolsim_h5w *w, unsigned char *image, size_t size)
{
    if (w->failed) return -1;
    size_t n = w->nvalues;
    w->offset = malloc((n ? n : 1) * sizeof *w->offset);
    if (!w->offset) {
        poolsim_h5util_fail_msg(w, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) w->offset[i] = SIZE_MAX;
    /* the value's 8 bytes as they are in memory: the index, then the magic
     * (little-endian); a host that stores doubles otherwise finds none */
    double probe = placeholder_value(0);
    unsigned char magic[4];
    memcpy(magic, (unsigned char *)&probe + 4, 4);
    size_t found = 0;
    int bad = H5Tequal(H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE) <= 0;
    for (size_t at = 4; !bad && at + 4 <= size;) {
        unsigned char *hit = memchr(image + at, magic[0], size - 3 - at);
        if (!hit) break;
        size_t pos = (size_t)(hit - image);
        at = pos + 1;
        if (memcmp(hit, magic, 4) != 0) continue;
        uint32_t idx;
        memcpy(&idx, hit - 4, 4);
        if (idx >= n || w->offset[idx] != SIZE_MAX) {
            bad = 1; /* a stray match, or a value twice: not usable */
        } else {
            w->offset[idx] = pos - 4;
            found++;
            at = pos + 4;
        }
    }
    if (bad || found != n) {
        poolsim_h5util_fail_msg(w, "placeholders: %zu of %zu found%s", found, n,
                                bad ? ", or found twice" : "");
        return -1;
    }
    w->image = image;
    return 0;
}

void poolsim_h5util_dataset(poolsim_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                            int rank, const hsize_t *dims, hid_t dcpl, const void *data,
                            const char *units, const char *description)
{
    if (w->failed) return;
    size_t count = 1;
    for (int i = 0; i < rank; i++) count *= (size_t)dims[i];
    if (w->mode != POOLSIM_H5W_WHOLE) {
        /* placeholders: doubles as they are in memory, no filters */
        if (mtype != H5T_NATIVE_DOUBLE || ftype != H5T_IEEE_F64LE || dcpl != w->dcpl) {
            w->mismatch = 1;
            poolsim_h5util_fail_msg(w, "dataset %s cannot take placeholders", name);
            return;
        }
        if (w->mode == POOLSIM_H5W_FILL) {
            poolsim_h5util_fill(w, name, (const double *)data, count);
            return;
        }
        if (count > w->nscratch) {
            double *x = realloc(w->scratch, count * sizeof *x);
            if (!x) {
                poolsim_h5util_fail_nomem(w, name);
                return;
            }
            w->scratch = x;
            w->nscratch = count;
        }
        poolsim_h5util_placeholder(w, name, w->scratch, count);
        data = w->scratch;
    }
    hid_t sp = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
    if (dcpl == w->dcpl) {
        size_t bytes = H5Tget_size(ftype); /* a variable-length string: its reference */
        for (int i = 0; i < rank; i++) bytes *= (size_t)dims[i];
        if (bytes <= POOLSIM_H5UTIL_COMPACT_BYTES) dcpl = w->compact;
    }
    hid_t d =
        sp < 0 ? H5I_INVALID_HID : H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, w->dxpl, data) < 0)
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

/* ---- the sticky-error reader (h5util.h) ---- */

/* Sticky-error poolsim_h5r: after the first failure every helper does nothing. */

void poolsim_h5r_fail(poolsim_h5r *rd, int status, hid_t loc, const char *name, const char *why)
{
    if (rd->status != POOLSIM_OK) return;
    rd->status = status;
    poolsim_h5util_where(loc, name, rd->what, sizeof rd->what);
    size_t k = strlen(rd->what);
    snprintf(rd->what + k, sizeof rd->what - k, ": %s", why);
}

void poolsim_h5r_fail_msg(poolsim_h5r *rd, int status, const char *why)
{
    if (rd->status != POOLSIM_OK) return;
    rd->status = status;
    snprintf(rd->what, sizeof rd->what, "%s", why);
}

hid_t poolsim_h5r_group(poolsim_h5r *rd, hid_t loc, const char *name)
{
    if (rd->status != POOLSIM_OK) return H5I_INVALID_HID;
    const char *why = poolsim_h5util_hard_link(loc, name);
    hid_t g = why ? H5I_INVALID_HID : H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0)
        poolsim_h5r_fail(rd, POOLSIM_EINPUT, loc, name,
                         why && strcmp(why, "missing") ? why : "missing group");
    return g;
}

/* A string from a string-typed object of one element (attribute or scalar
 * dataset) or element data; fixed or variable length. Returns a malloc'ed
 * copy, NULL on failure (recorded). */
static char *copy_str(poolsim_h5r *rd, hid_t loc, const char *name, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *d = malloc(n + 1);
    if (!d) {
        poolsim_h5r_fail(rd, POOLSIM_ENOMEM, loc, name, "out of memory");
        return NULL;
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Memory type matching a file string type: same length kind and cset. */
static hid_t string_memtype(hid_t ftype, size_t *fixed /* OUT: 0 when variable */)
{
    hid_t mt = H5Tcopy(H5T_C_S1);
    if (mt < 0) return mt;
    htri_t var = H5Tis_variable_str(ftype);
    size_t sz = H5Tget_size(ftype);
    H5T_cset_t cs = H5Tget_cset(ftype);
    if (var < 0 || sz == 0 || cs < 0 || H5Tset_cset(mt, cs) < 0 ||
        H5Tset_size(mt, var ? H5T_VARIABLE : sz) < 0 ||
        (!var && H5Tset_strpad(mt, H5Tget_strpad(ftype)) < 0)) {
        H5Tclose(mt);
        return H5I_INVALID_HID;
    }
    *fixed = var ? 0 : sz;
    return mt;
}

/* An open attribute with its file type and dataspace (each
 * H5I_INVALID_HID when HDF5 could not give it). */
typedef struct {
    hid_t id, type, space;
} attribute;

/* Open attribute `name` of loc. Returns -1 when there is nothing to read
 * (an earlier failure, or the attribute is missing: recorded), else 0 and
 * the caller checks h and calls attr_close. */
static int attr_open(poolsim_h5r *rd, hid_t loc, const char *name, attribute *h /* OUT */)
{
    h->id = h->type = h->space = H5I_INVALID_HID;
    if (rd->status != POOLSIM_OK) return -1;
    if (H5Aexists(loc, name) <= 0) {
        poolsim_h5r_fail(rd, POOLSIM_EINPUT, loc, name, "missing attribute");
        return -1;
    }
    h->id = H5Aopen(loc, name, H5P_DEFAULT);
    if (h->id >= 0) {
        h->type = H5Aget_type(h->id);
        h->space = H5Aget_space(h->id);
    }
    return 0;
}

static void attr_close(attribute *h)
{
    if (h->space >= 0) H5Sclose(h->space);
    if (h->type >= 0) H5Tclose(h->type);
    if (h->id >= 0) H5Aclose(h->id);
}

void poolsim_h5r_attr_str(poolsim_h5r *rd, hid_t loc, const char *name, char **out /* OUT */)
{
    attribute h;
    if (attr_open(rd, loc, name, &h) < 0) return;
    size_t fixed = 0;
    hid_t mt = H5I_INVALID_HID;
    char why[160];
    const char *big = NULL;
    if (h.type < 0 || h.space < 0 || H5Tget_class(h.type) != H5T_STRING ||
        H5Sget_simple_extent_npoints(h.space) != 1 || (mt = string_memtype(h.type, &fixed)) < 0) {
        poolsim_h5r_fail(rd, POOLSIM_EINPUT, loc, name, "not a string attribute");
    } else if ((big = poolsim_h5util_string_size(h.type, 1, POOLSIM_H5_MAX_STRING, why,
                                                 sizeof why))) {
        poolsim_h5r_fail(rd, POOLSIM_EINPUT, loc, name, big);
    } else if (fixed) {
        char *buf = calloc(fixed + 1, 1);
        if (!buf)
            poolsim_h5r_fail(rd, POOLSIM_ENOMEM, loc, name, "out of memory");
        else if (H5Aread(h.id, mt, buf) < 0)
            poolsim_h5r_fail(rd, POOLSIM_EIO, loc, name, "cannot read attribute");
        else
            *out = copy_str(rd, loc, name, buf, fixed);
        free(buf);
    } else {
        char *s = NULL;
        if (H5Aread(h.id, mt, &s) < 0)
            poolsim_h5r_fail(rd, POOLSIM_EIO, loc, name, "cannot read attribute");
        else
            *out = copy_str(rd, loc, name, s ? s : "", (size_t)-1);
        if (s) H5Dvlen_reclaim(mt, h.space, H5P_DEFAULT, &s);
    }
    if (mt >= 0) H5Tclose(mt);
    attr_close(&h);
}

/* A numeric scalar attribute (integer or float class), converted to mtype. */
void poolsim_h5r_attr_num(poolsim_h5r *rd, hid_t loc, const char *name, hid_t mtype,
                          void *out /* OUT */)
{
    attribute h;
    if (attr_open(rd, loc, name, &h) < 0) return;
    H5T_class_t cls = h.type < 0 ? H5T_NO_CLASS : H5Tget_class(h.type);
    if (h.space < 0 || (cls != H5T_INTEGER && cls != H5T_FLOAT) ||
        H5Sget_simple_extent_npoints(h.space) != 1)
        poolsim_h5r_fail(rd, POOLSIM_EINPUT, loc, name, "not a numeric scalar attribute");
    else if (H5Aread(h.id, mtype, out) < 0)
        poolsim_h5r_fail(rd, POOLSIM_EIO, loc, name, "cannot read attribute");
    attr_close(&h);
}

/* Open a dataset and check its class and shape (rank 0: scalar). When
 * dims_out is given the extent is returned instead of checked. */
hid_t poolsim_h5r_dataset(poolsim_h5r *rd, hid_t loc, const char *name, H5T_class_t cls, int rank,
                          const hsize_t *dims, hsize_t *dims_out /* OUT */)
{
    if (rd->status != POOLSIM_OK) return H5I_INVALID_HID;
    const char *bad = poolsim_h5util_hard_link(loc, name);
    hid_t d = bad ? H5I_INVALID_HID : H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) {
        poolsim_h5r_fail(rd, POOLSIM_EINPUT, loc, name,
                         bad && strcmp(bad, "missing") ? bad : "missing dataset");
        return d;
    }
    if ((bad = poolsim_h5util_own_storage(d))) {
        poolsim_h5r_fail(rd, POOLSIM_EINPUT, loc, name, bad);
        H5Dclose(d);
        return H5I_INVALID_HID;
    }
    hid_t ft = H5Dget_type(d), sp = H5Dget_space(d);
    hsize_t got[H5S_MAX_RANK];
    int ok = ft >= 0 && sp >= 0 && H5Tget_class(ft) == cls;
    int r = ok ? H5Sget_simple_extent_ndims(sp) : -1;
    ok = ok && r == rank && H5Sget_simple_extent_dims(sp, got, NULL) == r;
    for (int i = 0; ok && i < rank; i++) {
        if (dims_out)
            dims_out[i] = got[i];
        else
            ok = got[i] == dims[i];
    }
    if (!ok) {
        char why[160];
        const char *kind = cls == H5T_STRING ? "string" : cls == H5T_INTEGER ? "integer" : "float";
        int m = snprintf(why, sizeof why, "expected a %s dataset of ", kind);
        if (!dims)
            snprintf(why + m, sizeof why - (size_t)m, "rank %d", rank);
        else if (rank == 0)
            snprintf(why + m, sizeof why - (size_t)m, "one value (scalar)");
        for (int i = 0; dims && i < rank && m > 0 && (size_t)m < sizeof why; i++)
            m += snprintf(why + m, sizeof why - (size_t)m, i ? "x%llu" : "shape %llu",
                          (unsigned long long)dims[i]);
        poolsim_h5r_fail(rd, POOLSIM_EINPUT, loc, name, why);
        H5Dclose(d);
        d = H5I_INVALID_HID;
    }
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    return d;
}

void poolsim_h5r_read(poolsim_h5r *rd, hid_t loc, const char *name, H5T_class_t cls, hid_t mtype,
                      int rank, const hsize_t *dims, void *out /* OUT */)
{
    hid_t d = poolsim_h5r_dataset(rd, loc, name, cls, rank, dims, NULL);
    if (d < 0) return;
    if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        poolsim_h5r_fail(rd, POOLSIM_EIO, loc, name, "cannot read dataset");
    H5Dclose(d);
}

/* A 1-D string dataset of n elements into out[n] (malloc'ed copies). */
void poolsim_h5r_strings(poolsim_h5r *rd, hid_t loc, const char *name, int n, char **out /* OUT */)
{
    hsize_t dims[1] = {(hsize_t)n};
    hid_t d = poolsim_h5r_dataset(rd, loc, name, H5T_STRING, 1, dims, NULL);
    if (d < 0) return;
    hid_t ft = H5Dget_type(d), sp = H5Dget_space(d);
    size_t fixed = 0;
    hid_t mt = ft < 0 ? H5I_INVALID_HID : string_memtype(ft, &fixed);
    char why[160];
    const char *big = NULL;
    if (mt < 0 || sp < 0) {
        poolsim_h5r_fail(rd, POOLSIM_EINPUT, loc, name, "unreadable string type");
    } else if ((big = poolsim_h5util_string_size(ft, (size_t)n, POOLSIM_H5_MAX_STRINGS, why,
                                                 sizeof why))) {
        poolsim_h5r_fail(rd, POOLSIM_EINPUT, loc, name, big);
    } else if (fixed) {
        char *buf = calloc((size_t)n, fixed);
        if (!buf)
            poolsim_h5r_fail(rd, POOLSIM_ENOMEM, loc, name, "out of memory");
        else if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            poolsim_h5r_fail(rd, POOLSIM_EIO, loc, name, "cannot read dataset");
        for (int i = 0; buf && rd->status == POOLSIM_OK && i < n; i++)
            out[i] = copy_str(rd, loc, name, buf + (size_t)i * fixed, fixed);
        free(buf);
    } else {
        char **s = calloc((size_t)n, sizeof *s);
        if (!s)
            poolsim_h5r_fail(rd, POOLSIM_ENOMEM, loc, name, "out of memory");
        else if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) < 0)
            poolsim_h5r_fail(rd, POOLSIM_EIO, loc, name, "cannot read dataset");
        else {
            for (int i = 0; rd->status == POOLSIM_OK && i < n; i++)
                out[i] = copy_str(rd, loc, name, s[i] ? s[i] : "", (size_t)-1);
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, s);
        }
        free(s);
    }
    if (mt >= 0) H5Tclose(mt);
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    H5Dclose(d);
}

/* Length of a 1-D dataset (0 on failure, recorded). */
hsize_t poolsim_h5r_length(poolsim_h5r *rd, hid_t loc, const char *name, H5T_class_t cls)
{
    hsize_t n[1] = {0};
    hid_t d = poolsim_h5r_dataset(rd, loc, name, cls, 1, NULL, n);
    if (d >= 0) H5Dclose(d);
    return n[0];
}

/* Open dataset `name` under loc: a hard link to data kept in this file. */
hid_t poolsim_h5util_open_dataset(hid_t loc, const char *name)
{
    hid_t d =
        poolsim_h5util_hard_link(loc, name) ? H5I_INVALID_HID : H5Dopen2(loc, name, H5P_DEFAULT);
    if (d >= 0 && poolsim_h5util_own_storage(d)) {
        H5Dclose(d);
        d = H5I_INVALID_HID;
    }
    return d;
}

/* Read a dataset of exactly n elements of memory type mtype into buf; the
 * file type's class must match mtype's (strings: within the size limits). */
void poolsim_h5r_read_count(poolsim_h5r *r, hid_t loc, const char *name, hid_t mtype, void *buf,
                            size_t n)
{
    if (r->status != POOLSIM_OK) return;
    hid_t d = poolsim_h5util_open_dataset(loc, name);
    hid_t sp = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    hid_t ft = d < 0 ? H5I_INVALID_HID : H5Dget_type(d);
    hssize_t np = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    H5T_class_t want = H5Tget_class(mtype), got = ft < 0 ? H5T_NO_CLASS : H5Tget_class(ft);
    char why[160];
    int ok = d >= 0 && np == (hssize_t)n && got == want &&
             (got != H5T_STRING ||
              !poolsim_h5util_string_size(ft, n, POOLSIM_H5_MAX_STRINGS, why, sizeof why));
    if (ft >= 0) H5Tclose(ft);
    if (!ok || H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        poolsim_h5r_fail(r, POOLSIM_EINPUT, loc, name,
                         "missing, or not of the expected type and size");
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
}
