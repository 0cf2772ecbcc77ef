#!/usr/bin/env python3
"""Expected report figures for the shared datasets, computed independently.

This script reads the raw CSV files of ../shared/datasets (maven-crm,
telco-churn, ravenstack) with nothing but the Python standard library and
prints, as JSON, the figures that Tandem's reports must give on stores
imported with the README's commands. It does not use Tandem's code or
output: every figure follows the written definitions below, straight from
the source columns. reports_datasets_test.go compares Tandem against the
JSON this script prints.

Regenerate from the repository root with:

    python3 internal/cli/testdata/reports_expected.py ../shared/datasets > internal/cli/testdata/reports_expected.json

Definitions:
  * Proportions are k/n with the Wilson score 95% interval (no continuity
    correction): centre (p + z²/2n)/(1 + z²/n), half-width
    z·sqrt(p(1−p)/n + z²/4n²)/(1 + z²/n), z = 1.959963984540054, clipped to
    [0, 1] (exactly 0 when k = 0 and 1 when k = n).
  * Maven (report date 2017-12-31, on or after every close_date): win rate =
    Won / (Won + Lost); open = Engaging + Prospecting; won revenue = sum of
    close_value over Won deals; median and mean of the Won close_values
    (statistics.median: the mean of the two middle values for even n);
    cycle = close_date − engage_date in days, medians over Won and over Lost
    deals (no censoring among closed deals, so the Kaplan–Meier median equals
    the sample median under R's rule of averaging at S = 0.5 exactly);
    per product (named as in products.csv: the pipeline's "GTXPro" is
    "GTX Pro", matched case- and space-insensitively) and per sales agent the
    same win rate, won count, won revenue and closed-deal count.
  * Telco: churn = Churn "Yes" share, per Contract; add-on services =
    number of OnlineSecurity, OnlineBackup, DeviceProtection, TechSupport,
    StreamingTV, StreamingMovies equal to "Yes" (0..6); churn per count over
    all customers and over customers whose InternetService is not "No".
  * RavenStack: churn = churn_flag "True" share of subscriptions, per
    plan_tier of the subscription; features in the first 30 days = for each
    subscription, the number of distinct feature_name values among the usage
    rows of ANY subscription of the same account with
    signup_date <= usage_date <= signup_date + 30 days (signup_date of the
    account in ravenstack_accounts.csv); churn per that number.
"""

import csv
import datetime
import json
import math
import os
import statistics
import sys

Z = 1.959963984540054  # the 97.5 % quantile of the standard normal


def wilson(k, n):
    p = k / n
    z2 = Z * Z
    den = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / den
    half = Z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / den
    lo, hi = centre - half, centre + half
    if k == 0:
        lo = 0.0
    if k == n:
        hi = 1.0
    return max(lo, 0.0), min(hi, 1.0)


def proportion(k, n):
    lo, hi = wilson(k, n)
    return {"k": k, "n": n, "rate": k / n, "ci_low": lo, "ci_high": hi}


def rows(path):
    with open(path, newline="", encoding="ascii") as f:
        return list(csv.DictReader(f))


def day(s):
    return datetime.date.fromisoformat(s)


def fold(name):
    return "".join(name.lower().split())


def deal_figures(deals):
    """Win rate, counts and won amounts of a list of pipeline rows."""
    won = [d for d in deals if d["deal_stage"] == "Won"]
    lost = [d for d in deals if d["deal_stage"] == "Lost"]
    out = proportion(len(won), len(won) + len(lost))
    out["won"] = len(won)
    out["lost"] = len(lost)
    out["closed"] = len(won) + len(lost)
    out["open"] = len(deals) - len(won) - len(lost)
    # close_value is a whole number of dollars on every row: sum exactly.
    out["won_revenue"] = sum(int(d["close_value"]) for d in won)
    return out


def maven(root):
    d = os.path.join(root, "maven-crm")
    pipeline = rows(os.path.join(d, "sales_pipeline.csv"))
    products = {fold(p["product"]): p["product"] for p in rows(os.path.join(d, "products.csv"))}
    out = deal_figures(pipeline)
    won = [x for x in pipeline if x["deal_stage"] == "Won"]
    lost = [x for x in pipeline if x["deal_stage"] == "Lost"]
    amounts = [int(x["close_value"]) for x in won]
    out["median_won_amount"] = statistics.median(amounts)
    out["mean_won_amount"] = statistics.fmean(amounts)

    def cycle(ds):
        return [(day(x["close_date"]) - day(x["engage_date"])).days for x in ds]

    out["median_won_cycle_days"] = statistics.median(cycle(won))
    out["median_lost_cycle_days"] = statistics.median(cycle(lost))
    out["won_cycle_n"] = len(won)
    out["lost_cycle_n"] = len(lost)

    by_product = {}
    for x in pipeline:
        by_product.setdefault(products[fold(x["product"])], []).append(x)
    out["products"] = {k: deal_figures(v) for k, v in sorted(by_product.items())}
    by_agent = {}
    for x in pipeline:
        by_agent.setdefault(x["sales_agent"], []).append(x)
    out["reps"] = {k: deal_figures(v) for k, v in sorted(by_agent.items())}
    return {"as_of": "2017-12-31", "deals": len(pipeline), **out}


ADDONS = ["OnlineSecurity", "OnlineBackup", "DeviceProtection", "TechSupport", "StreamingTV", "StreamingMovies"]


def churn_by(items, key, churned):
    groups = {}
    for it in items:
        groups.setdefault(key(it), []).append(it)
    return {k: proportion(sum(1 for it in v if churned(it)), len(v)) for k, v in sorted(groups.items())}


def telco(root):
    cust = rows(os.path.join(root, "telco-churn", "WA_Fn-UseC_-Telco-Customer-Churn.csv"))
    churned = lambda c: c["Churn"] == "Yes"
    addons = lambda c: str(sum(1 for a in ADDONS if c[a] == "Yes"))
    internet = [c for c in cust if c["InternetService"] != "No"]
    return {
        "customers": len(cust),
        "churn": proportion(sum(1 for c in cust if churned(c)), len(cust)),
        "churn_by_contract": churn_by(cust, lambda c: c["Contract"], churned),
        "addons": ADDONS,
        "churn_by_addons_all": churn_by(cust, addons, churned),
        "internet_customers": len(internet),
        "churn_by_addons_internet": churn_by(internet, addons, churned),
    }


def raven(root):
    d = os.path.join(root, "ravenstack")
    accounts = {a["account_id"]: a for a in rows(os.path.join(d, "ravenstack_accounts.csv"))}
    subs = rows(os.path.join(d, "ravenstack_subscriptions.csv"))
    usage = rows(os.path.join(d, "ravenstack_feature_usage.csv"))
    sub_account = {s["subscription_id"]: s["account_id"] for s in subs}
    churned = lambda s: s["churn_flag"] == "True"

    # Distinct features each account used in [signup, signup + 30 days],
    # over the usage rows of all its subscriptions.
    used = {a: set() for a in accounts}
    for u in usage:
        acct = sub_account[u["subscription_id"]]
        signup = day(accounts[acct]["signup_date"])
        if signup <= day(u["usage_date"]) <= signup + datetime.timedelta(days=30):
            used[acct].add(u["feature_name"])
    n_feats = lambda s: str(len(used[s["account_id"]]))
    # The latest date in the files, to show that a report date of
    # 2030-01-01 judges every subscription and window.
    latest = max(
        [day(s[c]) for s in subs for c in ("start_date", "end_date") if s[c]]
        + [day(u["usage_date"]) for u in usage]
        + [day(a["signup_date"]) for a in accounts.values()]
    )
    return {
        "as_of": "2030-01-01",
        "latest_date": latest.isoformat(),
        "subscriptions": len(subs),
        "churn": proportion(sum(1 for s in subs if churned(s)), len(subs)),
        "churn_by_plan": churn_by(subs, lambda s: s["plan_tier"], churned),
        "churn_by_features_30d_signup": churn_by(subs, n_feats, churned),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: reports_expected.py DATASETS_DIR > reports_expected.json")
    root = sys.argv[1]
    out = {
        "_regenerate": "python3 internal/cli/testdata/reports_expected.py ../shared/datasets > internal/cli/testdata/reports_expected.json",
        "wilson_z": Z,
        "maven": maven(root),
        "telco": telco(root),
        "raven": raven(root),
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
