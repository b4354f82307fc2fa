import pytest

from digest.ranking.interests import Interest, InterestError, parse_interests, validate_interests


def test_comma_separated_with_phrase_weight_and_exclusion():
    parsed = parse_interests('OOD, "diffusion language models"^2, RLHF^0.5, -survey')
    assert parsed.include == (
        Interest("OOD", "OOD"),
        Interest("diffusion language models", '"diffusion language models"^2', True, 2.0),
        Interest("RLHF", "RLHF^0.5", False, 0.5),
    )
    assert parsed.exclude == (Interest("survey", "-survey"),)


def test_extra_excludes_and_commas_inside_quotes():
    parsed = parse_interests('"vision, language", flows', exclude="benchmark, -dataset")
    assert [i.text for i in parsed.include] == ["vision, language", "flows"]
    assert parsed.include[0].phrase
    assert [i.text for i in parsed.exclude] == ["benchmark", "dataset"]


def test_spaces_collapse_and_empty_items_drop():
    parsed = parse_interests("  knowledge    distillation ,, ,LLM ")
    assert [i.text for i in parsed.include] == ["knowledge distillation", "LLM"]
    assert not parsed.include[0].phrase


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("diffusion^x", r"a weight is written term\^2"),
        ("diffusion^0", "weight must be above 0"),
        ("diffusion^11", "at most 10"),
        ('"open phrase', "unbalanced quote"),
        ("--, ok", "no letters or digits"),
    ],
)
def test_bad_items_name_the_problem(raw, message):
    with pytest.raises(InterestError, match=message):
        parse_interests(raw)


def test_letters_of_any_script_are_letters():
    parsed = parse_interests("β, Rényi, 大模型 + μ")
    assert [i.text for i in parsed.include] == ["β", "Rényi", "大模型 + μ"]
    with pytest.raises(InterestError, match="no letters or digits"):
        parse_interests("—, ok")


def test_lenient_parse_skips_bad_items():
    parsed = parse_interests("diffusion^x, flows", strict=False)
    assert [i.text for i in parsed.include] == ["flows"]


def test_validate_needs_something_to_look_for():
    with pytest.raises(InterestError, match="at least one interest"):
        validate_interests("-survey")
