"""Write the CRM export fixtures: the same eight deals as each CRM exports them (its documented column
names, its stage words, a few columns of its own that we ignore) and in our own format. Run once:
``.venv/bin/python tests/crm_exports/make_exports.py``; the files are committed."""
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
# id, rep, customer, amount, our stage, status, created, stage entered, expected close (closed on it)
DEALS = [
    ("D1", "ann", "Acme", 12000, "lead", "open", "2026-05-02", "2026-05-02", "2026-08-31"),
    ("D2", "ann", "Bolt", 30000, "needs analysis", "open", "2026-04-10", "2026-05-20", "2026-07-31"),
    ("D3", "ann", "Core", 45000, "proposal", "open", "2026-03-01", "2026-06-01", "2026-06-20"),
    ("D4", "bob", "Dune", 80000, "negotiation", "open", "2026-02-15", "2026-06-10", "2026-07-15"),
    ("D5", "bob", "Echo", 25000, "won", "won", "2026-01-20", "2026-04-30", "2026-04-30"),
    ("D6", "bob", "Fern", 15000, "lead", "lost", "2026-02-01", "2026-03-15", "2026-03-15"),
    ("D7", "ann", "Gale", 60000, "won", "won", "2026-01-05", "2026-05-28", "2026-05-28"),
    ("D8", "bob", "Hive", 9000, "proposal", "open", "2026-05-25", "2026-06-15", "2026-09-30"),
]
# CRM stage words per our stage (lost deals show the CRM's lost stage)
WORDS = {
    "zoho": {"lead": "Qualification", "needs analysis": "Needs Analysis", "proposal": "Proposal/Price Quote",
             "negotiation": "Negotiation/Review", "won": "Closed Won", "lost": "Closed Lost"},
    "salesforce": {"lead": "Prospecting", "needs analysis": "Needs Analysis", "proposal": "Proposal/Price Quote",
                   "negotiation": "Negotiation/Review", "won": "Closed Won", "lost": "Closed Lost"},
    "hubspot": {"lead": "Appointment Scheduled", "needs analysis": "Presentation Scheduled",
                "proposal": "Decision Maker Bought-In", "negotiation": "Contract Sent", "won": "Closed won",
                "lost": "Closed lost"},
    "fxiaoke": {"lead": "验证客户", "needs analysis": "需求确定", "proposal": "方案/报价", "negotiation": "谈判审核",
                "won": "赢单", "lost": "输单"},
    "jiandaoyun": {"lead": "初步接洽", "needs analysis": "需求确认", "proposal": "方案报价", "negotiation": "商务谈判",
                   "won": "赢单", "lost": "输单"},
}
OWNERS = {"ann": "Ann Lee", "bob": "Bob Wu"}
# order id, rep, customer, date, amount, collected: the sales; each export adds one order that is not a
# sale (cancelled, draft, or an open deal) which the preset must leave out
ORDERS = [
    ("SO-1", "ann", "Acme", "2026-01-15", 12000.0, 12000.0),
    ("SO-2", "ann", "Gale", "2026-02-03", 60000.0, 30000.0),
    ("SO-3", "bob", "Echo", "2026-02-28", 25000.0, 25000.0),
    ("SO-4", "bob", "Dune", "2026-03-10", 8000.5, 0.0),
    ("SO-5", "ann", "Core", "2026-04-22", 45000.0, 45000.0),
    ("SO-6", "bob", "Hive", "2026-05-30", 9000.0, 4500.0),
]
NOT_SOLD = ("SO-7", "bob", "Fern", "2026-05-02", 99999.0, 0.0)


def main():
    ours = pd.DataFrame(DEALS, columns=["id", "rep", "customer", "amount", "stage", "status", "created",
                                        "stage_entered", "expected_close"])
    ours["rep"] = ours["rep"].map(OWNERS)
    closed = ours["status"].ne("open")
    ours["closed_date"] = ours["expected_close"].where(closed, "")
    # The CRMs without a stage-entered column: our file says what the preset assumes (created).
    ours.to_csv(HERE / "ours.csv", index=False)
    pd.DataFrame({"rep": list(OWNERS.values()), "region": ["North", "South"], "team": ["east", "west"]}).to_csv(
        HERE / "reps.csv", index=False)
    same_as_created = ours.assign(stage_entered=ours["created"])
    same_as_created.to_csv(HERE / "ours_created.csv", index=False)

    def crm_stage(crm):
        return [WORDS[crm]["lost"] if s == "lost" else WORDS[crm][st] for st, s in zip(ours["stage"], ours["status"])]

    d = ours
    zoho = pd.DataFrame({
        "Record Id": ["zcrm_" + i for i in d["id"]], "Deal Owner": d["rep"], "Deal Name": d["customer"] + " deal",
        "Amount": d["amount"], "Closing Date": d["expected_close"], "Account Name": d["customer"],
        "Stage": crm_stage("zoho"), "Type": "New Business", "Probability (%)": 50, "Lead Source": "Web",
        "Created Time": d["created"] + " 09:30:00", "Modified Time": "2026-06-30 18:00:00"})
    zoho.to_csv(HERE / "zoho.csv", index=False)
    sf = pd.DataFrame({
        "Opportunity Owner": d["rep"], "Account Name": d["customer"], "Opportunity Name": d["customer"] + " deal",
        "Stage": crm_stage("salesforce"), "Fiscal Period": "Q2-2026", "Amount": d["amount"],
        "Probability (%)": "50%", "Age": 30, "Close Date": pd.to_datetime(d["expected_close"]).dt.strftime("%Y/%-m/%-d"),
        "Created Date": pd.to_datetime(d["created"]).dt.strftime("%Y/%-m/%-d"),
        "Last Stage Change Date": pd.to_datetime(d["stage_entered"]).dt.strftime("%Y/%-m/%-d"),
        "Next Step": "", "Lead Source": "Web", "Type": "New Customer", "Opportunity ID": "006" + d["id"]})
    sf.to_csv(HERE / "salesforce.csv", index=False)
    hub = pd.DataFrame({
        "Record ID": range(9001, 9001 + len(d)), "Deal Name": d["customer"] + " deal", "Deal Stage": crm_stage("hubspot"),
        "Close Date": d["expected_close"] + " 00:00", "Deal owner": d["rep"], "Amount": d["amount"],
        "Create Date": d["created"] + " 10:00", "Pipeline": "Sales Pipeline", "Associated Company": d["customer"]})
    hub.to_csv(HERE / "hubspot.csv", index=False)
    fx = pd.DataFrame({
        "商机名称": d["customer"] + "项目", "客户名称": d["customer"], "商机金额": d["amount"],
        "销售阶段": [WORDS["fxiaoke"][s] for s in d["stage"]], "预计成交日期": d["expected_close"],
        "负责人": d["rep"], "所属部门": "销售部", "创建时间": d["created"] + " 08:00",
        "状态": d["status"].map({"open": "进行中", "won": "赢单", "lost": "输单"}), "商机编号": d["id"]})
    fx.to_csv(HERE / "fxiaoke.csv", index=False, encoding="gb18030")
    jd = pd.DataFrame({
        "商机名称": d["customer"] + "项目", "客户名称": d["customer"], "预计成交金额": d["amount"],
        "商机阶段": crm_stage("jiandaoyun"), "预计成交日期": pd.to_datetime(d["expected_close"]),
        "负责人": d["rep"], "创建时间": pd.to_datetime(d["created"]), "提交人": "管理员"})
    with pd.ExcelWriter(HERE / "jiandaoyun.xlsx") as writer:
        jd.to_excel(writer, index=False, sheet_name="商机")
    orders()


def orders():
    """Orders as each CRM exports them (its sales-order or won-deal fields), and in our own format."""
    ours = pd.DataFrame(ORDERS, columns=["order_id", "rep", "customer", "date", "amount", "collected"])
    ours["rep"] = ours["rep"].map(OWNERS)
    ours.to_csv(HERE / "ours_orders.csv", index=False)
    o = pd.concat([ours, pd.DataFrame([NOT_SOLD], columns=ours.columns).assign(rep=OWNERS["bob"])],
                  ignore_index=True)
    sold = [True] * len(ORDERS) + [False]
    pd.DataFrame({
        "Record Id": ["zcrm_" + i for i in o["order_id"]], "Subject": o["customer"] + " order",
        "SO Number": o["order_id"], "Account Name": o["customer"], "Sales Order Owner": o["rep"],
        "Status": ["Delivered" if s else "Cancelled" for s in sold], "Sub Total": o["amount"],
        "Grand Total": o["amount"], "Created Time": o["date"] + " 11:20:00", "Carrier": "FedEx",
    }).to_csv(HERE / "zoho_orders.csv", index=False)
    pd.DataFrame({
        "Order Number": ["0000010" + i[-1] for i in o["order_id"]], "Account Name": o["customer"],
        "Order Start Date": pd.to_datetime(o["date"]).dt.strftime("%Y/%-m/%-d"),
        "Status": ["Activated" if s else "Draft" for s in sold], "Order Amount": o["amount"],
        "Order Owner": o["rep"], "Contract Number": "00000100", "Order Type": "New",
    }).to_csv(HERE / "salesforce_orders.csv", index=False)
    pd.DataFrame({
        "Record ID": range(7001, 7001 + len(o)), "Deal Name": o["customer"] + " deal",
        "Deal Stage": ["Closed won" if s else "Contract Sent" for s in sold], "Close Date": o["date"] + " 00:00",
        "Deal owner": o["rep"], "Amount": o["amount"], "Create Date": "2026-01-02 10:00",
        "Pipeline": "Sales Pipeline", "Associated Company": o["customer"],
    }).to_csv(HERE / "hubspot_orders.csv", index=False)
    pd.DataFrame({
        "销售订单编号": o["order_id"], "客户名称": o["customer"], "下单日期": o["date"], "销售订单金额": o["amount"],
        "已回款金额": o["collected"], "负责人": o["rep"], "生命状态": ["正常" if s else "作废" for s in sold],
        "所属部门": "销售部", "创建时间": o["date"] + " 08:00",
    }).to_csv(HERE / "fxiaoke_orders.csv", index=False, encoding="gb18030")
    jd = pd.DataFrame({
        "合同编号": o["order_id"], "客户名称": o["customer"], "签订日期": pd.to_datetime(o["date"]),
        "合同金额": o["amount"], "已回款金额": o["collected"], "负责人": o["rep"],
        "订单状态": ["执行中" if s else "已作废" for s in sold], "提交人": "管理员"})
    with pd.ExcelWriter(HERE / "jiandaoyun_orders.xlsx") as writer:
        jd.to_excel(writer, index=False, sheet_name="合同订单")


if __name__ == "__main__":
    main()
