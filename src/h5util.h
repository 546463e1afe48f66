/* poolsim: HDF5 helpers shared by the results writer (src/h5out.c), the
 * results reader (src/h5in.c) and the sweep file (src/sweep_h5.c). Not
 * installed. HDF5 here is the serial, non-thread-safe build: one thread. */
#ifndef POOLSIM_H5UTIL_H
#define POOLSIM_H5UTIL_H

#include <stddef.h>

#include <hdf5.h>

/* Writer modes (poolsim_h5w.mode), for a file built before its values
 * are known (src/h5out.c's skeleton):
 *   WHOLE     every object created and written with its data (the default);
 *   SKELETON  as WHOLE, but a dataset of doubles gets placeholders instead
 *             of its data: distinct finite values (64 bits: the 32-bit
 *             POOLSIM_H5W_MAGIC, then the value's index), which
 *             poolsim_h5util_locate then finds in the file's image;
 *   FILL      nothing is created or written through HDF5 (a group is
 *             H5I_INVALID_HID); a dataset call copies its data over the
 *             next dataset's placeholders in the image, after checking
 *             that it has the same name and number of values. A dataset
 *             other than the one expected fails the writer and sets
 *             `mismatch`.
 * The same layout code run in SKELETON mode over one set of metadata and
 * then in FILL mode with the values gives the image that WHOLE mode gives
 * (the data of compact and contiguous datasets without filters sits in
 * the file as written, little-endian doubles as in memory on this host). */
enum { POOLSIM_H5W_WHOLE, POOLSIM_H5W_SKELETON, POOLSIM_H5W_FILL };
#define POOLSIM_H5W_MAGIC 0x5FE19DB7u /* high half of a placeholder: about 6.7e153 */

/* One dataset's placeholders (or a value's: poolsim_h5util_placeholder). */
typedef struct {
    unsigned hash;         /* of the name */
    unsigned first, count; /* placeholder indices first .. first + count - 1 */
} poolsim_h5w_slot;

/* Sticky-error writer: after the first failure every helper does nothing,
 * so the layout code reads straight through and is checked once.
 *
 * Two message styles, chosen at _writer_open:
 *   detailed  "<doing> <object path>: <HDF5's innermost reason>",
 *             "writing <name>: out of memory"   (results files)
 *   short     "<doing> <name>", "out of memory writing <name>"  (sweep) */
typedef struct {
    hid_t gcpl, dcpl; /* creation properties without timestamps */
    hid_t compact;    /* dcpl with the data kept in the object header */
    hid_t dxpl;       /* writes with a POOLSIM_H5UTIL_TCONV_BYTES conversion buffer */
    hid_t str;        /* variable-length UTF-8 string */
    int detailed;     /* message style, above */
    int failed;
    char what[768];           /* first failure: object and reason */
    int mode;                 /* POOLSIM_H5W_WHOLE, _SKELETON or _FILL */
    int mismatch;             /* FILL met another dataset than the one expected */
    poolsim_h5w_slot *slots;  /* SKELETON's placeholders, in order */
    size_t nslots, cap, next; /* next: the slot FILL fills next */
    unsigned nvalues;         /* placeholder values handed out */
    double *scratch;          /* SKELETON: placeholders of one dataset */
    size_t nscratch;
    unsigned char *image; /* FILL: the image, and where each placeholder is in it */
    size_t *offset;
} poolsim_h5w;

/* Type-conversion buffer of a dataset write (bytes). HDF5's default is
 * 1 MiB, allocated and zeroed by every write that converts (the string
 * datasets: 256 fresh pages each); longer data is converted in pieces. */
#define POOLSIM_H5UTIL_TCONV_BYTES 4096

/* Clear w and create its properties (object times not tracked) and string
 * type. Returns 0, or -1 when HDF5 refused: that is not recorded in w, the
 * caller reports it (with its own file properties). Pair with _writer_close
 * either way. */
int poolsim_h5util_writer_open(poolsim_h5w *w, int detailed);
void poolsim_h5util_writer_close(poolsim_h5w *w);
/* Free the placeholders' records (SKELETON, FILL); w->image is not freed. */
void poolsim_h5util_slots_free(poolsim_h5w *w);

/* SKELETON: n placeholders for the values `name` written elsewhere (a
 * scalar attribute), into out[n]; FILL takes them in the same order. */
void poolsim_h5util_placeholder(poolsim_h5w *w, const char *name, double *out /* OUT */, size_t n);
/* FILL: x[n] over the next placeholders, which must be `name`'s. */
void poolsim_h5util_fill(poolsim_h5w *w, const char *name, const double *x, size_t n);
/* After SKELETON: find every placeholder in image[size], the file's
 * image, exactly once, and keep image for FILL. Returns 0, or -1 when
 * they are not all there exactly once (recorded as a failure). */
int poolsim_h5util_locate(poolsim_h5w *w, unsigned char *image, size_t size);

/* Metadata cache of a file written in one pass (fapl): fixed at `bytes`,
 * no adaptive resizing. Each object is created, written and closed once,
 * so a small cache evicts it soon after (serialised once, as the final
 * flush would) instead of holding every object header with its decoded
 * messages to the end: fewer fresh pages, a short final flush and close.
 * HDF5's default starts at 2 MiB and grows. Returns H5Pset_mdc_config's. */
#define POOLSIM_H5UTIL_CACHE_BYTES ((size_t)64 << 10)
herr_t poolsim_h5util_small_cache(hid_t fapl, size_t bytes);

/* Record the first failure: `doing` names the action, `name` the object
 * under loc (loc only read in the detailed style; H5I_INVALID_HID: "/"). In
 * the detailed style the reason comes from HDF5's error stack, which the
 * failing call just filled. */
void poolsim_h5util_fail(poolsim_h5w *w, hid_t loc, const char *doing, const char *name);
/* Record the first failure as exactly this message. */
void poolsim_h5util_fail_msg(poolsim_h5w *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Record the first failure as running out of memory while writing `name`. */
void poolsim_h5util_fail_nomem(poolsim_h5w *w, const char *name);

/* Path of the object `name` under loc, "/" + name when loc has no name,
 * into out[size]. */
void poolsim_h5util_where(hid_t loc, const char *name, char *out /* OUT */, size_t size);

/* A copy of the variable-length UTF-8 string type (H5Tclose it), or
 * H5I_INVALID_HID. */
hid_t poolsim_h5util_utf8_type(void);

/* H5Oclose when id is valid. */
void poolsim_h5util_close(hid_t id);

/* A new group under loc (H5I_INVALID_HID after a failure). */
hid_t poolsim_h5util_group(poolsim_h5w *w, hid_t loc, const char *name);

/* Scalar attributes: file type ftype from memory type mtype at v; strings
 * are written as w->str (NULL as ""); integers as 32-bit little-endian. */
void poolsim_h5util_attr(poolsim_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                         const void *v);
void poolsim_h5util_attr_str(poolsim_h5w *w, hid_t loc, const char *name, const char *s);
void poolsim_h5util_attr_int(poolsim_h5w *w, hid_t loc, const char *name, int v);

/* A dataset of `rank` dims (rank 0: scalar) with string attributes `units`
 * and `description`. dcpl: w->dcpl, or a chunked copy of it. With w->dcpl a
 * small dataset (at most POOLSIM_H5UTIL_COMPACT_BYTES of data) is stored
 * compact, in its object header: the same data and shape for any reader,
 * and a quarter of the file's datasets written in less time. */
#define POOLSIM_H5UTIL_COMPACT_BYTES 8192
void poolsim_h5util_dataset(poolsim_h5w *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                            int rank, const hsize_t *dims, hid_t dcpl, const void *data,
                            const char *units, const char *description);

/* x[n] as 64-bit little-endian floats. */
void poolsim_h5util_vec(poolsim_h5w *w, hid_t loc, const char *name, const double *x, size_t n,
                        const char *units, const char *description);

/* s[n] as UTF-8 strings (NULL as ""), units "". */
void poolsim_h5util_strings(poolsim_h5w *w, hid_t loc, const char *name, char *const *s, size_t n,
                            const char *description);

/* [n][2] = lo[i], hi[i] as floats; buf: 2n doubles of workspace. */
void poolsim_h5util_pairs(poolsim_h5w *w, hid_t loc, const char *name, const double *lo,
                          const double *hi, size_t n, double *buf, const char *units,
                          const char *description);

/* ---- Reading untrusted files (src/h5in.c, src/sweep_h5.c) ----
 * Checks made before an object is opened or read, so that a crafted file
 * cannot make HDF5 follow links out of the file, read other files or
 * allocate without bound (docs/RESULTS.md "Reading"). */

/* Longest string accepted from a file (bytes): a scenario's text with its
 * counties CSV fits many times over. */
#define POOLSIM_H5_MAX_STRING (64u << 20)
/* Most bytes all the strings of one string dataset may take. */
#define POOLSIM_H5_MAX_STRINGS (256u << 20)

/* NULL when `name` is one path component (not empty, no '/', not "." or
 * "..") that is a hard link under loc; otherwise why not (a static
 * string: "missing", "a soft link", "an external link", "not a plain
 * name"). Soft and external links are refused: they could point at other
 * files, FIFOs or loops. */
const char *poolsim_h5util_hard_link(hid_t loc, const char *name);

/* NULL when dataset d keeps its raw data in this file (contiguous, compact
 * or chunked storage, no external files); otherwise why not. */
const char *poolsim_h5util_own_storage(hid_t d);

/* NULL when a string type of n elements is within the limits above (fixed
 * length: size <= POOLSIM_H5_MAX_STRING and n * size <= max_total);
 * otherwise why not (into why[size]). Variable-length strings pass: their
 * bytes are in the file. */
const char *poolsim_h5util_string_size(hid_t ftype, size_t n, size_t max_total, char *why,
                                       size_t size);

/* ---- Sticky-error reader (results and sweep files: untrusted input) ----
 * After the first failure every helper does nothing; `what` then says
 * "<object path>: <reason>". Links must be plain hard links to objects of
 * this file (poolsim_h5util_hard_link), datasets keep their data in the
 * file (poolsim_h5util_own_storage), strings are size-checked
 * (poolsim_h5util_string_size) before anything is read. */
typedef struct {
    int status; /* POOLSIM_OK, or the first failure's code */
    char what[512];
} poolsim_h5r;

void poolsim_h5r_fail(poolsim_h5r *rd, int status, hid_t loc, const char *name, const char *why);
void poolsim_h5r_fail_msg(poolsim_h5r *rd, int status, const char *why);
/* Group `name` under loc (H5I_INVALID_HID after a failure, recorded). */
hid_t poolsim_h5r_group(poolsim_h5r *rd, hid_t loc, const char *name);
/* A string attribute (fixed or variable length) as a malloc'ed copy. */
void poolsim_h5r_attr_str(poolsim_h5r *rd, hid_t loc, const char *name, char **out /* OUT */);
/* A numeric scalar attribute (integer or float class) converted to mtype. */
void poolsim_h5r_attr_num(poolsim_h5r *rd, hid_t loc, const char *name, hid_t mtype,
                          void *out /* OUT */);
/* Open a dataset and check its class and shape (rank 0: scalar). When
 * dims_out is given the extent is returned instead of checked. */
hid_t poolsim_h5r_dataset(poolsim_h5r *rd, hid_t loc, const char *name, H5T_class_t cls, int rank,
                          const hsize_t *dims, hsize_t *dims_out /* OUT */);
/* Read a dataset of class cls and exactly the shape dims into out. */
void poolsim_h5r_read(poolsim_h5r *rd, hid_t loc, const char *name, H5T_class_t cls, hid_t mtype,
                      int rank, const hsize_t *dims, void *out /* OUT */);
/* A 1-D string dataset of n elements into out[n] (malloc'ed copies). */
void poolsim_h5r_strings(poolsim_h5r *rd, hid_t loc, const char *name, int n, char **out /* OUT */);
/* Length of a 1-D dataset of class cls (0 on failure, recorded). */
hsize_t poolsim_h5r_length(poolsim_h5r *rd, hid_t loc, const char *name, H5T_class_t cls);
/* Dataset `name` under loc: a hard link to data kept in this file
 * (H5I_INVALID_HID otherwise). */
hid_t poolsim_h5util_open_dataset(hid_t loc, const char *name);
/* Read a dataset of exactly n elements (any rank) of memory type mtype
 * into buf; the file type's class must be mtype's (strings within the size
 * limits). */
void poolsim_h5r_read_count(poolsim_h5r *r, hid_t loc, const char *name, hid_t mtype, void *buf,
                            size_t n);

#endif
