"""`salesperf init`: guess a starter kpi.yaml from an export's header row."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

#: salesperf field -> header synonyms (compared after lowercasing and removing spaces,
#: underscores and dashes). Order matters: earlier synonyms are preferred.
SYNONYMS: dict[str, list[str]] = {
    "date": [
        "orderdate",
        "date",
        "closedate",
        "invoicedate",
        "saledate",
        "transactiondate",
        "订单日期",
        "日期",
        "下单日期",
        "成交日期",
        "销售日期",
        "开票日期",
    ],
    "rep": [
        "salesrep",
        "rep",
        "repid",
        "salesperson",
        "salesagent",
        "owner",
        "employeeid",
        "employee",
        "seller",
        "accountmanager",
        "销售员",
        "业务员",
        "销售代表",
        "销售人员",
        "客户经理",
        "负责人",
    ],
    "amount": [
        "amount",
        "sales",
        "revenue",
        "salesamount",
        "total",
        "value",
        "netamount",
        "销售额",
        "金额",
        "销售金额",
        "订单金额",
        "成交金额",
        "收入",
    ],
    "customer": [
        "customerid",
        "customer",
        "customername",
        "account",
        "client",
        "accountname",
        "客户",
        "客户名称",
        "客户编号",
        "客户名",
    ],
    "team": ["team", "salesteam", "department", "manager", "团队", "部门", "小组", "销售团队"],
    "region": ["region", "territory", "area", "regionaloffice", "区域", "大区", "地区"],
    "product": ["product", "productname", "productline", "sku", "item", "产品", "产品名称", "商品"],
    "quantity": ["quantity", "qty", "units", "quantityordered", "数量", "销量"],
    "stage": ["stage", "dealstage", "status", "阶段", "状态", "商机阶段"],
    "order_id": ["orderid", "ordernumber", "orderno", "invoice", "订单编号", "订单号", "单号"],
}


@dataclass(frozen=True)
class Scaffold:
    mapping: dict[str, str]  # field -> header
    unmapped: list[str]  # headers left alone
    text: str


def _norm(header: str) -> str:
    return re.sub(r"[\s_\-./]+", "", header.strip().lower())


def guess_mapping(headers: list[str]) -> dict[str, str]:
    """Map salesperf fields to headers by synonym; each header is used at most once."""
    normalised = {_norm(h): h for h in reversed(headers)}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for field, synonyms in SYNONYMS.items():
        for synonym in synonyms:
            header = normalised.get(_norm(synonym))
            if header is not None and header not in taken:
                mapping[field] = header.strip()
                taken.add(header)
                break
    return mapping


def _q(value: str) -> str:
    """Quote a YAML scalar only when needed (JSON strings are valid YAML)."""
    if re.fullmatch(r"[A-Za-z\u4e00-\u9fff][\w\u4e00-\u9fff ]*", value) and not value.endswith(" "):
        return value
    return json.dumps(value, ensure_ascii=False)


def build_scaffold(data_file: Path, headers: list[str], spec_dir: Path) -> Scaffold:
    mapping = guess_mapping(headers)
    unmapped = [h for h in headers if h.strip() not in mapping.values()]
    chinese = any(re.search(r"[\u4e00-\u9fff]", h) for h in headers)
    rel = os.path.relpath(data_file.resolve(), spec_dir.resolve())
    lines = [
        "# Starter kpi.yaml written by `salesperf init`. Review every line, then run",
        "#   salesperf check kpi.yaml",
        "# kpi.yaml.example in the salesperf repository documents every key.",
        "version: 1",
        "title: Monthly sales review" if not chinese else "title: 月度销售回顾",
        f"currency: {'CNY' if chinese else 'USD'}",
        f"locale: {'zh-CN' if chinese else 'en'}",
        "period: month",
        "",
        "sources:",
        "  orders:",
        f"    path: {_q(rel)}",
        "    columns:                # salesperf field: header as it appears in the file",
    ]
    if "date" not in mapping:
        lines.append("      date: CHANGE_ME         # required: the column that dates each row")
    for field, header in mapping.items():
        lines.append(f"      {field}: {_q(header)}")
    for header in unmapped:
        lines.append(f"      # ?: {_q(header.strip())}")
    if "order_id" in mapping:
        lines.append("    key: order_id           # duplicated order ids are reported")
    lines += ["", "kpis:"]
    has_amount = "amount" in mapping
    has_customer = "customer" in mapping
    kpis: list[list[str]] = []
    if has_amount:
        kpis.append(
            [
                "  - id: revenue",
                f"    name: {'销售额' if chinese else 'Revenue'}",
                "    source: orders",
                "    measure: sum",
                "    column: amount",
                "    unit: currency",
                "    weight: WEIGHT",
                "    target: {method: last_year, growth: 0.08, allocate: history_share}",
            ]
        )
    kpis.append(
        [
            "  - id: orders",
            f"    name: {'订单数' if chinese else 'Orders'}",
            "    source: orders",
            "    measure: count",
            "    unit: count",
            "    weight: WEIGHT",
            "    target: {method: trailing_mean, periods: 3}",
        ]
    )
    if has_customer:
        kpis.append(
            [
                "  - id: new_customers",
                f"    name: {'新客户数' if chinese else 'New customers'}",
                "    source: orders",
                "    measure: new_customers",
                "    unit: count",
                "    weight: WEIGHT",
                "    target: {method: trailing_mean, periods: 3}",
            ]
        )
    weights = _split_100(len(kpis))
    for block, weight in zip(kpis, weights, strict=True):
        lines += [line.replace("WEIGHT", str(weight)) for line in block]
    return Scaffold(mapping, unmapped, "\n".join(lines) + "\n")


def _split_100(n: int) -> list[int]:
    base, extra = divmod(100, n)
    return [base + (1 if i < extra else 0) for i in range(n)]
