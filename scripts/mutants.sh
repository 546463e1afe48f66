#!/bin/sh
# Mutation testing: apply each one-line bug of the list below to a scratch
# copy of the tree (never the tree itself), build, run the tests, and report
# whether the tests noticed (killed) or not (survived).
#
# Usage: scripts/mutants.sh [options] [ID...]
#   -l            list the mutants and exit
#   -v            verify the list (each bug changes exactly one line) and exit
#   -s SUITES     CUnit suites run for every mutant, after the mutant's own
#                 (default: all suites)
#   -c TESTS      command-line tests (names in tests/cli/) run when the CUnit
#                 suites pass (default: "$CLI_DEFAULT")
#   -t SECONDS    time limit of the tests of one mutant (default 900): a mutant
#                 whose tests run out of time counts as killed (timeout)
#   -b SECONDS    total time budget: no mutant is started after it (default 0:
#                 none); the ones not run are reported as such
#   -o FILE       also write the report to FILE
#   ID...         run only these mutants
#
# Each mutant runs its own CUnit suites first (the ones that should notice),
# then the -s suites, then the -c command-line tests, and stops at the first
# failure. A mutant that does not compile is "stillborn" (not counted).
# A mutant marked "s" in the list is a known survivor (the bug is harmless or
# cannot be observed; the reason is in its description): it does not make
# the script fail. Exit status: 0 when every mutant marked "k" was killed,
# 1 otherwise, 2 on a usage or setup error.
#
# The scratch copy: the files git knows (tracked and untracked, not ignored)
# plus build/ (so only what a mutant touches is recompiled), in a temporary
# folder removed at the end.
set -u
CLI_DEFAULT="summary.sh sweep.sh compare.sh plot.sh"
cd "$(dirname "$0")/.." || exit 2
root=$PWD

# ID @@ FILE @@ OWN SUITES @@ k|s @@ DESCRIPTION @@ SED EXPRESSION
mutants() {
    cat <<'EOF'
1 @@ src/rules.c @@ rules @@ k @@ stop mode: the levy stops only strictly above the cap (>= -> >) @@ s/return reserve >= cap ? LEVY_NONE : LEVY_FULL;/return reserve > cap ? LEVY_NONE : LEVY_FULL;/
2 @@ src/rules.c @@ rules @@ k @@ stop mode: the cap is never tested (the levy always paid) @@ s/return reserve >= cap ? LEVY_NONE : LEVY_FULL;/return 0 * (reserve >= cap) + LEVY_FULL;/
3 @@ src/rules.c @@ rules @@ k @@ top_up: the room under the cap ignores the reserve @@ s/const double room = dmax(0.0, cap - reserve);/const double room = dmax(0.0, cap);/
4 @@ src/rules.c @@ rules @@ k @@ a ratio on a bracket edge goes to the upper bracket (<= -> <) @@ s/for (int k = 0; k < nb - 1; k++) i += !(q <= p->up_to\[k\]);/for (int k = 0; k < nb - 1; k++) i += !(q < p->up_to[k]);/
5 @@ src/rules.c @@ rules @@ k @@ exhausted when the reserve exactly covers what is due (< -> <=) @@ s/const int exhausted = have < due;/const int exhausted = have <= due;/
6 @@ src/rules.c @@ rules @@ k @@ no interest on the reserve @@ s/\*reserve \*= 1.0 + p->reserve_interest;/*reserve *= 1.0;/
7 @@ src/rules.c @@ rules @@ k @@ uncovered: city, the unpaid rest charged to the county government as well @@ s/    k->county_share = city ? gov : gov + miss;/    k->county_share = gov + miss;/
8 @@ src/rules.c @@ rules @@ k @@ marginal sharing: each slice pays on its upper end @@ s/if (hi > lo) r += p->reserve_share\[k\] \* (hi - lo);/if (hi > lo) r += p->reserve_share[k] * hi;/
9 @@ src/rules.c @@ rules @@ k @@ the county's own balance is not used first @@ s/            used = dmin(b, x);/            used = 0.0;/
10 @@ src/rules.c @@ pooling @@ k @@ gap_key enrolees weighs by financing @@ s/case POOLSIM_GAP_ENROLEES: w\[c\] = cty\[c\].enrolees; break;/case POOLSIM_GAP_ENROLEES: w[c] = cty[c].financing; break;/
11 @@ src/rules.c @@ pooling @@ k @@ gap_key deficit also weighs surpluses @@ s/case POOLSIM_GAP_DEFICIT: w\[c\] = dmax(0.0, -cty\[c\].result); break;/case POOLSIM_GAP_DEFICIT: w[c] = fabs(cty[c].result); break;/
12 @@ src/rules.c @@ pooling @@ k @@ the city's and the counties' shares of a gap swapped @@ s/const double city = p->city_share \* g, counties = (1.0 - p->city_share) \* g;/const double city = (1.0 - p->city_share) * g, counties = p->city_share * g;/
13 @@ src/rules.c @@ pooling @@ k @@ unified: the overspend tolerance ignored @@ s/k->overspend = dmax(0.0, -k->result - p->tolerance \* k->financing);/k->overspend = dmax(0.0, -k->result);/
14 @@ src/rules.c @@ pooling @@ k @@ transition: the county balances are not moved up @@ s/        b += balance\[c\];/        b += 0.0;/
15 @@ src/engine.c @@ engine @@ k @@ record: financing stored as the expenditure @@ s/                rec\[lay->financing + i\] = F;/                rec[lay->financing + i] = E;/
16 @@ src/engine.c @@ engine @@ k @@ first exhaustion year one too early @@ s/rec\[lay->first_exh + (size_t)l\] = t + 1;/rec[lay->first_exh + (size_t)l] = t;/
17 @@ src/engine.c @@ engine @@ k @@ the levy basis stays at year 1's @@ s/                fprev\[c\] = F;/                (void)fprev;/
18 @@ src/engine.c @@ engine @@ k @@ global budget: the retention of an underspend ignored @@ s/A = A <= B ? A + retention \* (B - A)/A = A <= B ? A/
19 @@ src/engine.c @@ engine @@ k @@ the epidemic factor is not applied to claims @@ s/? d->J\[t\] : 1.0)/? 1.0 : 1.0)/
20 @@ src/engine.c @@ engine @@ k @@ the reserve ratio from the opening reserve @@ s/rec\[lay->reserve_ratio + lt\] = lo.reserve_end \/ lo.financing_total;/rec[lay->reserve_ratio + lt] = lo.reserve_open \/ lo.financing_total;/
21 @@ src/engine.c @@ engine @@ k @@ the drivers drawn on simulation.seed instead of the run's seed @@ s/poolsim_drivers_draw_seed(pl->s, seed, path, \&w->rng, w->drv);/poolsim_drivers_draw(pl->s, path, \&w->rng, w->drv);/
22 @@ src/plan.c @@ engine @@ k @@ the deductible not indexed with prices @@ s/poolsim_claims_payment_moments(q->cost0 \* P, q->cv, q->deductible \* scale,/poolsim_claims_payment_moments(q->cost0 * P, q->cv, q->deductible,/
23 @@ src/stats.c @@ stats engine @@ k @@ standard error too large by sqrt(2) @@ s/c\[1\]\[i\] = n > 1 ? sqrt(st->m2\[o + i\] \/ (dn - 1) \/ dn) : 0.0;/c[1][i] = n > 1 ? sqrt(2 * st->m2[o + i] \/ (dn - 1) \/ dn) : 0.0;/
24 @@ src/stats.c @@ stats @@ k @@ quantile index rounded up @@ s/^    size_t lo = (size_t)floor(h);/    size_t lo = (size_t)ceil(h);/
25 @@ src/stats.c @@ stats @@ k @@ CVaR over one value too many @@ s/^    if (k > n) k = n;/    if (++k > n) k = n;/
26 @@ src/stats.c @@ stats @@ k @@ P(exhausted by year t) without the earlier years @@ s/cum += st->first_count\[l \* (T + 1) + t\];/cum = st->first_count[l * (T + 1) + t];/
27 @@ src/stats.c @@ stats @@ k @@ Wilson interval of a shortfall share: lo and hi swapped @@ s/poolsim_wilson(k, dn, \&c\[1\]\[i\], \&c\[2\]\[i\]);/poolsim_wilson(k, dn, \&c[2][i], \&c[1][i]);/
28 @@ src/results.c @@ stats plot @@ k @@ Wilson z of a 90% interval instead of 95% @@ s/const double z = 1.959963984540054;/const double z = 1.6448536269514722;/
29 @@ src/claims.c @@ claims @@ k @@ LEV2 with the first moment's shift @@ s/\*l2 = m2 \* gsl_cdf_ugaussian_P(z - 2 \* s) + x \* x \* q;/*l2 = m2 * gsl_cdf_ugaussian_P(z - s) + x * x * q;/
30 @@ src/claims.c @@ claims @@ k @@ normal approximation: the sd not scaled by the claim count @@ s/return fmax(0.0, lambda \* m->ey + sqrt(lambda \* m->ey2) \* z);/return fmax(0.0, lambda * m->ey + sqrt(m->ey2) * z);/
31 @@ src/drivers.c @@ drivers @@ k @@ wage-inflation correlation: the square root dropped @@ s/double corr_c = sqrt(fmax(0.0, 1 - corr \* corr));/double corr_c = fmax(0.0, 1 - corr * corr);/
32 @@ src/drivers.c @@ drivers @@ k @@ utilisation index not corrected to mean 1 @@ s/d->U\[c \* T + t - 1\] = d->x\[c\] - 0.5 \* v;/d->U[c * T + t - 1] = d->x[c];/
33 @@ src/drivers.c @@ drivers @@ k @@ prices grow at the mean inflation only @@ s/d->P\[t - 1\] = d->P\[t - 2\] \* (1 + pi);/d->P[t - 1] = d->P[t - 2] * (1 + mp->mean);/
34 @@ src/drivers.c @@ drivers @@ s @@ an epidemic when u <= prob (equivalent: u = prob exactly has probability about 2^-53 a year) @@ s/if (u < prob)/if (u <= prob)/
35 @@ src/h5out.c @@ h5out @@ k @@ HDF5 writer: se written from the means @@ s/values(w, g, "se", c\[1\] + off, n, one, sr->units, SE_DESC);/values(w, g, "se", c[0] + off, n, one, sr->units, SE_DESC);/
36 @@ src/h5in.c @@ h5out @@ k @@ HDF5 reader: quantiles read in reverse order @@ s/values(rd, g, poolsim_quantile_names\[k\], n, one, buf);/values(rd, g, poolsim_quantile_names[POOLSIM_NQ - 1 - k], n, one, buf);/
37 @@ src/jsonout.c @@ jsonout @@ k @@ JSON: se written from the means @@ s/set(o, "se", values(c\[1\] + off, n, one, 0));/set(o, "se", values(c[0] + off, n, one, 0));/
38 @@ src/settle.c @@ settle @@ k @@ settle: the levy basis is this year's financing @@ s/cty\[c\].levy_basis = prev\[c\].financing;/cty[c].levy_basis = cur[c].financing;/
39 @@ src/plot_charts.c @@ plot @@ k @@ fan chart: quantiles p01..p75 instead of p05..p95 @@ s/for (int k = 1; k <= 5; k++) fprintf(f, " %.10g", 100 \* qv(\&r->reserve_ratio, i, k));/for (int k = 0; k < 5; k++) fprintf(f, " %.10g", 100 * qv(\&r->reserve_ratio, i, k));/
40 @@ src/plot_charts.c @@ plot @@ k @@ exhaustion chart: the upper end drawn as the lower @@ s/100 \* r->exhaustion_lo\[i\],/100 * r->exhaustion_hi[i],/
41 @@ src/plot_charts.c @@ plot @@ k @@ burden chart: p95 and p99 swapped @@ s/r->county_burden_total.p95\[j\] \/ div, r->county_burden_total.p99\[j\] \/ div/r->county_burden_total.p99[j] \/ div, r->county_burden_total.p95[j] \/ div/
42 @@ src/sweep_eval.c @@ sweep @@ k @@ unpaired SE from one variant only @@ s/out->se_unpaired = sqrt(se0 \* se0 + se1 \* se1);/out->se_unpaired = se1;/
43 @@ src/text.c @@ sweep summary @@ k @@ CSV (sweep, compare, summary): quotes inside a field not doubled @@ s/        if (\*p == '"') fputc('"', f);/        (void)0;/
44 @@ src/solve.c @@ solve @@ k @@ solve: the wrong end of the metric's interval tested @@ s/return o->target.ge ? r->mlo\[i\] : r->mhi\[i\];/return o->target.ge ? r->mhi[i] : r->mlo[i];/
45 @@ src/solve.c @@ solve @@ k @@ solve: a target <= X tested as < X @@ s/return o->target.ge ? v >= o->target.bound : v <= o->target.bound;/return o->target.ge ? v >= o->target.bound : v < o->target.bound;/
46 @@ src/text.c @@ summary settle @@ k @@ display width: CJK characters counted one column wide @@ s/w += cw < 0 ? 1 : (size_t)cw;/w += cw < 0 ? 1 : 1;/
47 @@ src/text.c @@ sweep summary @@ k @@ CSV formula guard: a plain number is guarded too (-5 written as '-5) @@ s/return strchr("=+-@\\t\\r", s\[0\]) \&\& s\[0\] != '\\0' \&\& !plain_number(s);/return strchr("=+-@\\t\\r", s[0]) \&\& s[0] != '\\0';/
48 @@ src/scenario.c @@ scenario @@ k @@ resolved text: util_trend left out @@ s/if (variant \&\& kf \&\& !(kf \& variant)) continue;/if ((variant \&\& kf \&\& !(kf \& variant)) || strcmp(r->key, "util_trend") == 0) continue;/
49 @@ src/scenario_build.c @@ scenario @@ k @@ collection_rate defaults to 0.9 @@ s/{"collection_rate", K_PARAM, 0, R_01, 1, CP_(collection_rate), NULL, NULL},/{"collection_rate", K_PARAM, 0, R_01, 0.9, CP_(collection_rate), NULL, NULL},/
50 @@ src/scenario_build.c @@ scenario @@ k @@ values "in 0..1" accepted up to 2 @@ s/\[R_01\] = {0, 1, 0, 0, "in 0..1"}/[R_01] = {0, 2, 0, 0, "in 0..1"}/
51 @@ src/h5in.c @@ h5out @@ k @@ HDF5 reader: threads read from the ranks attribute @@ s/attr_num(rd, file, "threads", H5T_NATIVE_INT, \&r->threads);/attr_num(rd, file, "ranks", H5T_NATIVE_INT, \&r->threads);/
52 @@ src/qhist.c @@ qhist engine @@ k @@ histogram quantile interpolated the wrong way @@ s/return a + frac \* (b - a);/return a + frac * (a - b);/
53 @@ src/sweep_eval.c @@ sweep @@ k @@ paired difference taken the wrong way round (A - B) @@ s/for (long p = 0; p < n; p++) s += x1\[p\] - x0\[p\];/for (long p = 0; p < n; p++) s += x0[p] - x1[p];/
54 @@ src/engine_fold.c @@ engine @@ k @@ fold queue: the paths folded counted as whole blocks (the last one is partial) @@ s/q->folded_paths += end - first;/q->folded_paths += 256;/
55 @@ src/engine_fold.c @@ engine @@ k @@ fold queue: a block not drawn (no structure) taken for one not yet drawn @@ s/if (!x \&\& q->pstat\[j\] == POOLSIM_OK) break; \/\* not drawn yet \*\//if (!x) break;/
56 @@ src/engine.c @@ engine @@ k @@ only the first thread's TAIL candidates absorbed @@ s/            if (acc) {/            if (acc \&\& omp_get_thread_num() == 0) {/
57 @@ src/stats.c @@ stats engine @@ k @@ every TAIL candidate set taken over, not only the first @@ s/if (tailset_empty(st->tail) \&\& b->tail->cap == st->tail->cap) {/if (b->tail->cap == st->tail->cap) {/
58 @@ src/plan.c @@ plan @@ k @@ moments four rows at a time: the Hermite terms summed in another order @@ s/_mm256_mul_pd(h01, b0)),$/_mm256_mul_pd(h11, b1)),/
59 @@ src/plan.c @@ plan @@ k @@ moments four rows at a time: lanes with different tables taken as sharing the first's @@ s/if (tb \&\& c\[1\]->tab == tb \&\& /if (tb \&\& /
60 @@ src/claims.c @@ claims @@ k @@ sub-streams four at a time: a short last group takes its first stream's address for all @@ s/hb\[j\] = who\[i + j < n ? i + j : n - 1\];/hb[j] = who[i];/
61 @@ src/stats.c @@ stats engine @@ k @@ order statistics: the kept values given back without waiting for the other threads' channels @@ s/#pragma omp for schedule(dynamic, 4)$/#pragma omp for schedule(dynamic, 4) nowait/
62 @@ src/stats.c @@ stats @@ k @@ order statistics: values below the sample's smallest binned above it @@ s/return k == g->k1 ? 1 : 0;/return k == g->k1 ? 1 : 2;/
63 @@ src/stats.c @@ stats @@ k @@ order statistics: a value just below the sample's largest binned with it (clamp one too high) @@ s/d = _mm256_min_pd(d, _mm256_set1_pd(SEL_NB - 5));/d = _mm256_min_pd(d, _mm256_set1_pd(SEL_NB - 4));/
64 @@ src/stats.c @@ stats @@ k @@ order statistics: the stored 16-bit bins read at twice their index @@ s|size_t l = i + (size_t)__builtin_ctz(bits) / 2;|size_t l = i + (size_t)__builtin_ctz(bits);|
67 @@ src/stats.c @@ stats @@ k @@ TAIL candidates: the sets absorbed after the first not merged before the order statistics @@ s/                tail_settle_channel(st, st->col\[uq\], tmp);/                (void)tail_settle_channel;/
68 @@ src/stats.c @@ stats @@ k @@ TAIL candidates: a rank sends its values without the sets its threads left pending @@ s/^    tail_settle(st);$/    (void)tail_settle;/
69 @@ src/stats.c @@ stats @@ k @@ fixed channels: the moments not checked against the declared value @@ s/if (memcmp(\&st->mean\[o\], \&v, sizeof v) != 0 || st->m2\[o\] != 0) {/if (0) {/
70 @@ src/stats.c @@ stats @@ k @@ fixed channels: -0 accepted as a fixed value @@ s/!(value\[q\] == 0 \&\& signbit(value\[q\]));/1;/
71 @@ src/stats.c @@ stats @@ k @@ fixed channels: a run of kept channels after a fixed one read from the row's start @@ s/            qr\[nqr\]\[1\] = o + i;/            qr[nqr][1] = o;/
72 @@ src/engine.c @@ manage engine @@ k @@ fixed channels: the management multipliers of a line with rules declared fixed @@ s/ruled |= s->rules\[k\].line == l;/ruled |= 0;/
73 @@ src/stats.c @@ stats @@ k @@ prefault: the TAIL columns' numbers taken as kept values' columns @@ s/^        if (st->qr\[r\]\[3\]) continue;$/        (void)0;/
74 @@ src/stats.c @@ stats @@ k @@ prefault: each part but the last ends where it starts (k + 1 -> k) @@ s/total \/ (size_t)nparts \* (size_t)(k + 1), at = 0;/total \/ (size_t)nparts * (size_t)k, at = 0;/
75 @@ src/stats.c @@ stats @@ k @@ prefault: ranges that touch not joined (a page across two columns left out) @@ s/    if (r->e > r->a \&\& a == r->e) {/    if (0) {/
76 @@ src/stats.c @@ stats @@ k @@ prefault: the thread's TAIL candidates not mapped @@ s/^        if (!st->qr\[r\]\[3\]) continue;$/        if (1) continue;/
77 @@ src/stats.c @@ stats @@ k @@ warm: each page written (a zero byte) instead of read @@ s/        (void)__atomic_load_n((const char \*)a, __ATOMIC_RELAXED);/        __atomic_store_n((char *)a, 0, __ATOMIC_RELAXED);/
78 @@ src/stats.c @@ stats @@ s @@ warm: the pages mapped but not read (only the time changes: the first access the hypervisor handles, which no guest counter shows and no test may time) @@ s/populate(a, e) \&\& r->touch_too) touch(a, e, pg, r->stop);/populate(a, e) \&\& 0) touch(a, e, pg, r->stop);/
EOF
}

field() { # field N of a list line
    printf '%s\n' "$1" | awk -v n="$2" 'BEGIN { FS = " @@ " } { print $n }'
}

list=0 verify=0 suites="" cli=$CLI_DEFAULT limit=900 budget=0 out=""
while getopts lvs:c:t:b:o: opt; do
    case $opt in
    l) list=1 ;;
    v) verify=1 ;;
    s) suites=$OPTARG ;;
    c) cli=$OPTARG ;;
    t) limit=$OPTARG ;;
    b) budget=$OPTARG ;;
    o) out=$OPTARG ;;
    *) sed -n '2,/^set -u/p' "$0" | sed '$d' >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
only=" $* "
selected() { [ "$only" = "  " ] || case $only in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if [ $list -eq 1 ]; then
    mutants | while IFS= read -r m; do
        printf '%3s  %-22s %s  %s\n' "$(field "$m" 1)" "$(field "$m" 2)" "$(field "$m" 4)" "$(field "$m" 5)"
    done
    exit 0
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-mutants.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT INT TERM
log=$scratch/log
report=$scratch/report
: >"$report"

if [ $verify -eq 1 ]; then
    bad=0
    mutants | while IFS= read -r m; do
        id=$(field "$m" 1) f=$(field "$m" 2) e=$(field "$m" 6)
        sed -e "$e" "$f" >"$scratch/v"
        n=$(diff "$f" "$scratch/v" | grep -c '^>')
        [ "$n" -eq 1 ] || { echo "mutant $id changes $n lines of $f"; echo bad >>"$report"; }
    done
    [ -s "$report" ] && exit 1
    echo "mutants: $(mutants | wc -l) one-line bugs, each changes one line"
    exit 0
fi

say() { echo "$*"; [ -z "$out" ] || echo "$*" >>"$out"; }
[ -z "$out" ] || : >"$out"

# the scratch tree
tree=$scratch/tree
mkdir "$tree" || exit 2
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$tree" || exit 2
[ -d build ] && tar -cf - build --exclude='build/*.tmp*' 2>/dev/null | tar -xf - -C "$tree"
cd "$tree" || exit 2
build() { make -j2 poolsim build/run_tests >"$log" 2>&1; }
echo "building the unchanged tree in $tree ..."
build || { echo "the unchanged tree does not build:"; tail -20 "$log"; exit 2; }

why() { if [ "$2" -eq 124 ]; then echo "$1 (timeout)"; else echo "$1"; fi; }

# Run the tests of one mutant: own suites, the -s suites, then the CLI
# tests; prints what failed first (empty: nothing failed).
run_tests() {
    own=$1
    for s in $own; do
        timeout "$limit" build/run_tests "$s" >"$log" 2>&1 || { why "suite $s" $?; return; }
    done
    if [ -z "$suites" ]; then
        timeout "$limit" build/run_tests >"$log" 2>&1 || { why "CUnit suites" $?; return; }
    else
        for s in $suites; do
            timeout "$limit" build/run_tests "$s" >"$log" 2>&1 || { why "suite $s" $?; return; }
        done
    fi
    for t in $cli; do
        POOLSIM=$PWD/poolsim BUILD=build timeout "$limit" sh "tests/cli/$t" >"$log" 2>&1 ||
            { why "$t" $?; return; }
    done
}

echo "checking that the unchanged tree passes the tests ..."
first=$(run_tests "")
[ -z "$first" ] || { echo "the unchanged tree fails: $first"; tail -20 "$log"; exit 2; }

start=$(date +%s)
killed=0 survived=0 expected=0 stillborn=0 skipped=0 unapplied=0
tmpfile=$scratch/mutants.txt
mutants >"$tmpfile"
while IFS= read -r m; do
    id=$(field "$m" 1) f=$(field "$m" 2) own=$(field "$m" 3) want=$(field "$m" 4)
    what=$(field "$m" 5) e=$(field "$m" 6)
    selected "$id" || continue
    if [ "$budget" -gt 0 ] && [ $(($(date +%s) - start)) -ge "$budget" ]; then
        say "$(printf '%3s  %-10s %s' "$id" "not run" "$what (time budget spent)")"
        skipped=$((skipped + 1))
        continue
    fi
    cp "$f" "$scratch/orig"
    sed -i -e "$e" "$f"
    if cmp -s "$f" "$scratch/orig"; then
        say "$(printf '%3s  %-10s %s' "$id" "NOT APPLIED" "$what ($f: the expression matches nothing)")"
        unapplied=$((unapplied + 1))
        continue
    fi
    t0=$(date +%s)
    if ! build; then
        status=stillborn why="does not compile"
        stillborn=$((stillborn + 1))
    else
        why=$(run_tests "$own")
        if [ -n "$why" ]; then
            status=killed
            killed=$((killed + 1))
        elif [ "$want" = s ]; then
            status=survived why="expected"
            expected=$((expected + 1))
        else
            status=SURVIVED why=""
            survived=$((survived + 1))
        fi
    fi
    # restore with a new modification time, so that make rebuilds the original
    cp "$scratch/orig" "$f"
    touch "$f"
    say "$(printf '%3s  %-10s %s  [%s%s%ss]' "$id" "$status" "$what" "$why" "${why:+, }" "$(($(date +%s) - t0))")"
done <"$tmpfile"
build >/dev/null 2>&1
say ""
say "mutants: $killed killed, $survived survived unexpectedly, $expected known survivors, $stillborn stillborn, $unapplied not applied, $skipped not run ($(($(date +%s) - start)) s)"
[ "$survived" -eq 0 ] && [ "$unapplied" -eq 0 ]
