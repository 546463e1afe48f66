#!/usr/bin/env python3
"""Independent NumPy implementation of poolsim's Monte Carlo model.

Written from docs/MODEL.md (sections 2-5 and 7), for timing against
poolsim and for checking its results within standard errors.

usage: /usr/bin/python3 bench/numpy_model.py SCENARIO.yaml [-n PATHS]
                                             [--seed S] [--json OUT.json]
                                             [--block PATHS]

Implemented: financing (section 2) with plain (undated) class parameters,
county overrides of class parameters from the counties CSV; per_capita and
claims benefits (section 3) with claims_noise: compound (Poisson count,
gamma total matching the compound-Poisson mean and variance), lognormal
episode cost with deductible, ceiling and coinsurance (limited moments of
the lognormal: exact, math.erfc, on a fine grid in ln P, interpolated
linearly to each path's price index, relative error <= 1.2e-7),
index_limits; the stochastic drivers of section 4 (medical price and wage
AR(1) with correlated shocks, one-factor utilisation shock, epidemic
multiplier); the yearly rules of section 5 with cap_mode: stop, sharing
mode: bracket, reserve.uncovered: county, interest on reserve and county
balances; the means and standard errors of section 7 listed below.

Not implemented (refused with an error): dated values (section 9),
extends, inline counties, global budgets, claims_noise normal/none,
cap_mode top_up, marginal sharing, uncovered: city, pooling: unified
(section 11), management rules (section 12), quantiles.

Random numbers come from numpy.random.default_rng(seed); only the
distributions are the model's, not poolsim's random streams. Paths run in
blocks of about 16384 path-counties (bounded memory, arrays that stay in
cache); means and standard errors are merged across blocks exactly.
--block sets the paths per block (0: all paths at once, the simplest
vectorised form, slower here because its arrays are new memory).
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import yaml  # noqa: E402

INF = float("inf")
DEFAULT_BRACKETS = [(0.10, 1.0), (0.30, 0.7), (0.50, 0.3), (INF, 0.0)]


class ScenarioError(Exception):
    pass


def num(v, what):
    """A plain number from YAML or CSV (dated maps are not supported)."""
    if isinstance(v, bool) or v is None:
        raise ScenarioError(f"{what}: expected a number, got {v!r}")
    if isinstance(v, dict):
        raise ScenarioError(f"{what}: dated values are not implemented")
    if isinstance(v, str):  # PyYAML (YAML 1.1) reads 1e5 as a string
        try:
            return float(v)
        except ValueError:
            raise ScenarioError(f"{what}: {v!r} is not a number") from None
    return float(v)


def get(d, key, default, what):
    if d is None or key not in d:
        return default
    return num(d[key], f"{what}.{key}")


# ----------------------------------------------------------------------------
# Scenario


def load_scenario(path):
    with open(path, encoding="utf-8-sig") as fh:
        sc = yaml.safe_load(fh)
    for key in ("extends", "management", "counties", "global_budget"):
        if key in sc and sc[key]:
            raise ScenarioError(f"{key}: not implemented")
    pool = sc.get("pooling") or {}
    if pool.get("mode", "county_accounts") != "county_accounts":
        raise ScenarioError("pooling.mode: only county_accounts is implemented")

    sim = sc.get("simulation") or {}
    noise = sim.get("claims_noise", "compound")
    if noise != "compound":
        raise ScenarioError("simulation.claims_noise: only compound is implemented")

    eco = sc.get("economy") or {}
    sho = sc.get("shocks") or {}

    def ar(d, what):
        d = d or {}
        return (get(d, "mean", 0.0, what), get(d, "ar1", 0.0, what),
                get(d, "sd", 0.0, what))

    util = sho.get("utilisation") or {}
    epi = sho.get("epidemic") or {}
    m = {
        "name": sc.get("name", os.path.splitext(os.path.basename(path))[0]),
        "T": int(sc["horizon_years"]),
        "start": int(sc["start_year"]),
        "paths": int(num(sim.get("paths", 10000), "simulation.paths")),
        "seed": (sim["seed"] if isinstance(sim.get("seed"), int)
                 else int(num(sim.get("seed", 1), "simulation.seed"))),
        "infl": ar(eco.get("medical_inflation"), "economy.medical_inflation"),
        "wage": ar(eco.get("wage_growth"), "economy.wage_growth"),
        "rho_pw": get(eco, "wage_inflation_corr", 0.0, "economy"),
        "bal_int": get(eco, "balance_interest", 0.0, "economy"),
        "util": (get(util, "ar1", 0.0, "shocks.utilisation"),
                 get(util, "sd", 0.0, "shocks.utilisation"),
                 get(util, "rho", 0.0, "shocks.utilisation")),
        "epi": (get(epi, "prob", 0.0, "shocks.epidemic"),
                get(epi, "mean", 1.0, "shocks.epidemic"),
                get(epi, "sd", 0.0, "shocks.epidemic")),
    }

    sharing = sc.get("sharing") or {}
    if sharing.get("mode", "bracket") != "bracket":
        raise ScenarioError("sharing.mode: only bracket is implemented")
    if "brackets" in sharing:
        br = [(num(b["up_to"], "sharing.brackets.up_to"),
               num(b["reserve"], "sharing.brackets.reserve"))
              for b in sharing["brackets"]]
    else:
        br = DEFAULT_BRACKETS
    m["br_upto"] = np.array([b[0] for b in br])
    m["br_share"] = np.array([b[1] for b in br])

    # Counties, from the CSV next to the YAML.
    if "counties_csv" not in sc:
        raise ScenarioError("counties_csv: required (inline counties not implemented)")
    csv_path = os.path.join(os.path.dirname(os.path.abspath(path)), sc["counties_csv"])
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh)]
    C = len(rows)
    m["county_ids"] = [r["id"] for r in rows]

    def col(name, default):
        out = np.empty(C)
        for i, r in enumerate(rows):
            v = r.get(name, "")
            if v is None or v == "":
                if default is None:
                    raise ScenarioError(f"counties.{r['id']}.{name}: missing")
                out[i] = default
            else:
                out[i] = num(v, f"counties.{r['id']}.{name}")
        return out

    m["wage_c"] = col("wage", 0.0)
    m["cost_index"] = col("cost_index", 1.0)
    m["util_index"] = col("util_index", 1.0)

    T = m["T"]
    yrs = np.arange(T, dtype=float)          # t - 1
    top_res = sc.get("reserve") or {}
    lines = []
    for ln in sc["lines"]:
        lid = ln["id"]
        if ln.get("global_budget"):
            raise ScenarioError(f"lines.{lid}.global_budget: not implemented")
        lpool = ln.get("pooling") or {}
        if lpool.get("mode", "county_accounts") != "county_accounts":
            raise ScenarioError(f"lines.{lid}.pooling.mode: not implemented")
        res = dict(top_res)
        res.update(ln.get("reserve") or {})
        what = f"lines.{lid}.reserve"
        if res.get("cap_mode", "stop") != "stop":
            raise ScenarioError(f"{what}.cap_mode: only stop is implemented")
        if res.get("uncovered", "county") != "county":
            raise ScenarioError(f"{what}.uncovered: only county is implemented")
        L = {
            "id": lid,
            "levy_rate": get(res, "levy_rate", 0.10, what),
            "cap_ratio": get(res, "cap_ratio", 0.30, what),
            "res_int": get(res, "interest", 0.0, what),
            "R0": get(res, "initial", 0.0, what),
            "S0": col("balance." + lid, 0.0),
        }
        pf = col("prior_financing." + lid, np.nan)
        L["prior"] = pf  # NaN where not given: F[c,1] is used

        # Financing: F[c,t] = Ffix[c,t] + Fwage[c,t] * W[t]
        Ffix = np.zeros((C, T))
        Fwage = np.zeros((C, T))
        enrol = {}
        for cl in ln["classes"]:
            cid = cl["id"]
            wc = f"lines.{lid}.classes.{cid}"

            def par(key, default, cid=cid, cl=cl, wc=wc):
                base = get(cl, key, default, wc)
                return col(f"{cid}.{key}", base)   # county override, else class value

            N1 = col(cid, None)
            N = N1[:, None] * (1.0 + par("enrol_growth", 0.0)[:, None]) ** yrs
            pc = par("per_capita", 0.0)[:, None] * (1.0 + par("per_capita_growth", 0.0)[:, None]) ** yrs
            sub = par("subsidy", 0.0)[:, None] * (1.0 + par("subsidy_growth", 0.0)[:, None]) ** yrs
            cr = par("collection_rate", 1.0)[:, None]
            wr = par("wage_rate", 0.0)[:, None]
            Ffix += N * (pc * cr + sub)
            Fwage += N * wr * m["wage_c"][:, None] * cr
            enrol[cid] = N
        L["Ffix"], L["Fwage"] = Ffix, Fwage

        Epc = np.zeros((C, T))
        claims = []
        for b in ln["benefits"]:
            bid = b["id"]
            wb = f"lines.{lid}.benefits.{bid}"
            kind = b["kind"]
            if kind == "per_capita":
                amount = num(b["amount"], wb + ".amount") * (1.0 + get(b, "growth", 0.0, wb)) ** yrs
                who = b.get("applies_to") or list(enrol)
                Epc += amount[None, :] * sum(enrol[c] for c in who)
            elif kind == "claims":
                trend = (1.0 + get(b, "util_trend", 0.0, wb)) ** yrs
                lam0 = np.zeros((C, T))
                for cid, r in b["rate"].items():
                    lam0 += num(r, f"{wb}.rate.{cid}") * trend[None, :] * enrol[cid]
                lam0 *= m["util_index"][:, None]
                cv = num(b["cv"], wb + ".cv")
                s2 = math.log1p(cv * cv)
                claims.append({
                    "id": bid,
                    "lam0": lam0,                         # expected episodes, U = J = 1
                    "mean0": num(b["cost_mean"], wb + ".cost_mean") * m["cost_index"],  # (C,)
                    "cv": cv, "s2": s2, "s": math.sqrt(s2),
                    "cp": num(b["coinsurance"], wb + ".coinsurance"),
                    "d": get(b, "deductible", 0.0, wb),
                    "u": get(b, "ceiling", INF, wb),
                    "epidemic": bool(b.get("epidemic", True)),
                    "index_limits": bool(b.get("index_limits", False)),
                })
            else:
                raise ScenarioError(f"{wb}.kind: {kind!r} not implemented")
        L["Epc"], L["claims"] = Epc, claims
        lines.append(L)
    m["lines"] = lines
    return m


# ----------------------------------------------------------------------------
# Normal tail and lognormal limited moments (MODEL.md section 3)


_erfc = np.frompyfunc(math.erfc, 1, 1)   # NumPy has no erf: math.erfc per element
_RSQ2 = 1.0 / math.sqrt(2.0)


def phi_lo(x):   # Phi(x)
    return 0.5 * _erfc(-x * _RSQ2).astype(float)


def phi_up(x):   # 1 - Phi(x), evaluated as the upper tail
    return 0.5 * _erfc(x * _RSQ2).astype(float)


def lev12(x, mu, s, m1, m2):
    """LEV1(x), LEV2(x) of a lognormal with log-parameters mu, s and first
    two raw moments m1, m2 (arrays); x is a number."""
    if x == 0.0:
        return 0.0, 0.0
    if x == INF:
        return m1, m2
    a = (math.log(x) - mu) / s
    tail = phi_up(a)
    return m1 * phi_lo(a - s) + x * tail, m2 * phi_lo(a - 2.0 * s) + x * x * tail


def payment_moments(b, mu_x):
    """Exact EY, VY per episode (MODEL.md section 3) for mean costs mu_x."""
    s, s2, cp, d = b["s"], b["s2"], b["cp"], b["d"]
    mu = np.log(mu_x) - 0.5 * s2
    m1 = mu_x
    m2 = mu_x * mu_x * (1.0 + b["cv"] ** 2)
    l1u, l2u = lev12(b["u"], mu, s, m1, m2)
    l1d, l2d = lev12(d, mu, s, m1, m2)
    dl1 = l1u - l1d
    ey = np.maximum(cp * dl1, 0.0)
    ey2 = np.maximum(cp * cp * (l2u - l2d - 2.0 * d * dl1), 0.0)
    vy = np.maximum(ey2 - ey * ey, 0.0)
    return ey, vy


class PriceGrid:
    """A uniform grid in ln P (the medical price index) covering every path
    and year, and each path's position on it, for linear interpolation."""

    STEP = 2.0 ** -11

    def __init__(self, lnP):
        h = self.STEP
        self.lo = float(lnP.min()) - 2 * h
        self.size = int(math.ceil((float(lnP.max()) + 2 * h - self.lo) / h)) + 1
        self.lnP = self.lo + h * np.arange(self.size)
        pos = (lnP - self.lo) / h
        self.idx = np.minimum(pos.astype(np.intp), self.size - 2)   # (T, n)
        self.frac = pos - self.idx


class Moments:
    """EY and VY of one claims benefit for every county and path. With
    nominal limits they depend on each path's price index P: they are
    computed exactly for each county on the PriceGrid and interpolated
    linearly in ln P (relative error at most about 1.2e-7, h^2/8 for the grid
    step h; checked against the exact formulas). With index_limits they
    scale exactly: EY(P) = P EY(1), VY(P) = P^2 VY(1)."""

    def __init__(self, b, grid):
        self.indexed = b["index_limits"]
        if self.indexed:
            self.ey1, self.vy1 = payment_moments(b, b["mean0"])
            return
        mu_x = b["mean0"][None, :] * np.exp(grid.lnP)[:, None]      # (G, C)
        tab = np.stack(payment_moments(b, mu_x), axis=-1)            # (G, C, 2)
        self.tab = tab[:-1]
        self.slope = tab[1:] - tab[:-1]

    def at(self, grid, t, ps, P):
        """EY, VY, arrays (paths, counties) for the paths ps (a slice) in
        projection year t (0-based); P is their price index."""
        if self.indexed:
            Pc = P[:, None]
            return self.ey1[None, :] * Pc, self.vy1[None, :] * (Pc * Pc)
        i = grid.idx[t, ps]
        v = self.tab[i]
        v += grid.frac[t, ps][:, None, None] * self.slope[i]
        return v[..., 0], v[..., 1]


# ----------------------------------------------------------------------------
# Simulation


LINE_STATS = ("reserve_balance", "financing_total", "expenditure_total",
              "exhaustion_prob", "exhaustion_year_prob")
COUNTY_STATS = ("financing", "expenditure", "balance", "county_burden",
                "levy", "reserve_paid", "shortfall_prob")


class Stats:
    """Means and sums of squared deviations over paths, accumulated block by
    block (Chan, Golub and LeVeque's pairwise update)."""

    def __init__(self, shape):
        self.n = 0
        self.mean = np.zeros(shape)
        self.m2 = np.zeros(shape)
        self.bmean = np.zeros(shape)     # the current block's
        self.bm2 = np.zeros(shape)

    def block(self, t, x):
        mb = x.mean(axis=0)
        d = x - mb
        self.bmean[t] = mb
        self.bm2[t] = np.einsum("i...,i...->...", d, d)

    def merge(self, nb):
        n = self.n + nb
        delta = self.bmean - self.mean
        self.mean += delta * (nb / n)
        self.m2 += self.bm2 + delta * delta * (self.n * nb / n)
        self.n = n

    def result(self):
        se = np.sqrt(self.m2 / (self.n - 1) / self.n) if self.n > 1 else np.zeros_like(self.m2)
        return self.mean, se


def simulate(m, n, seed, block=None):
    rng = np.random.default_rng(seed)
    T, C = m["T"], len(m["county_ids"])
    lines = m["lines"]

    # --- city-wide drivers (section 4) for all paths: arrays (T, n) ---
    mi, ai, si = m["infl"]
    mw, aw, sw = m["wage"]
    rho = m["rho_pw"]
    z1 = rng.standard_normal((T, n))
    z2 = rng.standard_normal((T, n))
    P = np.empty((T, n))
    W = np.empty((T, n))
    pi = np.full(n, mi)
    gw = np.full(n, mw)
    P[0] = 1.0
    W[0] = 1.0
    for t in range(1, T):
        pi = mi + ai * (pi - mi) + si * z1[t]
        gw = mw + aw * (gw - mw) + sw * (rho * z1[t] + math.sqrt(1.0 - rho * rho) * z2[t])
        P[t] = P[t - 1] * (1.0 + pi)
        W[t] = W[t - 1] * (1.0 + gw)

    ep, em, esd = m["epi"]
    is_epi = rng.random((T, n)) < ep
    es2 = math.log1p((esd / em) ** 2)
    size = np.exp(math.log(em) - 0.5 * es2 + math.sqrt(es2) * rng.standard_normal((T, n)))
    J = np.where(is_epi, size, 1.0)

    grid = PriceGrid(np.log(P))
    mom = [[Moments(b, grid) for b in L["claims"]] for L in lines]

    ua, us, ur = m["util"]
    cz, ce = us * math.sqrt(ur), us * math.sqrt(1.0 - ur)
    vt = np.empty(T)                       # variance of x[c,t]
    v = 0.0
    for t in range(T):
        v = us * us + ua * ua * v          # sd^2 * sum_{j<t} ar1^(2j)
        vt[t] = v

    upto, share = m["br_upto"], m["br_share"]
    lstats = [{k: Stats(T) for k in LINE_STATS} for _ in lines]
    cstats = [{k: Stats((T, C)) for k in COUNTY_STATS} for _ in lines]

    # --- paths in blocks (bounded memory, arrays that stay in cache) ---
    if block is None:
        block = max(256, 16384 // C)
    for p0 in range(0, n, block):
        ps = slice(p0, min(n, p0 + block))
        nb = ps.stop - ps.start
        x = np.zeros((nb, C))                               # utilisation AR(1)
        st = []
        for L in lines:
            st.append({"R": np.full(nb, L["R0"]),
                       "S": np.repeat(L["S0"][None, :], nb, axis=0),
                       "ever": np.zeros(nb, dtype=bool), "Fprev": None})
        for t in range(T):
            Pt, Wt, Jt = P[t, ps], W[t, ps], J[t, ps][:, None]
            x = ua * x + (cz * rng.standard_normal((nb, 1))
                          + ce * rng.standard_normal((nb, C)))
            U = np.exp(x - 0.5 * vt[t])
            UJ = U * Jt
            for li, L in enumerate(lines):
                sl = st[li]
                F = L["Ffix"][:, t] + L["Fwage"][:, t] * Wt[:, None]        # (nb, C)
                E = np.repeat(L["Epc"][None, :, t], nb, axis=0)
                for b, mo in zip(L["claims"], mom[li]):
                    lam = b["lam0"][:, t] * (UJ if b["epidemic"] else U)
                    ey, vy = mo.at(grid, t, ps, Pt)
                    cnt = rng.poisson(lam)
                    pos = vy > 0.0
                    if pos.all():
                        E += rng.gamma(cnt * (ey * ey / vy), vy / ey)
                    else:  # degenerate cost: exactly n * EY
                        with np.errstate(divide="ignore", invalid="ignore"):
                            k = np.where(pos, ey * ey / vy, 0.0)
                            th = np.where(pos, vy / ey, 1.0)
                        E += np.where(pos, rng.gamma(cnt * k, th), cnt * ey)

                R, S = sl["R"], sl["S"]
                # Section 5, step 0: interest.
                R *= 1.0 + L["res_int"]
                S *= 1.0 + m["bal_int"]
                # Step 1: levy on last year's financing, stopped at the cap.
                if t == 0:
                    basis = np.where(np.isnan(L["prior"]), F, L["prior"][None, :])
                else:
                    basis = sl["Fprev"]
                Ftot = F.sum(axis=1)
                pays = R < L["cap_ratio"] * Ftot
                levy = (L["levy_rate"] * basis) * pays[:, None]
                R += levy.sum(axis=1)
                # Step 2: county result; step 3: own balance first.
                D = F - levy - E
                deficit = np.maximum(-D, 0.0)
                used = np.minimum(S, deficit)
                S += np.maximum(D, 0.0) - used
                G = deficit - used
                # Step 4: bracket sharing on q = G / F (a ratio on a bound
                # belongs to the lower bracket; F = 0 with G > 0: last one).
                with np.errstate(divide="ignore", invalid="ignore"):
                    q = np.where(G > 0.0, G / F, 0.0)
                r = share[np.searchsorted(upto, q, side="left")] * G
                # Step 5: the reserve pays, pro rata when it is short.
                rsum = r.sum(axis=1)
                exh = R < rsum
                with np.errstate(divide="ignore", invalid="ignore"):
                    frac = np.where(exh, R / rsum, 1.0)
                paid = r * frac[:, None]
                sl["R"] = R = np.where(exh, 0.0, R - rsum)
                burden = G - paid                    # g + miss (uncovered: county)
                sl["ever"] |= exh
                sl["Fprev"] = F

                cs, ls = cstats[li], lstats[li]
                for k, a in (("financing", F), ("expenditure", E), ("balance", S),
                             ("county_burden", burden), ("levy", levy),
                             ("reserve_paid", paid), ("shortfall_prob", G > 0.0)):
                    cs[k].block(t, a)
                for k, a in (("reserve_balance", R), ("financing_total", Ftot),
                             ("expenditure_total", E.sum(axis=1)),
                             ("exhaustion_prob", sl["ever"]), ("exhaustion_year_prob", exh)):
                    ls[k].block(t, a)
        for li in range(len(lines)):
            for acc in list(cstats[li].values()) + list(lstats[li].values()):
                acc.merge(nb)

    out = {}
    for li, L in enumerate(lines):
        out[L["id"]] = ({k: a.result() for k, a in lstats[li].items()},
                        {k: a.result() for k, a in cstats[li].items()})
    return out


def to_json(m, n, seed, res):
    years = list(range(m["start"], m["start"] + m["T"]))
    lines = {}
    for lid, (lst, cst) in res.items():
        d = {k: {"mean": v[0].tolist(), "se": v[1].tolist()} for k, v in lst.items()}
        d["counties"] = {
            cid: {k: {"mean": v[0][:, i].tolist(), "se": v[1][:, i].tolist()}
                  for k, v in cst.items()}
            for i, cid in enumerate(m["county_ids"])}
        lines[lid] = d
    return {"scenario": m["name"], "model": "bench/numpy_model.py", "seed": seed,
            "paths": n, "years": years, "lines": lines}


def main(argv=None):
    t0 = time.perf_counter()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("-n", "--paths", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--json", metavar="OUT.json")
    ap.add_argument("--block", type=int, metavar="PATHS",
                    help="paths per block (default 16384 / counties; 0: all at once)")
    a = ap.parse_args(argv)
    try:
        m = load_scenario(a.scenario)
    except (ScenarioError, KeyError, OSError, yaml.YAMLError) as e:
        print(f"numpy_model: {a.scenario}: {e}", file=sys.stderr)
        return 2
    n = a.paths if a.paths is not None else m["paths"]
    seed = a.seed if a.seed is not None else m["seed"]
    if a.block is not None and a.block < 0:
        print("numpy_model: --block: expected a number >= 0", file=sys.stderr)
        return 2
    res = simulate(m, n, seed, None if a.block is None else (a.block or n))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(to_json(m, n, seed, res), fh, ensure_ascii=False)
    last = ", ".join(f"{lid} {lst['exhaustion_prob'][0][-1]:.4f}"
                     for lid, (lst, _) in res.items())
    print(f"numpy_model: {os.path.basename(a.scenario)}: {n} paths x {m['T']} years, "
          f"{len(res)} lines x {len(m['county_ids'])} counties; P(exhausted by "
          f"{m['start'] + m['T'] - 1}): {last}; {time.perf_counter() - t0:.2f} s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
