#!/usr/bin/env python3
"""Independent reference values for the stats package tests.

Standard library only (math, statistics.NormalDist), written from the
published formulas, not from the Go code. Run: python3 reference.py
Every expected value in the *_test.go files that is not a published figure
is printed here.
"""
import math
from statistics import NormalDist

Z = NormalDist().inv_cdf(0.975)


def wilson(k, n, z=Z):
    # Wilson (1927) score interval, no continuity correction;
    # Newcombe (1998a) method 3:
    # (2np + z^2 -/+ z*sqrt(z^2 + 4npq)) / (2(n + z^2))
    p = k / n
    q = 1 - p
    c = 2 * n * p + z * z
    h = z * math.sqrt(z * z + 4 * n * p * q)
    d = 2 * (n + z * z)
    return (c - h) / d, (c + h) / d


def newcombe10(k1, n1, k0, n0):
    # Newcombe (1998b) method 10: hybrid score interval from Wilson limits.
    # L = d - sqrt((p1-l1)^2 + (u0-p0)^2), U = d + sqrt((u1-p1)^2 + (p0-l0)^2)
    p1, p0 = k1 / n1, k0 / n0
    l1, u1 = wilson(k1, n1)
    l0, u0 = wilson(k0, n0)
    d = p1 - p0
    return (d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2),
            d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2))


def two_prop_p(k1, n1, k0, n0):
    # pooled two-proportion z test, two-sided
    p = (k1 + k0) / (n1 + n0)
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0))
    z = (k1 / n1 - k0 / n0) / se
    return 2 * NormalDist().cdf(-abs(z))


def km(times, events):
    # Kaplan-Meier product limit with Greenwood variance
    # S(t) = prod (1 - d/n), Var S = S^2 sum d/(n(n-d)); rows at every distinct time.
    ts = sorted(set(times))
    rows = []
    s, gw = 1.0, 0.0
    n = len(times)
    for t in ts:
        d = sum(1 for x, e in zip(times, events) if x == t and e)
        c = sum(1 for x, e in zip(times, events) if x == t and not e)
        if d:
            s *= 1 - d / n
            gw += d / (n * (n - d)) if n > d else math.inf
        rows.append((t, n, d, s, gw))
        n -= d + c
    return rows


def minmin(x, y, tol=math.sqrt(2.220446049250313e-16)):
    # R survival:::survmean's minmin (print.survfit.R), None = NA:
    # first x with y < .5 + tol; if that y is .5 (within tol), average with
    # the first later x whose y is smaller.
    keep = [(a, b) for a, b in zip(x, y) if b is not None and b < .5 + tol]
    if not keep:
        return None
    x0, y0 = keep[0]
    if abs(y0 - .5) < tol:
        for a, b in keep[1:]:
            if b < y0:
                return (x0 + a) / 2
    return x0


def km_median(rows, z=Z):
    # print(survfit(...)) with conf.type="log": bands exp(log S -/+ z*se),
    # se the Greenwood SE of log S, upper capped at 1, NA where S = 0.
    x = [r[0] for r in rows]
    s = [r[3] for r in rows]
    se = [math.sqrt(r[4]) for r in rows]
    lo = [None if v == 0 else math.exp(math.log(v) - z * e) for v, e in zip(s, se)]
    hi = [None if v == 0 else min(math.exp(math.log(v) + z * e), 1) for v, e in zip(s, se)]
    return minmin(x, s), minmin(x, lo), minmin(x, hi)


def bh(p):
    # R p.adjust(method="BH"): i <- lp:1; o <- order(p, decreasing=TRUE)
    # pmin(1, cummin(n/i * p[o]))[order(o)]; NA removed, n = #non-NA
    idx = [i for i, v in enumerate(p) if v is not None]
    n = len(idx)
    o = sorted(idx, key=lambda i: p[i], reverse=True)
    out = [None] * len(p)
    m = math.inf
    for r, i in enumerate(o):
        rank = n - r
        m = min(m, n / rank * p[i])
        out[i] = min(1.0, m)
    return out


def mh_rd(strata):
    # Mantel-Haenszel risk difference, weights n1*n0/N; variance Sato (1989),
    # as given in Greenland & Robins (1985)/Rothman, Greenland & Lash (2008) eq. 15-18:
    # RD = sum (a*n0 - c*n1)/N / sum n1*n0/N
    # P_i = (n1^2*c - n0^2*a + n1*n0*(n0-n1)/2)/N^2
    # Q_i = (a*(n0-c) + c*(n1-a))/(2N)
    # Var = (RD*sum P + sum Q)/(sum n1*n0/N)^2
    num = w = P = Q = 0.0
    for a, n1, c, n0 in strata:
        N = n1 + n0
        num += (a * n0 - c * n1) / N
        w += n1 * n0 / N
        P += (n1 * n1 * c - n0 * n0 * a + n1 * n0 * (n0 - n1) / 2) / N ** 2
        Q += (a * (n0 - c) + c * (n1 - a)) / (2 * N)
    rd = num / w
    var = (rd * P + Q) / w ** 2
    se = math.sqrt(var)
    return rd, var, rd - Z * se, rd + Z * se, 2 * NormalDist().cdf(-abs(rd / se))


def mh_rr(strata):
    # Mantel-Haenszel rate ratio; Greenland & Robins (1985) variance of its log:
    # Var ln IR = sum M*T1*T0/T^2 / (sum E1*T0/T * sum E0*T1/T), M = E1+E0, T = T1+T0
    R = S = V = 0.0
    for e1, t1, e0, t0 in strata:
        t = t1 + t0
        R += e1 * t0 / t
        S += e0 * t1 / t
        V += (e1 + e0) * t1 * t0 / t ** 2
    rr = R / S
    se = math.sqrt(V / (R * S))
    return rr, se, rr * math.exp(-Z * se), rr * math.exp(Z * se), 2 * NormalDist().cdf(-abs(math.log(rr) / se))


if __name__ == '__main__':
    print('z', repr(Z))
    print('Wilson (Newcombe 1998a)')
    for k, n in [(81, 263), (15, 148), (0, 20), (1, 29)]:
        print(f'  {k}/{n}', ['%.4f' % v for v in wilson(k, n)], wilson(k, n))
    print('Newcombe method 10 (Newcombe 1998b Table II)')
    for c in [(56, 70, 48, 80), (9, 10, 3, 10), (6, 7, 2, 7), (5, 56, 0, 29),
              (0, 10, 0, 20), (0, 10, 0, 10), (10, 10, 0, 20), (10, 10, 0, 10)]:
        print(' ', c, ['%.4f' % v for v in newcombe10(*c)], newcombe10(*c))
    print('two-proportion p', two_prop_p(56, 70, 48, 80), two_prop_p(9, 10, 3, 10))
    mp = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    mpe = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    print('KM 6-MP')
    rows = km(mp, mpe)
    for t, n, d, s, gw in rows:
        if d:
            print(f'  t={t} n={n} d={d} S={s:.3f} se={s*math.sqrt(gw):.3f}', s, s * math.sqrt(gw))
    print('  median, lcl, ucl', km_median(rows))
    pl = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
    print('KM placebo median, lcl, ucl', km_median(km(pl, [1] * len(pl))))
    # flat at exactly 0.5: 1,2,3+,4 -> S=.75,.5,.5,0 ; R averages 2 and 4
    print('KM flat', km_median(km([1, 2, 3, 4], [1, 1, 0, 1])))
    # flat at the end: S = .75, .5, .5, .5 -> 2
    print('KM flat end', km_median(km([1, 2, 3, 4], [1, 1, 0, 0])))
    print('KM not reached', km_median(km([1, 2, 3, 4], [1, 0, 0, 0])))
    # non-monotone upper band: 80 of 100 fail at 1, 18 censored at 2, 1 of 2 fails at 3
    nm = [1] * 80 + [2] * 18 + [3, 4]
    nme = [1] * 80 + [0] * 18 + [1, 0]
    rows = km(nm, nme)
    for t, n, d, s, gw in rows:
        print(f'  t={t} S={s} upper={min(1, s * math.exp(Z * math.sqrt(gw)))}')
    print('KM non-monotone', km_median(rows))
    print('BH', bh([0.01, 0.04, 0.03, 0.005, 0.2]))
    print('BH ties', bh([0.02, 0.02, 0.02, 0.5]))
    print('BH NaN', bh([0.01, None, 0.04, 0.03]))
    print('BH cap', bh([0.9, 0.95, 0.99]))
    print('MH RD one stratum', mh_rd([(20, 50, 10, 60)]))
    print('MH RD three strata', mh_rd([(10, 40, 5, 35), (25, 60, 18, 70), (8, 12, 3, 15)]))
    # Charig et al. (1986) kidney stones: A = open surgery, B = PCNL; small, large stones
    print('MH RD kidney', mh_rd([(81, 87, 234, 270), (192, 263, 55, 80)]), 273 / 350 - 289 / 350)
    print('MH RR one', mh_rr([(30, 1000.0, 15, 1200.0)]))
    dh = [(32, 52407, 2, 18790), (104, 43248, 12, 10673), (206, 28612, 28, 5710),
          (186, 12663, 28, 2585), (102, 5317, 31, 1462)]
    print('MH RR Doll-Hill', mh_rr(dh))
    print('crude RR Doll-Hill', (sum(s[0] for s in dh) / sum(s[1] for s in dh)) / (sum(s[2] for s in dh) / sum(s[3] for s in dh)))
