"""Type-code decoding and signature rendering (pure functions, no Csound needed)."""

from __future__ import annotations

import pytest

from csound_assist.knowledge import Param, Signature, types


@pytest.mark.parametrize(
    ("codes", "tokens"),
    [
        ("aako", ["a", "a", "k", "o"]),
        ("(null)", []),
        ("", []),
        ("k[]ao", ["k[]", "a", "o"]),
        (".[]p", [".[]", "p"]),
        ("i[][]k", ["i[][]", "k"]),
    ],
)
def test_split_codes(codes: str, tokens: list[str]) -> None:
    assert types.split_codes(codes) == tokens


def test_var_arg_runs_fold_to_one_group() -> None:
    assert types.group_codes("mmmmmmmm", output=True) == ["m"]
    assert types.group_codes("iI", output=True) == ["i", "I"]
    # Repeated plain rates are separate positions, not a group.
    assert types.group_codes("aa", output=True) == ["a", "a"]
    assert types.group_codes("kkz", output=False) == ["k", "k", "z"]


@pytest.mark.parametrize(
    ("token", "optional", "default"),
    [("o", True, "0"), ("p", True, "1"), ("j", True, "-1"), ("v", True, "0.5"), ("h", True, "127"),
     ("q", True, "10"), ("O", True, "0"), ("J", True, "-1"), ("V", True, "0.5"), ("P", True, "1"),
     ("i", False, None), ("k", False, None)],
)
def test_optional_codes_and_defaults(token: str, optional: bool, default: str | None) -> None:
    assert types.is_optional(token) is optional
    assert types.lookup(token, output=False).default == default
    if default is not None:
        assert f"(default {default})" in types.describe(token)


def test_rates_of_codes() -> None:
    assert types.rates("O", output=False) == "ki"  # k-rate optional accepts i values too
    assert types.rates("x", output=False) == "aki"
    assert types.rates("m", output=True) == "a"  # several audio outputs
    assert types.rates("z", output=True) == "k"
    assert types.is_variadic("M") and types.is_variadic("N") and types.is_variadic("y")
    assert not types.is_variadic("k[]")
    assert types.describe("k[]") == "array of control-rate value"


def test_name_rate() -> None:
    assert types.name_rate("kcf") == "k"
    assert types.name_rate("Sfile") == "S"
    assert types.name_rate("xamp") == "x"
    assert types.name_rate("karray[]") == "k"
    assert types.name_rate("ifn") == "i"
    assert types.name_rate("tab") is None
    assert types.name_rate("...") is None


def test_render_with_generic_names() -> None:
    sig = Signature("a", "akko")
    assert sig.render("moogladder") == "aout moogladder ain, kval1, kval2 [, iopt]"
    assert sig.input_params() == [
        Param("ain", "a", False), Param("kval1", "k", False), Param("kval2", "k", False),
        Param("iopt", "o", True),
    ]


def test_render_with_manual_names() -> None:
    sig = Signature("a", "akko", ("ain", "kcf", "kres", "istor"), ("asig",))
    assert sig.render("moogladder") == "asig moogladder ain, kcf, kres [, istor]"


def test_render_no_outputs_var_args_and_arrays() -> None:
    assert Signature("", "y").render("outs") == "outs [ain, ...]"
    assert Signature("k[]", "k[]").render("sorta") == "kout[] sorta karr[]"
    assert Signature("i", "iiiim").render("ftgen") == (
        "iout ftgen ival1, ival2, ival3, ival4 [, iarg, ...]")
    assert Signature("mmmm", "iy").render("bformdec1") == "aout [, ...] bformdec1 ival [, ain, ...]"
    assert Signature("iI", "").render("date") == "iout1 [, iout2, ...] date"
    assert Signature("", "").render("turnoff") == "turnoff"


def test_output_rates() -> None:
    assert Signature("a", "k").output_rates() == {"a"}
    assert Signature("k[]", "k").output_rates() == {"k[]"}
    assert Signature("X", "").output_rates() == {"a", "k", "i"}
    assert Signature("", "k").output_rates() == set()
