/* poolsim: the results schema table (schema.h) and its small helpers. */
#include "poolsim/schema.h"

#define POOLSIM_SCHEMA_ROW(name, kind, shape, src, since, units, desc)                             \
    {#name, POOLSIM_KIND_##kind, POOLSIM_SHAPE_##shape, POOLSIM_SRC_##src, since, units, desc},
const poolsim_schema_row poolsim_schema[POOLSIM_SCHEMA_NROWS] = {
    POOLSIM_SCHEMA(POOLSIM_SCHEMA_ROW)};
#undef POOLSIM_SCHEMA_ROW

size_t poolsim_schema_shape_size(int shape, const poolsim_dims *d)
{
    size_t T = (size_t)d->T, L = (size_t)d->L, C = (size_t)d->C, R = (size_t)d->R;
    switch (shape) {
    case POOLSIM_SHAPE_LT: return L * T;
    case POOLSIM_SHAPE_LT1: return L * (T + 1);
    case POOLSIM_SHAPE_L: return L;
    case POOLSIM_SHAPE_LCT: return L * C * T;
    case POOLSIM_SHAPE_LC: return L * C;
    case POOLSIM_SHAPE_CT: return C * T;
    case POOLSIM_SHAPE_C: return C;
    case POOLSIM_SHAPE_RT: return R * T;
    case POOLSIM_SHAPE_LTQ: return L * T * POOLSIM_NQ;
    default: return 0;
    }
}

int poolsim_schema_span(int shape, size_t index, int T, size_t *off, size_t *n)
{
    size_t uT = (size_t)T;
    switch (shape) {
    case POOLSIM_SHAPE_LT1: *off = index * (uT + 1), *n = uT + 1; return 0;
    case POOLSIM_SHAPE_L:
    case POOLSIM_SHAPE_LC:
    case POOLSIM_SHAPE_C: *off = index, *n = 1; return 1;
    default: *off = index * uT, *n = uT; return 0;
    }
}

int poolsim_schema_components(int kind, const char *names[POOLSIM_SCHEMA_MAXCOMP])
{
    static const char *const vec[] = {""}, *const prob[] = {"prob", "lo", "hi"},
                             *const ms[] = {"mean", "se"}, *const dist[] = {"mean", "se", "q"},
                             *const tail[] = {"mean", "se", "p95", "p99", "cvar95"};
    const char *const *src = vec;
    int n = 1;
    switch (kind) {
    case POOLSIM_KIND_PROB: src = prob, n = 3; break;
    case POOLSIM_KIND_MS: src = ms, n = 2; break;
    case POOLSIM_KIND_DIST: src = dist, n = 3; break;
    case POOLSIM_KIND_TAIL: src = tail, n = 5; break;
    default: break;
    }
    for (int i = 0; i < n; i++) names[i] = src[i];
    return n;
}

const char *poolsim_schema_kind_name(int kind)
{
    static const char *const n[] = {"VEC", "RATE", "PROB", "MS", "DIST", "TAIL"};
    return kind >= 0 && kind <= POOLSIM_KIND_TAIL ? n[kind] : "?";
}

const char *poolsim_schema_shape_name(int shape)
{
    static const char *const n[] = {"[L][T]", "[L][T+1]", "[L]",    "[L][C][T]", "[L][C]",
                                    "[C][T]", "[C]",      "[R][T]", "[L][T][7]"};
    return shape >= 0 && shape <= POOLSIM_SHAPE_LTQ ? n[shape] : "?";
}

/* Where rows of a shape are stored (HDF5 group; the JSON object follows
 * the same path). */
static const char *shape_where(int shape)
{
    switch (shape) {
    case POOLSIM_SHAPE_LT:
    case POOLSIM_SHAPE_LT1:
    case POOLSIM_SHAPE_L: return "/lines/<line>";
    case POOLSIM_SHAPE_LCT:
    case POOLSIM_SHAPE_LC: return "/lines/<line>/counties/<county>";
    case POOLSIM_SHAPE_CT:
    case POOLSIM_SHAPE_C: return "/county_totals/<county> (JSON: counties.<county>)";
    case POOLSIM_SHAPE_RT: return "/lines/<line>/management/<rule>";
    default: return "?";
    }
}

void poolsim_schema_markdown(FILE *f)
{
    fputs("| member | summary | per location | where | units | description |\n"
          "|---|---|---|---|---|---|\n",
          f);
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        const poolsim_schema_row *w = &poolsim_schema[row];
        const char *members, *summary;
        char buf[96];
        switch (w->kind) {
        case POOLSIM_KIND_PROB:
            snprintf(buf, sizeof buf, "`%s_prob`, `%s_ci`", w->name, w->name);
            members = buf;
            summary = "share of paths; Wilson 95% interval [lo, hi]";
            break;
        case POOLSIM_KIND_MS:
            snprintf(buf, sizeof buf, "`%s/{mean,se}`", w->name);
            members = buf, summary = "mean, standard error";
            break;
        case POOLSIM_KIND_DIST:
            snprintf(buf, sizeof buf, "`%s/{mean,se,p01,p05,p25,p50,p75,p95,p99}`", w->name);
            members = buf, summary = "mean, standard error, type-7 quantiles";
            break;
        case POOLSIM_KIND_TAIL:
            snprintf(buf, sizeof buf, "`%s/{mean,se,p95,p99,cvar95}`", w->name);
            members = buf, summary = "mean, standard error, p95, p99, CVaR95";
            break;
        case POOLSIM_KIND_RATE:
            snprintf(buf, sizeof buf, "`%s`", w->name);
            members = buf, summary = "share of paths";
            break;
        default:
            snprintf(buf, sizeof buf, "`%s`", w->name);
            members = buf, summary = "values";
            break;
        }
        const char *per;
        switch (w->shape) {
        case POOLSIM_SHAPE_LT:
        case POOLSIM_SHAPE_LCT:
        case POOLSIM_SHAPE_CT:
        case POOLSIM_SHAPE_RT: per = "[T]"; break;
        case POOLSIM_SHAPE_LT1: per = "[T+1]"; break;
        default: per = "scalar"; break;
        }
        fprintf(f, "| %s | %s | %s | `%s` | %s | %s%s |\n", members, summary, per,
                shape_where(w->shape), w->units, w->description,
                w->since > 1 ? " (added after format 1: may be absent from older files)" : "");
    }
}
