"""One column specification serves a list and its workbook."""

import pytest

from riskcomp.columns import Col, Columns

ROWS = Columns(
    number=Col("申报编号", lambda r: r["number"], width=16, sort="number"),
    base=Col("基数（元）", lambda r: r["base"], "money", 18, sort="base",
             export_label="不良贷款本金余额（元）"),
    note=Col("说明"),
)


def test_the_list_takes_heading_sort_and_alignment_from_the_specification() -> None:
    [(k1, number), (k2, base)] = ROWS.listing("number", "base")
    assert (k1, number.label, number.sort, number.numeric) == ("number", "申报编号", "number",
                                                               False)
    assert (k2, base.label, base.sort, base.numeric) == ("base", "基数（元）", "base", True)


def test_the_workbook_uses_its_own_heading_where_one_is_given() -> None:
    number, base = ROWS.export("number", "base")
    assert (number.header, number.kind, number.width) == ("申报编号", "text", 16)
    assert (base.header, base.kind, base.width) == ("不良贷款本金余额（元）", "money", 18)
    assert base.value({"base": 5}) == 5


def test_a_screen_only_column_cannot_be_exported() -> None:
    with pytest.raises(ValueError, match="note"):
        ROWS.export("note")


def test_the_right_hand_columns_win_where_both_sets_have_a_key() -> None:
    more = ROWS | Columns(note=Col("处理状态", lambda r: "ok"))
    [(_key, note)] = more.listing("note")
    assert note.label == "处理状态"
    assert [c.header for c in more.export("number", "note")] == ["申报编号", "处理状态"]
