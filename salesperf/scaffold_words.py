"""Header and value vocabularies `salesperf init` recognises, in English and Chinese.

Headers are compared after lowercasing and removing spaces, underscores, dashes, dots and
slashes (``Order Date``, ``order_date`` and ``ORDER-DATE`` are one). Earlier synonyms win.
"""

from __future__ import annotations

import re

#: salesperf field -> header synonyms, most specific first.
SYNONYMS: dict[str, list[str]] = {
    "date": [
        "closedate",
        "orderdate",
        "invoicedate",
        "date",
        "saledate",
        "salesdate",
        "transactiondate",
        "bookingdate",
        "month",
        "period",
        "订单日期",
        "成交日期",
        "下单日期",
        "订单创建时间",
        "创建时间",
        "下单时间",
        "日期",
        "销售日期",
        "开票日期",
        "付款时间",
        "订单付款时间",
        "支付时间",
        "月份",
    ],
    "rep": [
        "salesrep",
        "salesagent",
        "rep",
        "repid",
        "salesperson",
        "salesman",
        "owner",
        "opportunityowner",
        "dealowner",
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
        "销售",
    ],
    "amount": [
        "amount",
        "closevalue",
        "sales",
        "revenue",
        "salesamount",
        "netsales",
        "totalprice",
        "total",
        "value",
        "netamount",
        "dealvalue",
        "买家实际支付金额",
        "实付金额",
        "实际支付金额",
        "总金额",
        "订单金额",
        "销售额",
        "金额",
        "销售金额",
        "成交金额",
        "收入",
    ],
    "customer": [
        "customerid",
        "clientid",
        "accountid",
        "buyerid",
        "客户id",
        "客户编号",
        "买家id",
        "会员id",
        "customer",
        "account",
        "client",
        "customername",
        "accountname",
        "clientname",
        "买家会员名",
        "客户",
        "客户名称",
        "客户名",
        "买家",
    ],
    "team": [
        "team",
        "salesteam",
        "department",
        "manager",
        "reportsto",
        "团队",
        "部门",
        "小组",
        "销售团队",
    ],
    "region": [
        "region",
        "territory",
        "area",
        "regionaloffice",
        "country",
        "区域",
        "大区",
        "地区",
        "省份",
    ],
    "product": [
        "product",
        "productname",
        "productline",
        "stockcode",
        "sku",
        "item",
        "产品",
        "产品名称",
        "商品",
        "商品名称",
        "宝贝标题",
    ],
    "quantity": [
        "quantity",
        "qty",
        "units",
        "quantityordered",
        "数量",
        "购买数量",
        "商品数量",
        "宝贝总数量",
        "销量",
    ],
    "unit_price": [
        "unitprice",
        "priceeach",
        "price",
        "listprice",
        "单价",
        "商品单价",
        "价格",
    ],
    "stage": [
        "dealstage",
        "stage",
        "status",
        "orderstatus",
        "阶段",
        "商机阶段",
        "订单状态",
        "状态",
    ],
    "discount": ["discount", "discountrate", "折扣", "优惠金额"],
    "order_id": [
        "orderid",
        "opportunityid",
        "dealid",
        "invoiceno",
        "invoicenumber",
        "invoiceid",
        "ordernumber",
        "orderno",
        "invoice",
        "订单编号",
        "订单号",
        "订单id",
        "单号",
    ],
}

#: Customer headers that identify rather than name (preferred when both exist).
CUSTOMER_IDS = {"customerid", "clientid", "accountid", "buyerid", "客户id", "客户编号", "买家id"}

#: Roster headers holding a rep's display name.
NAME_HEADERS = {"name", "fullname", "displayname", "repname", "employeename", "姓名", "名字"}

#: Stage values that mean a won or a lost deal (compared lowercased, spaces removed).
WON = {"won", "closedwon", "win", "closed-won", "赢单", "成交", "已成交", "赢得", "签约"}
LOST = {"lost", "closedlost", "loss", "closed-lost", "输单", "丢单", "失败", "已丢失"}

#: Order statuses that mean the sale did not happen (left out of the source).
CANCELLED = {
    "cancelled",
    "canceled",
    "void",
    "voided",
    "refunded",
    "已取消",
    "取消",
    "交易关闭",
    "已关闭",
    "已退款",
}

#: File and sheet names that suggest a roster.
ROSTER_NAMES = re.compile(
    r"(roster|team|teams|reps|staff|people|employees|agents|salesteam|人员|团队|花名册|组织)",
    re.IGNORECASE,
)


def norm(header: str) -> str:
    """Header as compared with the synonyms."""
    return re.sub(r"[\s_\-./]+", "", str(header).strip().lower())


def is_chinese(text: str) -> bool:
    return re.search(r"[\u4e00-\u9fff]", text) is not None
