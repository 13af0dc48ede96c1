"""Week over week: a hand-worked two-snapshot example with every change category, reconciled."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlsales.core.funnel_changes import CHANGE_COLUMNS, FLOWS, compare_pipeline, reconciliation
from xlsales.core.stages import default_stages

T = pd.Timestamp
EARLIER, NOW = T("2026-06-23"), T("2026-06-30")
TEAM = {"ann": "east", "bob": "west"}


def _deal(id, rep, amount, stage, status="open", close="2026-07-31", created="2026-05-01", closed=None,
          pushes=0, entered=None):
    return dict(id=id, rep=rep, team=TEAM[rep], amount=float(amount), stage=stage, status=status,
                created=T(created), stage_entered=T(entered or created), expected_close=T(close),
                closed_date=T(closed) if closed else pd.NaT, close_date_changes=pushes)


def earlier_deals() -> pd.DataFrame:
    return pd.DataFrame([
        _deal("A", "ann", 100, "lead"),
        _deal("B", "ann", 200, "proposal", close="2026-07-15"),
        _deal("C", "ann", 300, "negotiation"),
        _deal("D", "bob", 400, "needs analysis"),
        _deal("E", "bob", 500, "negotiation"),
        _deal("F", "bob", 250, "lead"),
        _deal("G", "ann", 120, "lead"),
        _deal("H", "ann", 400, "proposal", status="lost", closed="2026-06-01"),
        _deal("L", "bob", 90, "proposal", close="2026-08-31"),
    ])


def now_deals() -> pd.DataFrame:
    return pd.DataFrame([
        _deal("A", "ann", 150, "needs analysis", entered="2026-06-26"),                   # forward, up 50
        _deal("B", "ann", 200, "proposal", close="2026-08-15", pushes=2),                 # pushed twice
        _deal("C", "ann", 320, "won", status="won", closed="2026-06-29"),                 # won (300 earlier)
        _deal("D", "bob", 400, "needs analysis", status="lost", closed="2026-06-27"),     # lost
        _deal("E", "bob", 450, "proposal", close="2026-08-10", entered="2026-06-28"),     # back, down 50, pushed
        # F is gone from the CRM: removed
        _deal("G", "bob", 120, "lead"),                                                   # ann → bob
        _deal("H", "ann", 400, "lead", entered="2026-06-24"),                             # reopened
        _deal("J", "ann", 80, "lead", created="2026-06-25"),                              # new
        _deal("K", "bob", 60, "won", status="won", created="2026-06-24", closed="2026-06-28"),  # in neither
        _deal("L", "bob", 90, "proposal", close="2026-07-31"),                            # pulled in
        _deal("M", "bob", 70, "lead", created="2026-07-02"),                              # after the as-of date
    ])


@pytest.fixture(scope="module")
def changes():
    return compare_pipeline(earlier_deals(), now_deals(), default_stages(), EARLIER, NOW)


def test_company_counts_each_category_by_hand(changes):
    t = changes.total
    counts = {k: int(t[f"{k}_deals"]) for k, _ in FLOWS}
    assert counts == dict(open_before=8, new=1, reopened=1, won=1, lost=1, removed=1, moved_in=1, moved_out=1,
                          amount_up=1, amount_down=1)
    assert int(t["open_now_deals"]) == 7
    assert (int(t["forward_deals"]), int(t["back_deals"]), int(t["pushed_deals"]), int(t["pushes"]),
            int(t["pulled_in_deals"])) == (1, 1, 2, 3, 1)


def test_company_amounts_reconcile_by_hand(changes):
    t = changes.total
    amounts = {k: float(t[f"{k}_amount"]) for k, _ in FLOWS}
    assert amounts == dict(open_before=1960, new=80, reopened=400, won=300, lost=400, removed=250, moved_in=120,
                           moved_out=120, amount_up=50, amount_down=50)
    assert float(t["open_now_amount"]) == 1490
    assert 1960 + 80 + 400 - 300 - 400 - 250 + 120 - 120 + 50 - 50 == 1490
    assert float(t["difference"]) == 0
    bridge = reconciliation(t)
    assert sum(sign * amount for _, sign, amount in bridge[:-1]) == bridge[-1][2] == 1490


def test_per_rep_by_hand(changes):
    r = changes.by_rep.set_index("rep")
    ann, bob = r.loc["ann"], r.loc["bob"]
    assert (ann["team"], bob["team"]) == ("east", "west")
    # ann: 720 + new 80 + reopened 400 − won 300 − moved out 120 (G) + up 50 = 830
    assert [ann[f"{k}_amount"] for k in ("open_before", "new", "reopened", "won", "moved_out", "amount_up")] == \
        [720, 80, 400, 300, 120, 50]
    assert ann["open_now_amount"] == 830 and ann["moved_in_amount"] == 0
    # bob: 1240 + moved in 120 − lost 400 − removed 250 − down 50 = 660
    assert [bob[f"{k}_amount"] for k in ("open_before", "moved_in", "lost", "removed", "amount_down")] == \
        [1240, 120, 400, 250, 50]
    assert bob["open_now_amount"] == 660
    assert (ann["pushes"], bob["pushes"], ann["forward_deals"], bob["back_deals"], bob["pulled_in_deals"]) == \
        (2, 1, 1, 1, 1)
    assert (r["difference"] == 0).all()


def test_teams_see_the_reassignment_as_a_move_and_reconcile(changes):
    t = changes.by_team.set_index("team")
    assert t.loc["east", "moved_out_amount"] == 120 and t.loc["west", "moved_in_amount"] == 120
    assert t.loc["east", "open_now_amount"] == 830 and t.loc["west", "open_now_amount"] == 660
    assert (t["difference"] == 0).all()
    assert list(changes.by_team.columns) == ["team", *CHANGE_COLUMNS]


def test_per_deal_flags(changes):
    d = changes.deals.set_index("id")
    assert "K" not in d.index and "M" not in d.index
    assert d.loc["G", "reassigned"] and d.loc["G", "rep_before"] == "ann" and d.loc["G", "rep"] == "bob"
    assert d.loc["B", "pushes"] == 2 and d.loc["E", "pushes"] == 1
    assert d.loc["F", "is_removed"] and d.loc["F", "rep"] == "bob" and np.isnan(d.loc["F", "amount"])
    assert d.loc["H", "is_reopened"] and d.loc["J", "is_new"] and d.loc["L", "is_pulled_in"]
    assert (d.loc["A", "stage_before"], d.loc["A", "stage"]) == ("lead", "needs analysis")


def test_a_deal_reassigned_then_won_reconciles_for_both_reps():
    earlier = pd.DataFrame([_deal("X", "ann", 500, "negotiation")])
    now = pd.DataFrame([_deal("X", "bob", 550, "won", status="won", closed="2026-06-29")])
    r = compare_pipeline(earlier, now, default_stages(), EARLIER, NOW).by_rep.set_index("rep")
    assert r.loc["ann", "moved_out_amount"] == 500 and r.loc["bob", "moved_in_amount"] == 500
    assert r.loc["bob", "won_amount"] == 500 and r.loc["bob", "won_deals"] == 1
    assert (r["open_now_amount"] == 0).all() and (r["difference"] == 0).all()


def test_cents_add_up_exactly_on_many_random_deals():
    rng = np.random.default_rng(3)
    n = 5000
    stages = default_stages()
    names = stages["stage"].to_numpy()

    def snapshot(seed_ids, amount):
        status = rng.choice(["open", "open", "open", "won", "lost"], len(seed_ids))
        stage = np.where(status == "won", "won", rng.choice(names[:-1], len(seed_ids)))
        return pd.DataFrame({"id": seed_ids, "rep": rng.choice(["ann", "bob"], len(seed_ids)), "team": "east",
                             "amount": amount, "stage": stage, "status": status, "created": T("2026-01-01"),
                             "stage_entered": T("2026-01-01"), "expected_close": T("2026-09-30"),
                             "closed_date": np.where(status == "open", pd.NaT, T("2026-06-01")),
                             "close_date_changes": 0})
    ids = np.array([f"D{i}" for i in range(n)])
    a = snapshot(ids[: 4000], np.round(rng.random(4000) * 1e6, 2))
    b = snapshot(ids[1000:], np.round(rng.random(4000) * 1e6, 2))
    b["closed_date"] = pd.to_datetime(b["closed_date"])
    a["closed_date"] = pd.to_datetime(a["closed_date"])
    c = compare_pipeline(a, b, stages, EARLIER, NOW)
    assert (c.by_rep["difference"] == 0).all() and c.total["difference"] == 0
    assert c.total["open_before_amount"] == pytest.approx(a.loc[a["status"].eq("open"), "amount"].sum())
    assert c.total["open_now_amount"] == pytest.approx(b.loc[b["status"].eq("open"), "amount"].sum())


# ------------------------------------------------------------------------------ command line, workbook, memo


def _files(folder):
    earlier_deals().drop(columns="team").to_csv(folder / "earlier.csv", index=False, date_format="%Y-%m-%d")
    now_deals().drop(columns="team").to_csv(folder / "now.csv", index=False, date_format="%Y-%m-%d")
    pd.DataFrame({"rep": ["ann", "bob"], "region": ["N", "S"], "team": ["east", "west"]}).to_csv(
        folder / "reps.csv", index=False)


@pytest.fixture(scope="module")
def compared_book(tmp_path_factory):
    from click.testing import CliRunner
    from recalc import recalculate

    from xlsales.cli import main

    folder = tmp_path_factory.mktemp("compare")
    _files(folder)
    run = CliRunner().invoke(main, ["funnel", "--opportunities", str(folder / "now.csv"), "--reps",
                                    str(folder / "reps.csv"), "--compare", str(folder / "earlier.csv"),
                                    "--compare-as-of", "2026-06-23", "--as-of", "2026-06-30",
                                    "--out", str(folder / "funnel.xlsx")])
    assert run.exit_code == 0, run.output
    return run.output, recalculate(folder / "funnel.xlsx", folder / "recalc")


def test_cli_prints_the_bridge(compared_book):
    output, _ = compared_book
    assert "changes 2026-06-23 → 2026-06-30" in output
    assert "Pushes 3" in output and "Close date pulled in 1" in output and "Moved forward 1" in output


def test_changes_sheet_recalculates_to_the_hand_figures(compared_book):
    from recalc import error_cells

    _, wb = compared_book
    assert error_cells(wb) == []
    ws = wb["Changes"]
    header = [c.value for c in ws[4]]
    rows = {(r[0], r[1], r[2]): dict(zip(header, r)) for r in ws.iter_rows(min_row=5, values_only=True) if r[0]}
    company = rows[("Company", None, None)]
    assert company["Open earlier"] == 1960 and company["Open now"] == 1490
    assert company["Open earlier + changes"] == 1490 and company["Check against Deals (0 = adds up)"] == 0
    ann = rows[("Rep", "east", "ann")]
    assert (ann["Open earlier"], ann["Moved out"], ann["Open now"]) == (720, 120, 830)
    assert all(r["Check against Deals (0 = adds up)"] == 0 for r in rows.values())
    assert rows[("Rep", "west", "bob")]["Pushes"] == 1


def test_stage_events_rebuild_both_views(tmp_path):
    """--stage-events with --compare DATE: the views come from the history; amounts do not move."""
    from click.testing import CliRunner

    from xlsales.cli import main

    _files(tmp_path)
    deals = now_deals().drop(columns="team")
    deals.to_csv(tmp_path / "deals.csv", index=False, date_format="%Y-%m-%d")
    events = pd.DataFrame([("A", "lead", "2026-05-01", "open"), ("A", "needs analysis", "2026-06-26", "open"),
                           ("C", "negotiation", "2026-05-01", "open"), ("C", "won", "2026-06-29", "won"),
                           ("J", "lead", "2026-06-25", "open")], columns=["id", "stage", "entered", "status"])
    events.to_csv(tmp_path / "events.csv", index=False)
    run = CliRunner().invoke(main, ["funnel", "--opportunities", str(tmp_path / "deals.csv"), "--reps",
                                    str(tmp_path / "reps.csv"), "--stage-events", str(tmp_path / "events.csv"),
                                    "--compare", "2026-06-23", "--as-of", "2026-06-30",
                                    "--out", str(tmp_path / "f.xlsx")])
    assert run.exit_code == 0, run.output
    lines = {line[4:26].strip(): line[26:].split() for line in run.output.splitlines()
             if line.startswith("  ") and line.split()[0] in "+−="}
    assert lines["Open earlier"][0] == "2" and lines["Open earlier"][2] == "470"   # A 150 + C 320 (today's amounts)
    assert lines["Won"][0] == "1" and lines["New"][0] == "1" and lines["Open now"][2] == "230"
    assert "Moved forward 1" in run.output


@pytest.mark.parametrize("args, message", [
    (["--compare", "2026-06-23"], "needs the stage history"),
    (["--compare", "missing.csv"], "missing.csv: file not found"),
    (["--compare", "now.csv", "--compare-as-of", "2026-07-05"], "is after the as-of date"),
])
def test_bad_comparisons_exit_2_and_write_nothing(tmp_path, args, message):
    from click.testing import CliRunner

    from xlsales.cli import main

    _files(tmp_path)
    args = [a if not a.endswith(".csv") else str(tmp_path / a) for a in args]
    run = CliRunner().invoke(main, ["funnel", "--opportunities", str(tmp_path / "now.csv"), "--reps",
                                    str(tmp_path / "reps.csv"), "--as-of", "2026-06-30", *args,
                                    "--out", str(tmp_path / "f.xlsx")])
    assert run.exit_code == 2 and message in run.output, run.output
    assert not (tmp_path / "f.xlsx").exists()


@pytest.mark.parametrize("lang, words", [
    ("en", ["from ¥1,960", "to ¥1,490", "1 new (+¥80)", "1 reopened (+¥400)", "1 won (−¥300)", "1 lost (−¥400)",
            "1 removed (−¥250)", "moved in +¥120 and out −¥120", "amounts up +¥50 and down −¥50",
            "1 deal moved forward and 1 back", "2 had the close date pushed (3 times in all)"]),
    ("zh", ["由 ¥1,960", "变为 ¥1,490", "新增 1 个（+¥80）", "赢单 1 个（−¥300）", "共 3 次"]),
])
def test_memo_paragraph_gives_the_hand_figures(changes, lang, words):
    from xlsales.memos.context import review_context
    from xlsales.memos.periods import period
    from xlsales.memos.render import render_memo
    from xlsales.memos.sources import pipeline_changes

    c = pipeline_changes(changes)
    assert (c["open_before_amount"], c["open_now_amount"], c["pushes"]) == (1960.0, 1490.0, 3)
    bob = pipeline_changes(changes, ["bob"])
    assert (bob["open_before_amount"], bob["moved_in_amount"], bob["open_now_amount"]) == (1240.0, 120.0, 660.0)
    assert pipeline_changes(changes, ["nobody"]) is None
    reps = pd.DataFrame({"rep": ["ann", "bob"], "region": ["N", "S"], "team": ["east", "west"]})
    orders = pd.DataFrame({"date": [T("2026-06-10")], "rep": ["ann"], "amount": [100.0]})
    targets = pd.DataFrame({"rep": ["ann", "bob"], "month": [T("2026-06-01")] * 2, "target": [500.0, 500.0]})
    funnel = {"stages": [{"stage": "lead", "reached": 2}, {"stage": "won", "reached": 1}], "open": 1490.0,
              "changes": c}
    memo = render_memo(review_context(orders, reps, targets, period("2026-06"), funnel=funnel), lang)
    for w in words:
        assert w in memo.markdown, (w, memo.markdown)
