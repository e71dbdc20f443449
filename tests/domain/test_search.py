"""The search filter and order_by parser: what it accepts, the AST it builds, and how it refuses."""

from __future__ import annotations

import pytest

from shipyard.domain.errors import InvalidParameter, LimitExceeded
from shipyard.domain.search import (
    EXPERIMENTS,
    LOGGED_MODELS,
    MAX_FILTER_LENGTH,
    MAX_NESTING_DEPTH,
    MODEL_VERSIONS,
    REGISTERED_MODELS,
    RUNS,
    BoolOp,
    Comparison,
    Expr,
    Grammar,
    Identifier,
    OrderKey,
    parse_filter,
    parse_order_by,
)


def metric(key: str) -> Identifier:
    return Identifier("metric", key)


def param(key: str) -> Identifier:
    return Identifier("param", key)


def tag(key: str) -> Identifier:
    return Identifier("tag", key)


def attr(key: str) -> Identifier:
    return Identifier("attribute", key)


def dataset(key: str) -> Identifier:
    return Identifier("dataset", key)


def AND(*operands: Expr) -> BoolOp:
    return BoolOp("AND", operands)


def OR(*operands: Expr) -> BoolOp:
    return BoolOp("OR", operands)


A = Comparison(metric("a"), ">", 1.0)
B = Comparison(metric("b"), ">", 2.0)
C = Comparison(metric("c"), ">", 3.0)
D = Comparison(metric("d"), ">", 4.0)


# --- valid filters --------------------------------------------------------------------------

RUN_FILTERS = [
    # metrics
    pytest.param("metrics.acc > 0.9", Comparison(metric("acc"), ">", 0.9), id="metric_float"),
    pytest.param(
        "metric.acc >= 1", Comparison(metric("acc"), ">=", 1.0), id="metric_singular_prefix"
    ),
    pytest.param(
        "metrics.loss < -1.5e-3",
        Comparison(metric("loss"), "<", -0.0015),
        id="metric_negative_exponent",
    ),
    pytest.param(
        "metrics.loss<=2E3", Comparison(metric("loss"), "<=", 2000.0), id="metric_no_spaces"
    ),
    pytest.param("metrics.x != .5", Comparison(metric("x"), "!=", 0.5), id="metric_leading_dot"),
    pytest.param("metrics.x = -3", Comparison(metric("x"), "=", -3.0), id="metric_equals"),
    pytest.param(
        "metrics.m IS NULL", Comparison(metric("m"), "IS NULL", None), id="metric_is_null"
    ),
    pytest.param(
        "metrics.val/loss-1:x_y > 0",
        Comparison(metric("val/loss-1:x_y"), ">", 0.0),
        id="metric_key_chars",
    ),
    # params and tags
    pytest.param("params.lr = '0.01'", Comparison(param("lr"), "=", "0.01"), id="param_string"),
    pytest.param(
        'params.lr = "0.01"', Comparison(param("lr"), "=", "0.01"), id="param_double_quoted"
    ),
    pytest.param(
        'params."a b" = "x"', Comparison(param("a b"), "=", "x"), id="param_double_quoted_key"
    ),
    pytest.param(
        "parameter.p != 'x'", Comparison(param("p"), "!=", "x"), id="param_prefix_parameter"
    ),
    pytest.param(
        "parameters.p ILIKE 'A%'",
        Comparison(param("p"), "ILIKE", "A%"),
        id="param_prefix_parameters",
    ),
    pytest.param(
        "param.p LIKE 'a_'", Comparison(param("p"), "LIKE", "a_"), id="param_prefix_param"
    ),
    pytest.param("PARAMS.p = 'x'", Comparison(param("p"), "=", "x"), id="prefix_case_insensitive"),
    pytest.param(
        "params.p IN ('a', 'b')", Comparison(param("p"), "IN", ("a", "b")), id="param_in_list"
    ),
    pytest.param(
        "params.p Is Not Null", Comparison(param("p"), "IS NOT NULL", None), id="param_is_not_null"
    ),
    pytest.param("tags.`my key` = 'v'", Comparison(tag("my key"), "=", "v"), id="tag_backtick_key"),
    pytest.param(
        "tags.'my key' = 'v'", Comparison(tag("my key"), "=", "v"), id="tag_single_quoted_key"
    ),
    pytest.param(
        "tags.mlflow.parentRunId = 'abc'",
        Comparison(tag("mlflow.parentRunId"), "=", "abc"),
        id="tag_dots_in_key",
    ),
    pytest.param(
        "tag.`mlflow.note.content` LIKE '%x%'",
        Comparison(tag("mlflow.note.content"), "LIKE", "%x%"),
        id="tag_dots_in_quoted_key",
    ),
    pytest.param("tags.AND = 'x'", Comparison(tag("AND"), "=", "x"), id="tag_keyword_as_key"),
    pytest.param(
        "tags.t is null", Comparison(tag("t"), "IS NULL", None), id="tag_is_null_lowercase"
    ),
    pytest.param("tags.t not in ('x')", Comparison(tag("t"), "NOT IN", ("x",)), id="tag_not_in"),
    # string values
    pytest.param("tags.t = ''", Comparison(tag("t"), "=", ""), id="value_empty_string"),
    pytest.param(
        "tags.t = 'it''s'", Comparison(tag("t"), "=", "it's"), id="value_doubled_single_quote"
    ),
    pytest.param(
        'tags.t = "say ""hi"""',
        Comparison(tag("t"), "=", 'say "hi"'),
        id="value_doubled_double_quote",
    ),
    pytest.param(
        r"tags.t = 'it\'s'", Comparison(tag("t"), "=", "it's"), id="value_backslash_quote"
    ),
    pytest.param(
        r"tags.t = 'a\\b'", Comparison(tag("t"), "=", "a\\b"), id="value_backslash_backslash"
    ),
    pytest.param(
        r"tags.t = 'C:\data'",
        Comparison(tag("t"), "=", "C:\\data"),
        id="value_other_backslash_kept",
    ),
    pytest.param(
        r"tags.t LIKE '100\%'", Comparison(tag("t"), "LIKE", "100\\%"), id="value_like_escape_kept"
    ),
    pytest.param(
        "tags.t = 'a AND b OR (c)'",
        Comparison(tag("t"), "=", "a AND b OR (c)"),
        id="value_keywords_inside",
    ),
    pytest.param(r"tags.`a\`b` = 'x'", Comparison(tag("a`b"), "=", "x"), id="key_escaped_backtick"),
    # attributes
    pytest.param(
        "status = 'FINISHED'", Comparison(attr("status"), "=", "FINISHED"), id="attribute_bare"
    ),
    pytest.param(
        "attributes.status != 'FAILED'",
        Comparison(attr("status"), "!=", "FAILED"),
        id="attribute_prefix_attributes",
    ),
    pytest.param(
        "attr.user_id = 'u'", Comparison(attr("user_id"), "=", "u"), id="attribute_prefix_attr"
    ),
    pytest.param(
        "run.artifact_uri LIKE 's3://%'",
        Comparison(attr("artifact_uri"), "LIKE", "s3://%"),
        id="attribute_prefix_run",
    ),
    pytest.param(
        "attribute.run_name = 'r'",
        Comparison(attr("run_name"), "=", "r"),
        id="attribute_prefix_attribute",
    ),
    pytest.param(
        "attributes.`Run name` = 'x'",
        Comparison(attr("run_name"), "=", "x"),
        id="alias_quoted_run_name",
    ),
    pytest.param(
        "attributes.\"run name\" = 'x'",
        Comparison(attr("run_name"), "=", "x"),
        id="alias_double_quoted_run_name",
    ),
    pytest.param(
        "`Run Name` ILIKE 'x%'",
        Comparison(attr("run_name"), "ILIKE", "x%"),
        id="alias_bare_backticked",
    ),
    pytest.param(
        "\"Run name\" = 'x'", Comparison(attr("run_name"), "=", "x"), id="alias_bare_double_quoted"
    ),
    pytest.param(
        "created > 1700000000000",
        Comparison(attr("start_time"), ">", 1700000000000),
        id="alias_created",
    ),
    pytest.param(
        "Created >= 0", Comparison(attr("start_time"), ">=", 0), id="alias_created_capital"
    ),
    pytest.param("run_uuid = 'abc'", Comparison(attr("run_id"), "=", "abc"), id="alias_run_uuid"),
    pytest.param(
        "start_time > 1.7e12",
        Comparison(attr("start_time"), ">", 1700000000000),
        id="numeric_attribute_exponent",
    ),
    pytest.param(
        "end_time != -1", Comparison(attr("end_time"), "!=", -1), id="numeric_attribute_negative"
    ),
    pytest.param(
        "end_time = 9007199254740993",
        Comparison(attr("end_time"), "=", 9007199254740993),
        id="numeric_attribute_exact_digits",
    ),
    pytest.param(
        "run_id IN ('a', \"b\")",
        Comparison(attr("run_id"), "IN", ("a", "b")),
        id="run_id_in_mixed_quotes",
    ),
    pytest.param(
        "run_id IN ('a',)", Comparison(attr("run_id"), "IN", ("a",)), id="run_id_in_trailing_comma"
    ),
    pytest.param(
        "run_id NOT IN ('a')",
        Comparison(attr("run_id"), "NOT IN", ("a",)),
        id="run_id_not_in_uppercase",
    ),
    # datasets
    pytest.param(
        "datasets.name = 'train'", Comparison(dataset("name"), "=", "train"), id="dataset_name"
    ),
    pytest.param(
        "dataset.digest IN ('d1','d2')",
        Comparison(dataset("digest"), "IN", ("d1", "d2")),
        id="dataset_digest_in",
    ),
    pytest.param(
        "datasets.context LIKE 'tr%'",
        Comparison(dataset("context"), "LIKE", "tr%"),
        id="dataset_context_like",
    ),
    # boolean structure
    pytest.param("metrics.a > 1 AND metrics.b > 2", AND(A, B), id="and"),
    pytest.param("metrics.a > 1 and metrics.b > 2", AND(A, B), id="and_lowercase"),
    pytest.param("metrics.a > 1 Or metrics.b > 2", OR(A, B), id="or_mixed_case"),
    pytest.param(
        "metrics.a > 1 OR metrics.b > 2 AND metrics.c > 3",
        OR(A, AND(B, C)),
        id="and_binds_tighter_than_or",
    ),
    pytest.param(
        "metrics.a > 1 AND metrics.b > 2 OR metrics.c > 3", OR(AND(A, B), C), id="and_then_or"
    ),
    pytest.param(
        "(metrics.a > 1 OR metrics.b > 2) AND metrics.c > 3",
        AND(OR(A, B), C),
        id="parentheses_override",
    ),
    pytest.param(
        "metrics.a > 1 AND metrics.b > 2 AND metrics.c > 3", AND(A, B, C), id="and_chain_flat"
    ),
    pytest.param(
        "metrics.a > 1 AND (metrics.b > 2 AND metrics.c > 3)",
        AND(A, B, C),
        id="nested_and_flattened",
    ),
    pytest.param(
        "(metrics.a > 1 OR metrics.b > 2) OR (metrics.c > 3 OR metrics.d > 4)",
        OR(A, B, C, D),
        id="nested_or_flattened",
    ),
    pytest.param(
        "metrics.a > 1 OR (metrics.b > 2 AND metrics.c > 3) OR metrics.d > 4",
        OR(A, AND(B, C), D),
        id="or_of_and_kept",
    ),
    pytest.param("((metrics.a > 1))", A, id="redundant_parentheses"),
    pytest.param("  metrics.a>1\n AND\t(metrics.b >2 )  ", AND(A, B), id="whitespace_anywhere"),
]


@pytest.mark.parametrize(("text", "expected"), RUN_FILTERS)
def test_run_filter_parses_to_the_expected_ast(text: str, expected: Expr) -> None:
    assert parse_filter(text, RUNS) == expected


def test_metric_values_are_floats_and_numeric_attribute_values_are_ints() -> None:
    parsed = parse_filter("metrics.a = 1 AND start_time = 1.0e3", RUNS)
    assert isinstance(parsed, BoolOp)
    first, second = parsed.operands
    assert isinstance(first, Comparison) and type(first.value) is float
    assert isinstance(second, Comparison) and type(second.value) is int


OTHER_FILTERS = [
    pytest.param(
        EXPERIMENTS,
        "name LIKE 'exp%'",
        Comparison(attr("name"), "LIKE", "exp%"),
        id="experiment_name",
    ),
    pytest.param(
        EXPERIMENTS,
        "name IN ('a')",
        Comparison(attr("name"), "IN", ("a",)),
        id="experiment_name_in",
    ),
    pytest.param(
        EXPERIMENTS,
        "experiment_id IN ('1', '2')",
        Comparison(attr("experiment_id"), "IN", ("1", "2")),
        id="experiment_id_in",
    ),
    pytest.param(
        EXPERIMENTS,
        "creation_time > 5",
        Comparison(attr("creation_time"), ">", 5),
        id="experiment_creation_time",
    ),
    pytest.param(
        EXPERIMENTS,
        "attributes.last_update_time <= 10",
        Comparison(attr("last_update_time"), "<=", 10),
        id="experiment_last_update_time",
    ),
    pytest.param(
        EXPERIMENTS, "tags.team = 'ml'", Comparison(tag("team"), "=", "ml"), id="experiment_tag"
    ),
    pytest.param(
        EXPERIMENTS,
        "tags.x IS NULL",
        Comparison(tag("x"), "IS NULL", None),
        id="experiment_tag_is_null",
    ),
    pytest.param(
        LOGGED_MODELS,
        "creation_time > 1",
        Comparison(attr("creation_timestamp"), ">", 1),
        id="logged_model_alias_creation_time",
    ),
    pytest.param(
        LOGGED_MODELS,
        "last_updated_time < 2",
        Comparison(attr("last_updated_timestamp"), "<", 2),
        id="logged_model_alias_last_updated_time",
    ),
    pytest.param(
        LOGGED_MODELS,
        "model_type = 'sklearn'",
        Comparison(attr("model_type"), "=", "sklearn"),
        id="logged_model_type",
    ),
    pytest.param(
        LOGGED_MODELS,
        "source_run_id = 'r'",
        Comparison(attr("source_run_id"), "=", "r"),
        id="logged_model_source_run",
    ),
    pytest.param(
        LOGGED_MODELS,
        "metrics.acc > 0.5",
        Comparison(metric("acc"), ">", 0.5),
        id="logged_model_metric",
    ),
    pytest.param(
        LOGGED_MODELS,
        "params.x IN ('a')",
        Comparison(param("x"), "IN", ("a",)),
        id="logged_model_param_in",
    ),
    pytest.param(
        REGISTERED_MODELS,
        "name = 'm'",
        Comparison(attr("name"), "=", "m"),
        id="registered_model_name",
    ),
    pytest.param(
        REGISTERED_MODELS,
        "name IN ('a', 'b')",
        Comparison(attr("name"), "IN", ("a", "b")),
        id="registered_model_name_in",
    ),
    pytest.param(
        REGISTERED_MODELS,
        "tags.`mlflow.prompt.is_prompt` != 'true'",
        Comparison(tag("mlflow.prompt.is_prompt"), "!=", "true"),
        id="registered_model_prompt_tag",
    ),
    pytest.param(
        MODEL_VERSIONS,
        "name = 'm' AND version_number > 2",
        AND(Comparison(attr("name"), "=", "m"), Comparison(attr("version_number"), ">", 2)),
        id="model_version_name_and_number",
    ),
    pytest.param(
        MODEL_VERSIONS,
        "run_id IN ('r')",
        Comparison(attr("run_id"), "IN", ("r",)),
        id="model_version_run_id_in",
    ),
    pytest.param(
        MODEL_VERSIONS,
        "source_path LIKE 's3://%'",
        Comparison(attr("source_path"), "LIKE", "s3://%"),
        id="model_version_source_path",
    ),
    pytest.param(
        MODEL_VERSIONS,
        "current_stage = 'Production'",
        Comparison(attr("current_stage"), "=", "Production"),
        id="model_version_stage",
    ),
    pytest.param(
        MODEL_VERSIONS,
        "creation_timestamp >= 1",
        Comparison(attr("creation_timestamp"), ">=", 1),
        id="model_version_created",
    ),
]


@pytest.mark.parametrize(("grammar", "text", "expected"), OTHER_FILTERS)
def test_filter_for_other_targets_parses_to_the_expected_ast(
    grammar: Grammar, text: str, expected: Expr
) -> None:
    assert parse_filter(text, grammar) == expected


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t "])
def test_absent_or_blank_filter_is_none(text: str | None) -> None:
    assert parse_filter(text, RUNS) is None


# --- invalid filters ------------------------------------------------------------------------

# (grammar, filter, fragments the message must contain, position of the caret)
BAD_FILTERS = [
    pytest.param(
        RUNS,
        "foo.bar = 'x'",
        ("unknown identifier type 'foo'", "'foo.bar' at position 0"),
        0,
        id="unknown_type_prefix",
    ),
    pytest.param(
        RUNS, "metrics. > 1", ("empty key", "'metrics.' at position 0"), 0, id="empty_key"
    ),
    pytest.param(RUNS, "tags.`` = 'x'", ("empty key",), 0, id="empty_quoted_key"),
    pytest.param(
        RUNS,
        "tags.t = 'abc",
        ("unterminated quote", "at position 9"),
        9,
        id="unterminated_value_quote",
    ),
    pytest.param(
        RUNS,
        "tags.`abc = 'x'",
        ("unterminated quote", "at position 5"),
        5,
        id="unterminated_key_quote",
    ),
    pytest.param(
        RUNS,
        "metrics.a >",
        ("missing value", "expected a number", "end of the input at position 11"),
        11,
        id="missing_value_at_end",
    ),
    pytest.param(
        RUNS,
        "metrics.a > AND metrics.b > 1",
        ("missing value", "'AND' at position 12"),
        12,
        id="missing_value_before_and",
    ),
    pytest.param(
        RUNS,
        "metrics.a",
        ("expected a comparison operator", "end of the input at position 9"),
        9,
        id="missing_operator",
    ),
    pytest.param(
        RUNS,
        "metrics.a == 1",
        ("expected a comparison operator", "'==' at position 10"),
        10,
        id="bad_operator",
    ),
    pytest.param(
        RUNS,
        "metrics.a <> 1",
        ("expected a comparison operator", "'<>' at position 10"),
        10,
        id="sql_not_equal_operator",
    ),
    pytest.param(
        RUNS,
        "metrics.a > '1'",
        ("wrong value type", "expected a number", "\"'1'\" at position 12"),
        12,
        id="metric_needs_number",
    ),
    pytest.param(
        RUNS,
        "params.p = 1",
        ("wrong value type", "quoted string", "'1' at position 11"),
        11,
        id="param_needs_string",
    ),
    pytest.param(
        RUNS, "tags.t = 1.5", ("wrong value type", "'1.5' at position 9"), 9, id="tag_needs_string"
    ),
    pytest.param(
        RUNS,
        "status = FINISHED",
        ("wrong value type", "'FINISHED' at position 9"),
        9,
        id="unquoted_word_value",
    ),
    pytest.param(
        RUNS,
        "start_time > 'x'",
        ("wrong value type", "an integer"),
        13,
        id="numeric_attribute_needs_number",
    ),
    pytest.param(
        RUNS,
        "start_time > 1.5",
        ("wrong value type", "an integer", "'1.5' at position 13"),
        13,
        id="numeric_attribute_needs_integer",
    ),
    pytest.param(
        RUNS,
        "start_time > 1e30",
        ("out of range", "'1e30' at position 13"),
        13,
        id="numeric_attribute_out_of_range",
    ),
    pytest.param(
        RUNS,
        "end_time = " + "9" * 30,
        ("out of range",),
        11,
        id="numeric_attribute_too_many_digits",
    ),
    pytest.param(
        RUNS,
        "metrics.a > 1e999",
        ("out of range", "'1e999' at position 12"),
        12,
        id="metric_out_of_range",
    ),
    pytest.param(
        RUNS,
        "metrics.a > 1.2.3",
        ("invalid number '1.2.3' at position 12",),
        12,
        id="invalid_number",
    ),
    pytest.param(
        RUNS,
        "run_id IN ('a', 1)",
        ("wrong value type in the IN list", "'1' at position 16"),
        16,
        id="in_list_needs_strings",
    ),
    pytest.param(
        RUNS,
        "run_id IN 'a'",
        ("parenthesized list", "\"'a'\" at position 10"),
        10,
        id="in_needs_a_list",
    ),
    pytest.param(
        RUNS,
        "run_id IN ('a' 'b')",
        ("expected ',' or ')'", "\"'b'\" at position 15"),
        15,
        id="in_list_missing_comma",
    ),
    pytest.param(
        RUNS,
        "run_id IN ('a', 'b'",
        ("unbalanced parentheses", "'(' at position 10 is never closed"),
        10,
        id="in_list_never_closed",
    ),
    pytest.param(RUNS, "run_id IN ()", ("empty IN list", "at position 10"), 10, id="empty_in_list"),
    pytest.param(
        RUNS,
        "tags.t NOT IN ( )",
        ("empty NOT IN list", "at position 14"),
        14,
        id="empty_not_in_list",
    ),
    pytest.param(
        RUNS,
        "metrics.a LIKE '1'",
        (
            "operator 'LIKE' at position 10 is not allowed for 'metrics.a'",
            "allowed operators: =, !=, <, <=, >, >=, IS NULL, IS NOT NULL",
        ),
        10,
        id="metric_like_not_allowed",
    ),
    pytest.param(
        RUNS, "metrics.a IN ('1')", ("operator 'IN'", "not allowed"), 10, id="metric_in_not_allowed"
    ),
    pytest.param(
        RUNS,
        "start_time LIKE '1%'",
        ("operator 'LIKE'", "allowed operators: =, !=, <, <=, >, >="),
        11,
        id="numeric_attribute_like_not_allowed",
    ),
    pytest.param(
        RUNS,
        "status < 'x'",
        ("operator '<'", "allowed operators: =, !=, LIKE, ILIKE, IN, NOT IN"),
        7,
        id="string_attribute_less_than_not_allowed",
    ),
    pytest.param(
        RUNS,
        "status IS NULL",
        ("operator 'IS NULL'", "not allowed for 'status'"),
        7,
        id="attribute_is_null_not_allowed",
    ),
    pytest.param(
        RUNS,
        "datasets.name IS NULL",
        ("operator 'IS NULL'", "not allowed"),
        14,
        id="dataset_is_null_not_allowed",
    ),
    pytest.param(
        EXPERIMENTS,
        "experiment_id LIKE '1%'",
        ("operator 'LIKE'", "allowed operators: =, !=, IN, NOT IN"),
        14,
        id="experiment_id_like_not_allowed",
    ),
    pytest.param(
        RUNS,
        "run_id NOT LIKE 'x'",
        ("expected IN after NOT", "'LIKE' at position 11"),
        11,
        id="not_without_in",
    ),
    pytest.param(
        RUNS,
        "tags.t IS 'x'",
        ("expected NULL or NOT NULL after IS", "at position 10"),
        10,
        id="is_without_null",
    ),
    pytest.param(
        RUNS,
        "tags.t IS NOT 'x'",
        ("expected NULL after IS NOT", "at position 14"),
        14,
        id="is_not_without_null",
    ),
    pytest.param(
        RUNS,
        "foo = 'x'",
        (
            "unknown attribute 'foo' at position 0",
            "run_id, run_name, status, user_id, artifact_uri, start_time, end_time",
        ),
        0,
        id="unknown_attribute",
    ),
    pytest.param(
        RUNS,
        "attributes.bar = 'x'",
        ("unknown attribute 'bar' at position 0",),
        0,
        id="unknown_prefixed_attribute",
    ),
    pytest.param(
        RUNS,
        "Status = 'x'",
        ("unknown attribute 'Status'",),
        0,
        id="attribute_names_are_case_sensitive",
    ),
    pytest.param(
        RUNS, "run name = 'x'", ("unknown attribute 'run'",), 0, id="alias_with_space_needs_quotes"
    ),
    pytest.param(
        EXPERIMENTS,
        "start_time > 1",
        ("unknown attribute 'start_time'", "name, experiment_id, creation_time, last_update_time"),
        0,
        id="unknown_experiment_attribute",
    ),
    pytest.param(
        REGISTERED_MODELS,
        "creation_timestamp > 1",
        (
            "attribute 'creation_timestamp' at position 0 cannot be used",
            "search registered models are: name",
        ),
        0,
        id="order_only_attribute_in_filter",
    ),
    pytest.param(
        EXPERIMENTS,
        "metrics.a > 1",
        ("metrics cannot search experiments", "'metrics.a' at position 0", "use tags, attributes"),
        0,
        id="metrics_not_searchable_on_experiments",
    ),
    pytest.param(
        MODEL_VERSIONS,
        "params.p = 'x'",
        ("params cannot search model versions",),
        0,
        id="params_not_searchable_on_model_versions",
    ),
    pytest.param(
        LOGGED_MODELS,
        "datasets.name = 'x'",
        ("datasets cannot search logged models",),
        0,
        id="datasets_not_searchable_on_logged_models",
    ),
    pytest.param(
        RUNS,
        "datasets.foo = 'x'",
        ("unknown dataset key 'foo'", "context, digest, name"),
        0,
        id="unknown_dataset_key",
    ),
    pytest.param(
        RUNS,
        "(metrics.a > 1",
        ("unbalanced parentheses", "'(' at position 0 is never closed"),
        0,
        id="unclosed_parenthesis",
    ),
    pytest.param(
        RUNS,
        "((metrics.a > 1)",
        ("unbalanced parentheses", "'(' at position 0 is never closed"),
        0,
        id="unclosed_inner_parenthesis",
    ),
    pytest.param(
        RUNS,
        "metrics.a > 1)",
        ("unbalanced parentheses", "')' at position 13 with no '('"),
        13,
        id="unopened_parenthesis",
    ),
    pytest.param(
        RUNS,
        ") metrics.a > 1",
        ("unbalanced parentheses", "')' at position 0"),
        0,
        id="leading_close_parenthesis",
    ),
    pytest.param(
        RUNS, "()", ("expected a comparison", "')' at position 1"), 1, id="empty_parentheses"
    ),
    pytest.param(
        RUNS,
        "(metrics.a > 1 metrics.b > 2)",
        ("expected ')' to close the '(' at position 0", "'metrics.b' at position 15"),
        15,
        id="missing_close_before_comparison",
    ),
    pytest.param(
        RUNS,
        "metrics.a > 1 metrics.b > 2",
        ("expected AND, OR or the end of the filter", "'metrics.b' at position 14"),
        14,
        id="trailing_comparison",
    ),
    pytest.param(
        RUNS,
        "metrics.a > 1 2",
        ("expected AND, OR or the end", "'2' at position 14"),
        14,
        id="trailing_value",
    ),
    pytest.param(
        RUNS, "metrics.a > 1 AND", ("dangling 'AND' at position 14",), 14, id="dangling_and_at_end"
    ),
    pytest.param(
        RUNS, "metrics.a > 1 or ", ("dangling 'or' at position 14",), 14, id="dangling_or_at_end"
    ),
    pytest.param(
        RUNS, "AND metrics.a > 1", ("dangling 'AND' at position 0",), 0, id="dangling_and_at_start"
    ),
    pytest.param(
        RUNS,
        "metrics.a > 1 AND OR metrics.b > 1",
        ("dangling 'OR' at position 18",),
        18,
        id="dangling_or_after_and",
    ),
    pytest.param(
        RUNS,
        "(metrics.a > 1 AND)",
        ("dangling 'AND' at position 15",),
        15,
        id="dangling_and_before_close",
    ),
    pytest.param(
        RUNS,
        "NOT tags.t = 'x'",
        ("expected a comparison", "'NOT' at position 0"),
        0,
        id="keyword_as_identifier",
    ),
    pytest.param(
        RUNS,
        "1 = metrics.a",
        ("expected a comparison", "'1' at position 0"),
        0,
        id="value_as_identifier",
    ),
    pytest.param(
        RUNS,
        "metrics.a > 1; drop",
        ("unexpected character ';' at position 13",),
        13,
        id="unexpected_character",
    ),
    pytest.param(
        RUNS, "metrics.a > - 1", ("unexpected character '-' at position 12",), 12, id="lone_minus"
    ),
]


@pytest.mark.parametrize(("grammar", "text", "fragments", "position"), BAD_FILTERS)
def test_invalid_filter_names_the_problem_token_and_position(
    grammar: Grammar, text: str, fragments: tuple[str, ...], position: int
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_filter(text, grammar)
    message = caught.value.message
    assert message.startswith("Invalid filter: ")
    for fragment in fragments:
        assert fragment in message
    _, shown, caret = message.split("\n")
    assert shown == f"  {text}"
    assert caret == "  " + " " * position + "^"


def test_error_message_matches_the_documented_layout() -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_filter("metrics.acc >> 0.9", RUNS)
    assert caught.value.message == (
        "Invalid filter: expected a comparison operator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, IS)"
        " after 'metrics.acc', found '>>' at position 12\n"
        "  metrics.acc >> 0.9\n"
        "              ^"
    )


def test_errors_carry_the_invalid_parameter_code() -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_filter("metrics.a >", RUNS)
    assert caught.value.code == "invalid_parameter"


def test_caret_stays_aligned_when_the_filter_has_tabs_and_newlines() -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_filter("metrics.a > 1\n\tAND bogus = 'x'", RUNS)
    _, shown, caret = caught.value.message.split("\n")
    assert shown == "  metrics.a > 1  AND bogus = 'x'"
    assert caret.index("^") == shown.index("bogus")


def test_control_characters_in_a_quoted_token_keep_the_message_three_lines() -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_filter("tags.t = 'abc\n", RUNS)
    headline, _, _ = caught.value.message.split("\n")
    assert '"\'abc\\n" at position 9' in headline


def test_long_filter_is_excerpted_around_the_error() -> None:
    text = " AND ".join(["metrics.a > 1"] * 40) + " AND metrics.b >> 2"
    with pytest.raises(InvalidParameter) as caught:
        parse_filter(text, RUNS)
    _, shown, caret = caught.value.message.split("\n")
    assert shown.startswith("  ...") and len(shown) < 140
    assert shown[caret.index("^") :].startswith(">> 2")


def test_filter_at_the_length_limit_is_accepted() -> None:
    text = "tags.t = '" + "x" * (MAX_FILTER_LENGTH - 11) + "'"
    assert len(text) == MAX_FILTER_LENGTH
    assert parse_filter(text, RUNS) is not None


def test_filter_over_the_length_limit_is_refused() -> None:
    text = "tags.t = '" + "x" * (MAX_FILTER_LENGTH - 10) + "'"
    with pytest.raises(LimitExceeded, match="10,001 characters long; the limit is 10,000"):
        parse_filter(text, RUNS)


def test_nesting_at_the_depth_limit_is_accepted() -> None:
    depth = MAX_NESTING_DEPTH
    assert parse_filter("(" * depth + "metrics.a > 1" + ")" * depth, RUNS) == A


def test_nesting_over_the_depth_limit_is_refused() -> None:
    depth = MAX_NESTING_DEPTH + 1
    with pytest.raises(LimitExceeded, match="at position 50 nests deeper than 50 levels"):
        parse_filter("(" * depth + "metrics.a > 1" + ")" * depth, RUNS)


def test_deep_nesting_is_refused_without_exhausting_the_stack() -> None:
    with pytest.raises(InvalidParameter):
        parse_filter("(" * 5000, RUNS)


def test_long_and_chain_parses_without_recursion() -> None:
    text = " AND ".join(["metrics.a > 1"] * 500)  # just under the length limit
    parsed = parse_filter(text, RUNS)
    assert isinstance(parsed, BoolOp) and len(parsed.operands) == 500


# --- order_by -------------------------------------------------------------------------------

ORDER_BYS = [
    pytest.param(
        RUNS, ["metrics.acc DESC"], [OrderKey(metric("acc"), False)], id="runs_metric_desc"
    ),
    pytest.param(RUNS, ["params.lr"], [OrderKey(param("lr"), True)], id="runs_default_ascending"),
    pytest.param(
        RUNS,
        ["tags.`my tag` asc", "start_time desc"],
        [OrderKey(tag("my tag"), True), OrderKey(attr("start_time"), False)],
        id="runs_lowercase_direction",
    ),
    pytest.param(RUNS, ["created"], [OrderKey(attr("start_time"), True)], id="runs_alias_created"),
    pytest.param(
        RUNS,
        ["attributes.`Run name` DESC"],
        [OrderKey(attr("run_name"), False)],
        id="runs_alias_run_name",
    ),
    pytest.param(
        RUNS,
        ["end_time", "run_name", "status", "run_id", "user_id", "artifact_uri"],
        [
            OrderKey(attr(k), True)
            for k in ("end_time", "run_name", "status", "run_id", "user_id", "artifact_uri")
        ],
        id="runs_every_attribute",
    ),
    pytest.param(
        RUNS,
        ["metrics.val.loss ASC"],
        [OrderKey(metric("val.loss"), True)],
        id="runs_dotted_metric_key",
    ),
    pytest.param(
        EXPERIMENTS,
        ["name", "creation_time DESC", "experiment_id", "last_update_time asc"],
        [
            OrderKey(attr("name"), True),
            OrderKey(attr("creation_time"), False),
            OrderKey(attr("experiment_id"), True),
            OrderKey(attr("last_update_time"), True),
        ],
        id="experiments",
    ),
    pytest.param(
        LOGGED_MODELS,
        ["creation_time DESC", "metrics.acc", "model_id ASC"],
        [
            OrderKey(attr("creation_timestamp"), False),
            OrderKey(metric("acc"), True),
            OrderKey(attr("model_id"), True),
        ],
        id="logged_models",
    ),
    pytest.param(
        REGISTERED_MODELS,
        ["name DESC", "creation_timestamp"],
        [OrderKey(attr("name"), False), OrderKey(attr("creation_timestamp"), True)],
        id="registered_models",
    ),
    pytest.param(
        REGISTERED_MODELS,
        ["timestamp DESC"],
        [OrderKey(attr("last_updated_timestamp"), False)],
        id="registered_models_timestamp_alias",
    ),
    pytest.param(
        MODEL_VERSIONS,
        ["version_number DESC", "name", "creation_timestamp", "last_updated_timestamp"],
        [
            OrderKey(attr("version_number"), False),
            OrderKey(attr("name"), True),
            OrderKey(attr("creation_timestamp"), True),
            OrderKey(attr("last_updated_timestamp"), True),
        ],
        id="model_versions",
    ),
]


@pytest.mark.parametrize(("grammar", "clauses", "expected"), ORDER_BYS)
def test_order_by_parses_to_the_expected_keys(
    grammar: Grammar, clauses: list[str], expected: list[OrderKey]
) -> None:
    assert parse_order_by(clauses, grammar) == expected


@pytest.mark.parametrize("clauses", [None, []])
def test_absent_order_by_is_empty(clauses: list[str] | None) -> None:
    assert parse_order_by(clauses, RUNS) == []


def test_order_by_refuses_a_bare_string() -> None:
    with pytest.raises(TypeError):
        parse_order_by("name", EXPERIMENTS)


# (grammar, clauses, fragments the message must contain, the bad clause, position of the caret)
BAD_ORDER_BYS = [
    pytest.param(
        RUNS,
        ["metrics.acc DOWN"],
        ("expected ASC or DESC after 'metrics.acc'", "'DOWN' at position 12"),
        "metrics.acc DOWN",
        12,
        id="bad_direction",
    ),
    pytest.param(
        EXPERIMENTS,
        ["name ASC DESC"],
        ("unexpected 'DESC' at position 9",),
        "name ASC DESC",
        9,
        id="extra_token",
    ),
    pytest.param(
        RUNS,
        ["DESC"],
        ("expected '<identifier> [ASC|DESC]'", "'DESC' at position 0"),
        "DESC",
        0,
        id="direction_only",
    ),
    pytest.param(RUNS, [""], ("empty clause",), "", 0, id="empty_clause"),
    pytest.param(
        RUNS,
        ["metrics.a", "metrics.a DESC"],
        ("duplicate order_by key 'metrics.a' at position 0", "clause 1"),
        "metrics.a DESC",
        0,
        id="duplicate_key",
    ),
    pytest.param(
        RUNS,
        ["start_time", "created DESC"],
        ("duplicate order_by key 'created'", "attributes.start_time"),
        "created DESC",
        0,
        id="duplicate_through_alias",
    ),
    pytest.param(
        RUNS,
        ["tags.t", "tag.`t`"],
        ("duplicate order_by key",),
        "tag.`t`",
        0,
        id="duplicate_through_prefix_spelling",
    ),
    pytest.param(
        REGISTERED_MODELS,
        ["timestamp", "last_updated_timestamp"],
        ("duplicate",),
        "last_updated_timestamp",
        0,
        id="registered_model_timestamp_duplicate",
    ),
    pytest.param(
        RUNS,
        ["name"],
        ("unknown attribute 'name'", "order runs are: run_id"),
        "name",
        0,
        id="unknown_attribute",
    ),
    pytest.param(
        MODEL_VERSIONS,
        ["run_id"],
        (
            "attribute 'run_id' at position 0 cannot be used",
            "name, version_number, creation_timestamp, last_updated_timestamp",
        ),
        "run_id",
        0,
        id="attribute_not_orderable",
    ),
    pytest.param(
        EXPERIMENTS,
        ["tags.t"],
        ("tags cannot order experiments", "use attributes"),
        "tags.t",
        0,
        id="tags_not_orderable_on_experiments",
    ),
    pytest.param(
        RUNS,
        ["datasets.name"],
        ("datasets cannot order runs", "use metrics, params, tags, attributes"),
        "datasets.name",
        0,
        id="datasets_not_orderable_on_runs",
    ),
    pytest.param(
        RUNS, ["foo.bar"], ("unknown identifier type 'foo'",), "foo.bar", 0, id="unknown_prefix"
    ),
    pytest.param(
        RUNS,
        ["metrics.`acc DESC"],
        ("unterminated quote",),
        "metrics.`acc DESC",
        8,
        id="unterminated_quote",
    ),
]


@pytest.mark.parametrize(
    ("grammar", "clauses", "fragments", "bad_clause", "position"), BAD_ORDER_BYS
)
def test_invalid_order_by_names_the_problem_token_and_position(
    grammar: Grammar, clauses: list[str], fragments: tuple[str, ...], bad_clause: str, position: int
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_order_by(clauses, grammar)
    message = caught.value.message
    assert message.startswith("Invalid order_by clause: ")
    for fragment in fragments:
        assert fragment in message
    _, shown, caret = message.split("\n")
    assert shown == f"  {bad_clause}"
    assert caret == "  " + " " * position + "^"


# --- the Grammar API the SQL compiler uses ---------------------------------------------------


@pytest.mark.parametrize(
    ("grammar", "name", "value_type"),
    [
        (RUNS, "start_time", "number"),
        (RUNS, "created", "number"),
        (RUNS, "run_name", "string"),
        (EXPERIMENTS, "experiment_id", "string"),
        (EXPERIMENTS, "last_update_time", "number"),
        (LOGGED_MODELS, "creation_timestamp", "number"),
        (REGISTERED_MODELS, "last_updated_timestamp", "number"),
        (MODEL_VERSIONS, "version_number", "number"),
        (MODEL_VERSIONS, "current_stage", "string"),
    ],
)
def test_attribute_type_reports_the_value_type(
    grammar: Grammar, name: str, value_type: str
) -> None:
    assert grammar.attribute_type(name) == value_type


def test_attribute_type_of_an_unknown_attribute_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        RUNS.attribute_type("name")


def test_operators_reports_what_each_identifier_allows() -> None:
    metric_operators = {"=", "!=", "<", "<=", ">", ">=", "IS NULL", "IS NOT NULL"}
    assert RUNS.operators("metric", "any") == metric_operators
    assert RUNS.operators("dataset", "digest") == {"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"}
    assert RUNS.operators("dataset", "other") == frozenset()
    assert EXPERIMENTS.operators("metric", "any") == frozenset()
    assert REGISTERED_MODELS.operators("attribute", "creation_timestamp") == frozenset()
