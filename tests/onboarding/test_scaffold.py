"""`salesperf init`'s header vocabulary and choices, header by header."""

from __future__ import annotations

import pytest

from salesperf.scaffold import guess_mapping


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("close_value", "amount"),
        ("opportunity_id", "order_id"),
        ("InvoiceNo", "order_id"),
        ("UnitPrice", "unit_price"),
        ("Quantity", "quantity"),
        ("总金额", "amount"),
        ("实付金额", "amount"),
        ("买家实际支付金额", "amount"),
        ("订单创建时间", "date"),
        ("付款时间", "date"),
        ("客户ID", "customer"),
        ("sales_agent", "rep"),
        ("deal_stage", "stage"),
        ("Order Date", "date"),
    ],
)
def test_real_headers_are_recognised(header: str, field: str) -> None:
    assert guess_mapping([header]) == {field: header}


def test_an_id_wins_over_a_name_for_customers_whatever_the_order() -> None:
    assert guess_mapping(["Customer Name", "Customer ID"])["customer"] == "Customer ID"
    assert guess_mapping(["客户名称", "客户ID"])["customer"] == "客户ID"


def test_a_close_date_wins_over_other_dates_and_a_header_is_used_once() -> None:
    mapping = guess_mapping(["engage_date", "close_date", "created", "Sales", "Revenue"])
    assert mapping == {"date": "close_date", "amount": "Sales"}
    # 订单创建时间 (every order has one) wins over 付款时间 (empty for unpaid orders).
    assert guess_mapping(["付款时间", "订单创建时间"])["date"] == "订单创建时间"
