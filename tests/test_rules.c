/* Tests of src/rules.c (MODEL.md section 5). Every expected figure is hand
 * arithmetic, written out in the comment beside it. */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "poolsim/rules.h"
#include "poolsim/scenario.h"

#define TOL      1e-9
#define EQ(a, b) CU_ASSERT_DOUBLE_EQUAL((a), (b), TOL)

/* The Zhuzhou defaults: levy 10%, cap 30% (stop), no interest, brackets
 * <=10% -> 1.0, <=30% -> 0.7, <=50% -> 0.3, above -> 0, uncovered: county. */
static poolsim_rules_params zhuzhou(void)
{
    poolsim_rules_params p;
    memset(&p, 0, sizeof p);
    p.levy_rate = 0.10;
    p.cap_ratio = 0.30;
    p.cap_mode = POOLSIM_CAP_STOP;
    p.uncovered = POOLSIM_UNCOVERED_COUNTY;
    p.sharing_mode = POOLSIM_SHARING_BRACKET;
    p.nbrackets = 4;
    const double up[4] = {0.10, 0.30, 0.50, INFINITY};
    const double rs[4] = {1.0, 0.7, 0.3, 0.0};
    for (int i = 0; i < 4; i++) {
        p.up_to[i] = up[i];
        p.reserve_share[i] = rs[i];
    }
    return p;
}

static void test_interest(void)
{
    poolsim_rules_params p = zhuzhou();
    p.reserve_interest = 0.05;
    p.balance_interest = 0.02;
    double r = 1000;
    double b[3] = {200, 0, 1000};
    poolsim_rules_interest(&p, 3, &r, b);
    EQ(r, 1050);   /* 1000 * 1.05 */
    EQ(b[0], 204); /* 200 * 1.02 */
    EQ(b[1], 0);
    EQ(b[2], 1020); /* 1000 * 1.02 */
}

/* Three counties with F = 1000, 2000, 3000 (Ftot 6000, cap 0.3 * 6000 =
 * 1800) and levy bases 900, 1800, 2700 (levy due 90, 180, 270; sum 540). */
static void three(poolsim_rules_county c[3])
{
    memset(c, 0, 3 * sizeof c[0]);
    c[0].financing = 1000, c[0].levy_basis = 900;
    c[1].financing = 2000, c[1].levy_basis = 1800;
    c[2].financing = 3000, c[2].levy_basis = 2700;
}

static void test_levy_stop(void)
{
    poolsim_rules_params p = zhuzhou();
    poolsim_rules_county c[3];

    /* R = 1800 = cap exactly: the cap is reached, nobody pays */
    three(c);
    EQ(poolsim_rules_levy(&p, 3, 1800, c), 0);
    EQ(c[0].levy, 0);
    EQ(c[1].levy, 0);
    EQ(c[2].levy, 0);

    /* R above the cap: nobody pays */
    three(c);
    EQ(poolsim_rules_levy(&p, 3, 5000, c), 0);
    EQ(c[2].levy, 0);

    /* R one ulp below 1800: everybody pays in full, 90 + 180 + 270 = 540,
     * even though that overshoots the cap (the rule's text) */
    three(c);
    EQ(poolsim_rules_levy(&p, 3, nextafter(1800, 0), c), 540);
    EQ(c[0].levy, 90);
    EQ(c[1].levy, 180);
    EQ(c[2].levy, 270);

    /* empty reserve: full levy */
    three(c);
    EQ(poolsim_rules_levy(&p, 3, 0, c), 540);

    /* a cap above one year's financing: 1.5 * 6000 = 9000; a reserve of
     * 8000 (above Ftot) still receives the full 540, one of 9000 nothing */
    p.cap_ratio = 1.5;
    three(c);
    EQ(poolsim_rules_levy(&p, 3, 8000, c), 540);
    EQ(c[2].levy, 270);
    three(c);
    EQ(poolsim_rules_levy(&p, 3, 9000, c), 0);
}

static void test_levy_top_up(void)
{
    poolsim_rules_params p = zhuzhou();
    p.cap_mode = POOLSIM_CAP_TOP_UP;
    poolsim_rules_county c[3];

    /* R = 1500: room to the cap 1800 - 1500 = 300 < 540 due, so the total is
     * 300, shared pro rata to 90:180:270 -> 300 * 90/540 = 50,
     * 300 * 180/540 = 100, 300 * 270/540 = 150 */
    three(c);
    EQ(poolsim_rules_levy(&p, 3, 1500, c), 300);
    EQ(c[0].levy, 50);
    EQ(c[1].levy, 100);
    EQ(c[2].levy, 150);

    /* R = 1000: room 800 >= 540: everybody pays in full */
    three(c);
    EQ(poolsim_rules_levy(&p, 3, 1000, c), 540);
    EQ(c[0].levy, 90);
    EQ(c[1].levy, 180);
    EQ(c[2].levy, 270);

    /* R = 1260: room 540 = due exactly: full */
    three(c);
    EQ(poolsim_rules_levy(&p, 3, 1260, c), 540);

    /* R at or above the cap: room 0, nobody pays */
    three(c);
    EQ(poolsim_rules_levy(&p, 3, 1800, c), 0);
    EQ(c[0].levy, 0);
    EQ(c[1].levy, 0);
    EQ(c[2].levy, 0);
    three(c);
    EQ(poolsim_rules_levy(&p, 3, 2500, c), 0);

    /* nothing owed (all bases 0): all zero, no division by zero */
    three(c);
    c[0].levy_basis = c[1].levy_basis = c[2].levy_basis = 0;
    EQ(poolsim_rules_levy(&p, 3, 100, c), 0);
    CU_ASSERT(c[0].levy == 0 && c[1].levy == 0 && c[2].levy == 0);
    three(c);
    c[0].levy_basis = c[1].levy_basis = c[2].levy_basis = 0;
    EQ(poolsim_rules_levy(&p, 3, 1800, c), 0);
    CU_ASSERT(c[0].levy == 0 && c[1].levy == 0 && c[2].levy == 0);
}

/* Bracket mode on F = 1000: q = G / 1000, each edge in the lower bracket. */
static void test_bracket_edges(void)
{
    poolsim_rules_params p = zhuzhou();
    int b = -1;
    EQ(poolsim_rules_share(&p, 0, 1000, &b), 0); /* no shortfall: bracket 0 */
    CU_ASSERT_EQUAL(b, 0);
    EQ(poolsim_rules_share(&p, 50, 1000, &b), 50); /* q = 0.05: all of it */
    CU_ASSERT_EQUAL(b, 1);
    EQ(poolsim_rules_share(&p, 100, 1000, &b), 100); /* q = 0.10 exactly: bracket 1, 1.0 * 100 */
    CU_ASSERT_EQUAL(b, 1);
    EQ(poolsim_rules_share(&p, 100.01, 1000, &b), 70.007); /* q = 0.10001: 0.7 * 100.01 */
    CU_ASSERT_EQUAL(b, 2);
    EQ(poolsim_rules_share(&p, 300, 1000, &b), 210); /* q = 0.30 exactly: 0.7 * 300 */
    CU_ASSERT_EQUAL(b, 2);
    EQ(poolsim_rules_share(&p, 300.01, 1000, &b), 90.003); /* q = 0.30001: 0.3 * 300.01 */
    CU_ASSERT_EQUAL(b, 3);
    EQ(poolsim_rules_share(&p, 500, 1000, &b), 150); /* q = 0.50 exactly: 0.3 * 500 */
    CU_ASSERT_EQUAL(b, 3);
    EQ(poolsim_rules_share(&p, 500.01, 1000, &b), 0); /* q = 0.50001: last bracket, 0 */
    CU_ASSERT_EQUAL(b, 4);
    EQ(poolsim_rules_share(&p, 5000, 1000, &b), 0); /* q = 5 */
    CU_ASSERT_EQUAL(b, 4);
}

static void test_marginal(void)
{
    poolsim_rules_params p = zhuzhou();
    int b = -1;
    /* G = 0.4 F = 400 of F = 1000. bracket: q = 0.4 in bracket 3,
     * r = 0.3 * 400 = 120 */
    EQ(poolsim_rules_share(&p, 400, 1000, &b), 120);
    CU_ASSERT_EQUAL(b, 3);
    /* marginal: 1.0 * 100 + 0.7 * (300 - 100) + 0.3 * (400 - 300)
     *         = 100 + 140 + 30 = 270; bracket holding q still 3 */
    p.sharing_mode = POOLSIM_SHARING_MARGINAL;
    EQ(poolsim_rules_share(&p, 400, 1000, &b), 270);
    CU_ASSERT_EQUAL(b, 3);
    /* below the first edge both modes agree: G = 50 -> 50 */
    EQ(poolsim_rules_share(&p, 50, 1000, &b), 50);
    CU_ASSERT_EQUAL(b, 1);
    /* exactly at an edge: G = 300 -> 100 + 0.7 * 200 = 240 */
    EQ(poolsim_rules_share(&p, 300, 1000, &b), 240);
    CU_ASSERT_EQUAL(b, 2);
    /* above the last finite edge: G = 600 -> 100 + 140 + 0.3 * 200 + 0 * 100 = 300 */
    EQ(poolsim_rules_share(&p, 600, 1000, &b), 300);
    CU_ASSERT_EQUAL(b, 4);
    /* no shortfall */
    EQ(poolsim_rules_share(&p, 0, 1000, &b), 0);
    CU_ASSERT_EQUAL(b, 0);
}

/* F = 0 with G > 0: q = inf, the last bracket, in both modes. */
static void test_zero_financing(void)
{
    poolsim_rules_params p = zhuzhou();
    p.reserve_share[3] = 0.2; /* make the last bracket's share visible */
    int b = -1;
    EQ(poolsim_rules_share(&p, 200, 0, &b), 40); /* 0.2 * 200 */
    CU_ASSERT_EQUAL(b, 4);
    p.sharing_mode = POOLSIM_SHARING_MARGINAL;
    EQ(poolsim_rules_share(&p, 200, 0, &b), 40); /* only the slice [0, 200] of the last bracket */
    CU_ASSERT_EQUAL(b, 4);
    EQ(poolsim_rules_share(&p, 0, 0, &b), 0); /* F = G = 0: no shortfall */
    CU_ASSERT_EQUAL(b, 0);

    /* Through the whole year: one county, F = 0, basis 0, E = 200,
     * balance 50, R = 1000 (cap 0.3 * 0 = 0 <= R: no levy; basis 0 anyway).
     * D = 0 - 0 - 200 = -200; used 50; G = 150; q = inf; bracket 4;
     * r = 0.2 * 150 = 30, paid from R (1000 -> 970); county pays 120. */
    poolsim_rules_county c;
    memset(&c, 0, sizeof c);
    c.expenditure = 200;
    double r = 1000, s = 50;
    poolsim_rules_line line;
    p.sharing_mode = POOLSIM_SHARING_BRACKET;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_OK);
    EQ(c.result, -200);
    EQ(c.balance_used, 50);
    EQ(c.shortfall, 150);
    CU_ASSERT(isinf(c.shortfall_ratio) && c.shortfall_ratio > 0);
    CU_ASSERT_EQUAL(c.bracket, 4);
    EQ(c.reserve_paid, 30);
    EQ(c.county_share, 120);
    EQ(r, 970);
    EQ(s, 0);
}

/* Steps 2-3: the county's own balance first. One county, F = 1000, E as
 * given, R = 10000 >= cap 300 so no levy. */
static void test_own_balance(void)
{
    poolsim_rules_params p = zhuzhou();
    poolsim_rules_county c;
    poolsim_rules_line line;

    /* covers all: D = 1000 - 1050 = -50; used 50 of 200; S = 150; G = 0 */
    memset(&c, 0, sizeof c);
    c.financing = 1000, c.levy_basis = 1000, c.expenditure = 1050;
    double r = 10000, s = 200;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_OK);
    EQ(c.levy, 0);
    EQ(c.result, -50);
    EQ(c.balance_used, 50);
    EQ(c.shortfall, 0);
    EQ(c.shortfall_ratio, 0);
    CU_ASSERT_EQUAL(c.bracket, 0);
    EQ(c.reserve_paid, 0);
    EQ(c.county_share, 0);
    EQ(s, 150);
    EQ(c.balance_end, 150);
    EQ(r, 10000);

    /* covers part: D = 1000 - 1300 = -300; used all 200; G = 100;
     * q = 0.1, bracket 1, the reserve pays 100: R = 9900 */
    memset(&c, 0, sizeof c);
    c.financing = 1000, c.levy_basis = 1000, c.expenditure = 1300;
    r = 10000, s = 200;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_OK);
    EQ(c.balance_used, 200);
    EQ(c.shortfall, 100);
    EQ(c.shortfall_ratio, 0.1);
    CU_ASSERT_EQUAL(c.bracket, 1);
    EQ(c.reserve_due, 100);
    EQ(c.reserve_paid, 100);
    EQ(c.county_share, 0);
    EQ(s, 0);
    EQ(r, 9900);
    CU_ASSERT_EQUAL(line.exhausted, 0);

    /* surplus: D = 1000 - 700 = 300 adds to the balance: 200 + 300 = 500 */
    memset(&c, 0, sizeof c);
    c.financing = 1000, c.levy_basis = 1000, c.expenditure = 700;
    r = 10000, s = 200;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_OK);
    EQ(c.result, 300);
    EQ(c.balance_used, 0);
    EQ(s, 500);
}

/* Step 5 with three counties whose shortfalls and reserve dues are
 *   G = 100, 300, 400;  r = 100 (q 0.1), 210 (0.7 * 300), 120 (0.3 * 400);
 *   g = G - r = 0, 90, 280;  sum r = 430. */
static void owing(poolsim_rules_county c[3])
{
    memset(c, 0, 3 * sizeof c[0]);
    c[0].shortfall = 100, c[0].reserve_due = 100;
    c[1].shortfall = 300, c[1].reserve_due = 210;
    c[2].shortfall = 400, c[2].reserve_due = 120;
}

static void test_pay(void)
{
    poolsim_rules_params p = zhuzhou();
    poolsim_rules_county c[3];

    /* R = 1000 >= 430: all paid, R = 570 */
    owing(c);
    double r = 1000;
    CU_ASSERT_EQUAL(poolsim_rules_pay(&p, 3, &r, c), 0);
    EQ(r, 570);
    EQ(c[1].reserve_paid, 210);
    EQ(c[1].miss, 0);
    EQ(c[1].county_share, 90);

    /* R = 430 = sum r exactly: not an exhaustion year, R = 0 */
    owing(c);
    r = 430;
    CU_ASSERT_EQUAL(poolsim_rules_pay(&p, 3, &r, c), 0);
    EQ(r, 0);
    EQ(c[2].reserve_paid, 120);
    EQ(c[2].miss, 0);

    /* R = 215 < 430: exhaustion, each gets r * 215 / 430 = r / 2:
     * paid 50, 105, 60; miss 50, 105, 60.
     * uncovered: county -> county_share = g + miss = 50, 195, 340; city 0 */
    owing(c);
    r = 215;
    CU_ASSERT_EQUAL(poolsim_rules_pay(&p, 3, &r, c), 1);
    EQ(r, 0);
    const double paid[3] = {50, 105, 60}, gov[3] = {0, 90, 280};
    const double cs_county[3] = {50, 195, 340};
    for (int i = 0; i < 3; i++) {
        EQ(c[i].reserve_paid, paid[i]);
        EQ(c[i].miss, paid[i]);
        EQ(c[i].county_gov, gov[i]);
        EQ(c[i].county_share, cs_county[i]);
        EQ(c[i].city_share, 0);
        EQ(c[i].reserve_paid + c[i].county_share + c[i].city_share, c[i].shortfall);
    }

    /* uncovered: city -> county_share = g = 0, 90, 280; city_share = miss */
    p.uncovered = POOLSIM_UNCOVERED_CITY;
    owing(c);
    r = 215;
    CU_ASSERT_EQUAL(poolsim_rules_pay(&p, 3, &r, c), 1);
    EQ(r, 0);
    for (int i = 0; i < 3; i++) {
        EQ(c[i].reserve_paid, paid[i]);
        EQ(c[i].county_share, gov[i]);
        EQ(c[i].city_share, paid[i]);
        EQ(c[i].reserve_paid + c[i].county_share + c[i].city_share, c[i].shortfall);
    }

    /* empty reserve: nothing paid, all of r missed */
    p.uncovered = POOLSIM_UNCOVERED_COUNTY;
    owing(c);
    r = 0;
    CU_ASSERT_EQUAL(poolsim_rules_pay(&p, 3, &r, c), 1);
    EQ(c[1].reserve_paid, 0);
    EQ(c[1].miss, 210);
    EQ(c[1].county_share, 300);

    /* nothing owed, empty reserve: not an exhaustion year (0 < 0 is false) */
    memset(c, 0, sizeof c);
    r = 0;
    CU_ASSERT_EQUAL(poolsim_rules_pay(&p, 3, &r, c), 0);
}

/* A full year, three counties, every field. Parameters: levy 5%, cap 30%
 * stop, reserve interest 25%, balance interest 2%, uncovered: city,
 * bracket mode.
 *   county  F     basis  E     S0
 *   A       1000  900    800   100
 *   B       2000  1800   2563  150
 *   C       1000  1000   1450  0       R0 = 52
 * 0: R = 52 * 1.25 = 65; S = 102, 153, 0.
 * 1: Ftot = 4000, cap 1200 > 65: full levy 45, 90, 50 (= 0.05 * basis),
 *    total 185; R = 250.
 * 2: D = 1000-45-800 = 155; 2000-90-2563 = -653; 1000-50-1450 = -500.
 *    A: S = 102 + 155 = 257.
 * 3: B: used 153, S = 0, G = 500.  C: used 0, G = 500.
 * 4: B: q = 500/2000 = 0.25 -> bracket 2, r = 350, g = 150.
 *    C: q = 500/1000 = 0.5  -> bracket 3, r = 150, g = 350.
 * 5: sum r = 500 > R = 250: exhaustion, each gets r * 250/500:
 *    B 175 (miss 175), C 75 (miss 75); R = 0.
 *    uncovered city: county_share B 150, C 350; city_share B 175, C 75. */
static void test_year(void)
{
    poolsim_rules_params p = zhuzhou();
    p.levy_rate = 0.05;
    p.reserve_interest = 0.25;
    p.balance_interest = 0.02;
    p.uncovered = POOLSIM_UNCOVERED_CITY;
    poolsim_rules_county c[3];
    memset(c, 0, sizeof c);
    c[0].financing = 1000, c[0].levy_basis = 900, c[0].expenditure = 800;
    c[1].financing = 2000, c[1].levy_basis = 1800, c[1].expenditure = 2563;
    c[2].financing = 1000, c[2].levy_basis = 1000, c[2].expenditure = 1450;
    double r = 52;
    double s[3] = {100, 150, 0};
    poolsim_rules_line line;
    CU_ASSERT_EQUAL_FATAL(poolsim_rules_year(&p, 3, &r, s, c, &line), POOLSIM_OK);

    const struct {
        double levy, result, used, g, q;
        int bracket;
        double due, paid, gov, miss, cs, city, end;
    } want[3] = {
        {45, 155, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 257},
        {90, -653, 153, 500, 0.25, 2, 350, 175, 150, 175, 150, 175, 0},
        {50, -500, 0, 500, 0.5, 3, 150, 75, 350, 75, 350, 75, 0},
    };
    for (int i = 0; i < 3; i++) {
        EQ(c[i].levy, want[i].levy);
        EQ(c[i].result, want[i].result);
        EQ(c[i].balance_used, want[i].used);
        EQ(c[i].shortfall, want[i].g);
        EQ(c[i].shortfall_ratio, want[i].q);
        CU_ASSERT_EQUAL(c[i].bracket, want[i].bracket);
        EQ(c[i].reserve_due, want[i].due);
        EQ(c[i].reserve_paid, want[i].paid);
        EQ(c[i].county_gov, want[i].gov);
        EQ(c[i].miss, want[i].miss);
        EQ(c[i].county_share, want[i].cs);
        EQ(c[i].city_share, want[i].city);
        EQ(c[i].balance_end, want[i].end);
        EQ(s[i], want[i].end);
    }
    EQ(line.reserve_open, 52);
    EQ(line.levy_due, 185);
    EQ(line.levy_total, 185);
    EQ(line.financing_total, 4000);
    EQ(line.reserve_due, 500);
    EQ(line.reserve_paid, 250);
    EQ(line.reserve_end, 0);
    EQ(r, 0);
    CU_ASSERT_EQUAL(line.exhausted, 1);

    /* The same year with plenty in the reserve (R0 = 800 -> 1000 after
     * interest; still below the cap 1200, so the levy is paid: 1185):
     * no exhaustion, R = 1185 - 500 = 685, nothing for the city. */
    memset(c, 0, sizeof c);
    c[0].financing = 1000, c[0].levy_basis = 900, c[0].expenditure = 800;
    c[1].financing = 2000, c[1].levy_basis = 1800, c[1].expenditure = 2563;
    c[2].financing = 1000, c[2].levy_basis = 1000, c[2].expenditure = 1450;
    r = 800;
    s[0] = 100, s[1] = 150, s[2] = 0;
    CU_ASSERT_EQUAL_FATAL(poolsim_rules_year(&p, 3, &r, s, c, &line), POOLSIM_OK);
    EQ(r, 685);
    CU_ASSERT_EQUAL(line.exhausted, 0);
    EQ(c[1].reserve_paid, 350);
    EQ(c[1].county_share, 150);
    EQ(c[1].city_share, 0);
    EQ(c[2].reserve_paid, 150);
    EQ(c[2].county_share, 350);
}

/* Inputs that are not finite amounts >= 0 are refused, nothing changed. */
static void test_bad_input(void)
{
    poolsim_rules_params p = zhuzhou();
    poolsim_rules_county c;
    poolsim_rules_line line;
    memset(&c, 0, sizeof c);
    c.financing = 1000, c.levy_basis = 1000, c.expenditure = NAN;
    double r = 100, s = 50;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    CU_ASSERT(r == 100 && s == 50);
    c.expenditure = 10;
    c.financing = INFINITY;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    CU_ASSERT(r == 100 && s == 50);
    c.financing = NAN;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    CU_ASSERT(r == 100 && s == 50);
    c.financing = 1000;
    s = -1;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    CU_ASSERT(r == 100 && s == -1);
    s = 50;
    c.levy_basis = NAN;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    CU_ASSERT(r == 100 && s == 50);
    /* inf basis at a levy rate of 0: 0 * inf is NaN, refused too */
    c.levy_basis = INFINITY;
    p.levy_rate = 0;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    CU_ASSERT(r == 100 && s == 50);
    p.levy_rate = 0.10;
    c.levy_basis = 1000;
    r = INFINITY;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    r = -1e-300;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    CU_ASSERT(r == -1e-300 && s == 50 && c.financing == 1000);
    r = 100;
    s = INFINITY;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    CU_ASSERT(r == 100);
    s = NAN;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    CU_ASSERT(r == 100);
    s = 50;
    /* -0 is an amount >= 0: accepted (R = -0 < cap 300: levy 100) */
    r = -0.0;
    c.expenditure = -0.0;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_OK);
    EQ(c.levy, 100);
    EQ(s, 950); /* 50 + 1000 - 100 - 0 */
    /* finite inputs whose total overflows: Ftot = 2 * 1.7e308 = inf */
    poolsim_rules_county two[2];
    memset(two, 0, sizeof two);
    two[0].financing = two[1].financing = 1.7e308;
    double s2[2] = {0, 0};
    r = 0;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 2, &r, s2, two, &line), POOLSIM_ENUM);
    /* only a county's figure overflows: its balance 1.7e308 + D = 1.7e308
     * (R = 1e308 >= cap 5.1e307: no levy) is inf; every line sum is finite */
    memset(&c, 0, sizeof c);
    c.financing = 1.7e308;
    r = 1e308, s = 1.7e308;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
    /* a deficit of -inf: F = 1, E = levy basis = 1.7e308, levy 1.7e307
     * as R = 0 < cap 0.3; D = 1 - 1.7e307 - 1.7e308 overflows, and so
     * does the shortfall (the line's sums are finite) */
    memset(&c, 0, sizeof c);
    c.financing = 1;
    c.levy_basis = c.expenditure = 1.7e308;
    r = 0, s = 0;
    CU_ASSERT_EQUAL(poolsim_rules_year(&p, 1, &r, &s, &c, &line), POOLSIM_ENUM);
}

/* poolsim_rules_year fuses the steps into two passes over the counties.
 * The second method: the steps one after the other through the step
 * functions tested by hand above, as MODEL.md section 5 orders them. */
static void ref_year(const poolsim_rules_params *p, size_t n, double *reserve, double *balance,
                     poolsim_rules_county *cty, poolsim_rules_line *line)
{
    line->reserve_open = *reserve;
    poolsim_rules_interest(p, n, reserve, balance);
    line->levy_due = line->financing_total = 0.0;
    for (size_t c = 0; c < n; c++) {
        line->levy_due += p->levy_rate * cty[c].levy_basis;
        line->financing_total += cty[c].financing;
    }
    line->levy_total = poolsim_rules_levy(p, n, *reserve, cty);
    *reserve += line->levy_total;
    for (size_t c = 0; c < n; c++) {
        poolsim_rules_county *k = &cty[c];
        k->result = k->financing - k->levy - k->expenditure;
        k->balance_used = k->result >= 0 ? 0.0 : fmin(balance[c], -k->result);
        balance[c] += k->result >= 0 ? k->result : -k->balance_used;
        k->shortfall = k->result >= 0 ? 0.0 : -k->result - k->balance_used;
        k->shortfall_ratio = !(k->shortfall > 0) ? 0.0
                             : k->financing > 0  ? k->shortfall / k->financing
                                                 : INFINITY;
        k->reserve_due = poolsim_rules_share(p, k->shortfall, k->financing, &k->bracket);
        k->balance_end = balance[c];
    }
    line->exhausted = poolsim_rules_pay(p, n, reserve, cty);
    line->reserve_due = line->reserve_paid = line->city_burden = 0.0;
    for (size_t c = 0; c < n; c++) {
        line->reserve_due += cty[c].reserve_due;
        line->reserve_paid += cty[c].reserve_paid;
        line->city_burden += cty[c].city_share;
    }
    line->reserve_end = *reserve;
    line->gap = 0.0;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static double uni(unsigned long long *x) /* [0, 1) */
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*x >> 11) * 0x1p-53;
}

/* 20,000 random years in every variant (cap stop/top_up, uncovered
 * county/city, bracket/marginal): reserves below, at and above the cap,
 * counties with surpluses, covered and uncovered deficits, zero
 * financing, exhaustion. Every field, bit for bit. */
static void test_year_steps(void)
{
    unsigned long long x = 20201;
    long bad = 0, exh = 0, shortfalls = 0, scaled = 0;
    for (int it = 0; it < 20000; it++) {
        poolsim_rules_params p = zhuzhou();
        p.cap_mode = it & 1 ? POOLSIM_CAP_TOP_UP : POOLSIM_CAP_STOP;
        p.uncovered = it & 2 ? POOLSIM_UNCOVERED_CITY : POOLSIM_UNCOVERED_COUNTY;
        p.sharing_mode = it & 4 ? POOLSIM_SHARING_MARGINAL : POOLSIM_SHARING_BRACKET;
        p.levy_rate = 0.2 * uni(&x);
        p.reserve_interest = 0.05 * uni(&x) - 0.01;
        p.balance_interest = 0.05 * uni(&x) - 0.01;
        size_t n = 1 + (size_t)(9 * uni(&x));
        poolsim_rules_county a[9], b[9];
        double sa[9], sb[9], ftot = 0;
        memset(a, 0, sizeof a);
        for (size_t c = 0; c < n; c++) {
            a[c].financing = uni(&x) < 0.05 ? 0 : 1e6 * uni(&x);
            a[c].levy_basis = a[c].financing * (0.8 + 0.4 * uni(&x));
            a[c].expenditure = (a[c].financing + 1000) * (0.6 + uni(&x));
            a[c].enrolees = 1000 * uni(&x);
            sa[c] = uni(&x) < 0.3 ? 0 : 2e5 * uni(&x);
            ftot += a[c].financing;
        }
        double v = uni(&x);
        double ra = v < 0.1    ? 0
                    : v < 0.15 ? p.cap_ratio * ftot
                               : p.cap_ratio * ftot * 1.5 * uni(&x);
        double rb = ra;
        memcpy(b, a, sizeof a);
        memcpy(sb, sa, sizeof sa);
        poolsim_rules_line la, lb;
        memset(&la, 0, sizeof la);
        memset(&lb, 0, sizeof lb);
        CU_ASSERT_EQUAL_FATAL(poolsim_rules_year(&p, n, &ra, sa, a, &la), POOLSIM_OK);
        ref_year(&p, n, &rb, sb, b, &lb);
        int same = same_bits(ra, rb);
        for (size_t c = 0; c < n; c++) {
            const poolsim_rules_county *k = &a[c], *m = &b[c];
            same &= same_bits(sa[c], sb[c]) & same_bits(k->levy, m->levy) &
                    same_bits(k->result, m->result) & same_bits(k->balance_used, m->balance_used) &
                    same_bits(k->shortfall, m->shortfall) &
                    same_bits(k->shortfall_ratio, m->shortfall_ratio) & (k->bracket == m->bracket) &
                    same_bits(k->reserve_due, m->reserve_due) &
                    same_bits(k->reserve_paid, m->reserve_paid) &
                    same_bits(k->county_gov, m->county_gov) & same_bits(k->miss, m->miss) &
                    same_bits(k->county_share, m->county_share) &
                    same_bits(k->city_share, m->city_share) &
                    same_bits(k->balance_end, m->balance_end) & same_bits(k->overspend, 0.0) &
                    same_bits(k->liability, 0.0) & same_bits(k->gap_share, 0.0) &
                    same_bits(k->enrolees, m->enrolees);
            shortfalls += k->shortfall > 0;
        }
        same &= same_bits(la.reserve_open, lb.reserve_open) & same_bits(la.levy_due, lb.levy_due) &
                same_bits(la.levy_total, lb.levy_total) &
                same_bits(la.financing_total, lb.financing_total) &
                same_bits(la.reserve_due, lb.reserve_due) &
                same_bits(la.reserve_paid, lb.reserve_paid) &
                same_bits(la.reserve_end, lb.reserve_end) & (la.exhausted == lb.exhausted) &
                same_bits(la.city_burden, lb.city_burden) & same_bits(la.gap, lb.gap);
        bad += !same;
        exh += la.exhausted;
        scaled += la.levy_total > 0 && la.levy_total < la.levy_due;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* the variants were all reached */
    CU_ASSERT(exh > 1000 && shortfalls > 10000 && scaled > 1000);
}

#ifndef NDEBUG
/* 1 when poolsim_rules_year with p on one county (F = 1000, levy basis
 * 1000, S = 100, E and R as given) stops on a failed assertion (SIGABRT)
 * in a child process, 0 when it returns. */
static int year_aborts(const poolsim_rules_params *p, double r, double e)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) dup2(fd, 2);
        poolsim_rules_county c;
        memset(&c, 0, sizeof c);
        c.financing = c.levy_basis = 1000;
        c.expenditure = e;
        double s = 100;
        poolsim_rules_line line;
        poolsim_rules_year(p, 1, &r, &s, &c, &line);
        _exit(0);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}
#endif

/* Parameters outside their ranges break the invariants that rest on them,
 * and check_county stops the program (in builds with assertions). */
static void test_year_invariants(void)
{
#ifndef NDEBUG
    poolsim_rules_params p = zhuzhou();
    /* in range: R = 10000 >= cap 300, no levy, D = 0, S = 100 */
    CU_ASSERT_EQUAL(year_aborts(&p, 10000, 1000), 0);
    /* balance interest -2: S = 100 * (1 - 2) = -100 at year end */
    p.balance_interest = -2;
    CU_ASSERT_EQUAL(year_aborts(&p, 10000, 1000), 1);
    /* and with a deficit (E = 1300): the balance "used" is min(-100, 400) =
     * -100, leaving S = 0 */
    CU_ASSERT_EQUAL(year_aborts(&p, 10000, 1300), 1);
    /* levy rate -0.1: R = 0 < cap 300, levy -100 */
    p = zhuzhou();
    p.levy_rate = -0.1;
    CU_ASSERT_EQUAL(year_aborts(&p, 0, 1000), 1);
    /* reserve interest -3 on R = 100: -200 after interest, below the cap,
     * levy 100, R = -100; E = 1300: D = -400, S pays 100, G = 300, q = 0.3,
     * r = 210 > R: exhaustion, reserve_paid = 210 * -100 / 210 = -100 */
    p = zhuzhou();
    p.reserve_interest = -3;
    CU_ASSERT_EQUAL(year_aborts(&p, 100, 1300), 1);
    /* the same in range (interest 0): R = 200 < 210, paid 200 */
    p.reserve_interest = 0;
    CU_ASSERT_EQUAL(year_aborts(&p, 100, 1300), 0);
#endif
}

void poolsim_test_rules(void)
{
    CU_pSuite s = CU_add_suite("rules", NULL, NULL);
    CU_add_test(s, "interest on opening balances", test_interest);
    CU_add_test(s, "levy, cap_mode stop", test_levy_stop);
    CU_add_test(s, "levy, cap_mode top_up", test_levy_top_up);
    CU_add_test(s, "bracket edges", test_bracket_edges);
    CU_add_test(s, "marginal vs bracket", test_marginal);
    CU_add_test(s, "zero financing", test_zero_financing);
    CU_add_test(s, "own balance first", test_own_balance);
    CU_add_test(s, "reserve pays, pro rata exhaustion", test_pay);
    CU_add_test(s, "full year, three counties", test_year);
    CU_add_test(s, "full year = the steps one by one", test_year_steps);
    CU_add_test(s, "parameters out of range break invariants", test_year_invariants);
    CU_add_test(s, "bad input", test_bad_input);
}
