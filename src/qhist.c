/* poolsim: mergeable logarithmic quantile histograms (see qhist.h). */
#include "poolsim/qhist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "poolsim/common.h"

typedef struct {
    int64_t zeros, total;
    double min, max; /* exact extremes of the values counted */
    /* pages of POOLSIM_QHIST_SUB counts (32-bit: a bucket never counts more
     * than the run's paths) for the exponent indices lo .. lo + n - 1 seen so
     * far, NULL where no value fell: a channel's values span a few binary
     * exponents, so the window stays small (a table over all 2,100 would
     * take 16.8 KB per channel) */
    int32_t **page;
    int lo, n;
} qchan;

struct poolsim_qhist {
    size_t nchan;
    qchan *ch;
};

poolsim_qhist *poolsim_qhist_alloc(size_t nchan)
{
    poolsim_qhist *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->nchan = nchan;
    h->ch = calloc(nchan, sizeof *h->ch);
    if (!h->ch) {
        free(h);
        return NULL;
    }
    for (size_t c = 0; c < nchan; c++) {
        h->ch[c].min = INFINITY;
        h->ch[c].max = -INFINITY;
    }
    return h;
}

void poolsim_qhist_free(poolsim_qhist *h)
{
    if (!h) return;
    for (size_t c = 0; c < h->nchan; c++) {
        for (int i = 0; i < h->ch[c].n; i++) free(h->ch[c].page[i]);
        free(h->ch[c].page);
    }
    free(h->ch);
    free(h);
}

/* The page of exponent index e, or NULL when no value fell there. */
static int32_t *page_at(const qchan *q, int e)
{
    return e >= q->lo && e < q->lo + q->n ? q->page[e - q->lo] : NULL;
}

/* The page of exponent index e, allocated (and the window widened) when
 * new; NULL when out of memory. */
static int32_t *page_get(qchan *q, int e)
{
    if (e < q->lo || e >= q->lo + q->n) {
        int lo = q->n == 0 || e < q->lo ? e : q->lo;
        int hi = q->n > 0 && q->lo + q->n > e + 1 ? q->lo + q->n : e + 1;
        int32_t **pg = calloc((size_t)(hi - lo), sizeof *pg);
        if (!pg) return NULL;
        if (q->n > 0) memcpy(pg + (q->lo - lo), q->page, (size_t)q->n * sizeof *pg);
        free(q->page);
        q->page = pg;
        q->lo = lo;
        q->n = hi - lo;
    }
    int32_t **slot = &q->page[e - q->lo];
    if (!*slot) *slot = calloc(POOLSIM_QHIST_SUB, sizeof(int32_t));
    return *slot;
}

/* The bucket of x > 0 (finite): x = m 2^e with m in [0.5, 1) as frexp
 * gives them, sub = floor((m - 0.5) 2048). For a normal x, whose biased
 * exponent field is E and fraction field f (52 bits), m = (1 + f 2^-52) / 2
 * and e = E - 1022, so (m - 0.5) 2048 = f 2^-42 and sub is the top 10 bits
 * of f: read from the bits, without frexp's call. Subnormals go through
 * frexp (tests/test_qhist.c compares both over every exponent). */
void poolsim_qhist_bucket(double x, int *ei, int *sub)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    int E = (int)((u >> 52) & 0x7ff);
    if (E != 0) {
        *ei = E - 1022 - POOLSIM_QHIST_EMIN;
        *sub = (int)((u >> 42) & (POOLSIM_QHIST_SUB - 1));
        return;
    }
    int e;
    double m = frexp(x, &e); /* x = m 2^e, m in [0.5, 1) */
    int s = (int)((m - 0.5) * (2.0 * POOLSIM_QHIST_SUB));
    if (s >= POOLSIM_QHIST_SUB) s = POOLSIM_QHIST_SUB - 1;
    *ei = e - POOLSIM_QHIST_EMIN;
    *sub = s;
}

static double bucket_mid(int ei, int sub)
{
    double m = 0.5 + ((double)sub + 0.5) / (2.0 * POOLSIM_QHIST_SUB);
    return ldexp(m, ei + POOLSIM_QHIST_EMIN);
}

int poolsim_qhist_add_many(poolsim_qhist *h, size_t chan, const double *x, size_t n, size_t stride)
{
    enum { CHUNK = 64 };
    qchan *q = &h->ch[chan];
    int32_t *cell[CHUNK]; /* the counts to increment, prefetched before the increments */
    int32_t *pg = NULL;
    int pe = -1;
    for (size_t j0 = 0; j0 < n; j0 += CHUNK) {
        size_t m = n - j0 < CHUNK ? n - j0 : CHUNK, k = 0;
        int rc = POOLSIM_OK;
        for (size_t j = j0; j < j0 + m; j++) {
            double v = x[j * stride];
            if (!(v >= 0) || !isfinite(v)) {
                rc = POOLSIM_ENUM;
                break;
            }
            q->total++;
            if (v < q->min) q->min = v;
            if (v > q->max) q->max = v;
            if (v == 0) {
                q->zeros++;
                continue;
            }
            int ei, sub;
            poolsim_qhist_bucket(v, &ei, &sub);
            if (ei != pe) { /* values of one channel mostly share an exponent */
                if (!(pg = page_get(q, ei))) {
                    rc = POOLSIM_ENOMEM;
                    break;
                }
                pe = ei;
            }
            cell[k] = &pg[sub];
            __builtin_prefetch(cell[k], 1);
            k++;
        }
        for (size_t i = 0; i < k; i++) (*cell[i])++;
        if (rc != POOLSIM_OK) return rc;
    }
    return POOLSIM_OK;
}

int poolsim_qhist_merge(poolsim_qhist *dst, const poolsim_qhist *src)
{
    if (dst->nchan != src->nchan) return POOLSIM_ENUM;
    for (size_t c = 0; c < src->nchan; c++) {
        const qchan *s = &src->ch[c];
        qchan *d = &dst->ch[c];
        d->zeros += s->zeros;
        d->total += s->total;
        if (s->min < d->min) d->min = s->min;
        if (s->max > d->max) d->max = s->max;
        for (int e = s->lo; e < s->lo + s->n; e++) {
            const int32_t *sp = page_at(s, e);
            if (!sp) continue;
            int32_t *pg = page_get(d, e);
            if (!pg) return POOLSIM_ENOMEM;
            for (int k = 0; k < POOLSIM_QHIST_SUB; k++) pg[k] += sp[k];
        }
    }
    return POOLSIM_OK;
}

int64_t poolsim_qhist_count(const poolsim_qhist *h, size_t chan)
{
    return h->ch[chan].total;
}

static double clampv(const qchan *q, double v)
{
    return v < q->min ? q->min : v > q->max ? q->max : v;
}

/* Value of the k-th smallest (0-based) count in the channel. */
static double order_stat(const qchan *q, int64_t k)
{
    if (k < q->zeros) return 0.0;
    int64_t cum = q->zeros;
    for (int e = q->lo; e < q->lo + q->n; e++) {
        const int32_t *pg = page_at(q, e);
        if (!pg) continue;
        for (int s = 0; s < POOLSIM_QHIST_SUB; s++) {
            cum += pg[s];
            if (k < cum) return clampv(q, bucket_mid(e, s));
        }
    }
    return q->max;
}

double poolsim_qhist_quantile7(const poolsim_qhist *h, size_t chan, double p)
{
    const qchan *q = &h->ch[chan];
    if (q->total == 0) return NAN;
    if (q->total == 1) return q->min;
    double hh = (double)(q->total - 1) * p;
    int64_t lo = (int64_t)floor(hh);
    if (lo >= q->total - 1) return q->max;
    double frac = hh - (double)lo;
    if (lo == 0 && frac == 0) return q->min;
    double a = lo == 0 ? q->min : order_stat(q, lo);
    double b = lo + 1 == q->total - 1 ? q->max : order_stat(q, lo + 1);
    return a + frac * (b - a);
}

double poolsim_qhist_cvar_upper(const poolsim_qhist *h, size_t chan, double alpha)
{
    const qchan *q = &h->ch[chan];
    if (q->total == 0) return NAN;
    int64_t k = (int64_t)ceil(alpha * (double)q->total - 1e-9);
    if (k < 1) k = 1;
    if (k > q->total) k = q->total;
    /* walk down from the top bucket; what is left after the buckets is zeros */
    double sum = 0;
    int64_t need = k;
    for (int e = q->lo + q->n - 1; need > 0 && e >= q->lo; e--) {
        const int32_t *pg = page_at(q, e);
        if (!pg) continue;
        for (int s = POOLSIM_QHIST_SUB - 1; s >= 0 && need > 0; s--) {
            if (pg[s] == 0) continue;
            int64_t take = pg[s] < need ? pg[s] : need;
            sum += (double)take * clampv(q, bucket_mid(e, s));
            need -= take;
        }
    }
    return sum / (double)k;
}

size_t poolsim_qhist_packed_size(const poolsim_qhist *h)
{
    size_t n = 0;
    for (size_t c = 0; c < h->nchan; c++) {
        n += 5;
        for (int i = 0; i < h->ch[c].n; i++)
            if (h->ch[c].page[i]) n += 1 + POOLSIM_QHIST_SUB;
    }
    return n;
}

static int64_t dbits(double v)
{
    int64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double bitsd(int64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

void poolsim_qhist_pack(const poolsim_qhist *h, int64_t *buf)
{
    size_t i = 0;
    for (size_t c = 0; c < h->nchan; c++) {
        const qchan *q = &h->ch[c];
        int64_t np = 0;
        for (int j = 0; j < q->n; j++) np += q->page[j] != NULL;
        buf[i++] = q->zeros;
        buf[i++] = q->total;
        buf[i++] = dbits(q->min);
        buf[i++] = dbits(q->max);
        buf[i++] = np;
        for (int e = q->lo; e < q->lo + q->n; e++) {
            const int32_t *pg = page_at(q, e);
            if (!pg) continue;
            buf[i++] = e;
            for (int k = 0; k < POOLSIM_QHIST_SUB; k++) buf[i + (size_t)k] = pg[k];
            i += POOLSIM_QHIST_SUB;
        }
    }
}

int poolsim_qhist_unpack_add(poolsim_qhist *h, const int64_t *buf, size_t n)
{
    size_t i = 0;
    for (size_t c = 0; c < h->nchan; c++) {
        if (i + 5 > n) return POOLSIM_ENUM;
        qchan *q = &h->ch[c];
        q->zeros += buf[i++];
        q->total += buf[i++];
        double mn = bitsd(buf[i++]), mx = bitsd(buf[i++]);
        if (mn < q->min) q->min = mn;
        if (mx > q->max) q->max = mx;
        int64_t np = buf[i++];
        for (int64_t k = 0; k < np; k++) {
            if (i + 1 + POOLSIM_QHIST_SUB > n) return POOLSIM_ENUM;
            int64_t e = buf[i++];
            if (e < 0 || e >= POOLSIM_QHIST_NEXP) return POOLSIM_ENUM;
            int32_t *pg = page_get(q, (int)e);
            if (!pg) return POOLSIM_ENOMEM;
            for (int s = 0; s < POOLSIM_QHIST_SUB; s++) {
                int64_t v = (int64_t)pg[s] + buf[i + (size_t)s];
                if (v < 0 || v > INT32_MAX) return POOLSIM_ENUM;
                pg[s] = (int32_t)v;
            }
            i += POOLSIM_QHIST_SUB;
        }
    }
    return i == n ? POOLSIM_OK : POOLSIM_ENUM;
}

int poolsim_qhist_add(poolsim_qhist *h, size_t chan, double x)
{
    return poolsim_qhist_add_many(h, chan, &x, 1, 1);
}
