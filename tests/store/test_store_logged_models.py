"""Logged models in the store: create, finalize, delete, tags, params, metrics, search."""

from __future__ import annotations

import math
import re

import pytest

from shipyard.domain.entities import LoggedModel, LoggedModelStatus, Metric
from shipyard.domain.errors import InvalidParameter, LimitExceeded, NotFound
from shipyard.store.logged_models import ModelOrder
from shipyard.store.search_sql import DatasetScope
from shipyard.store.tracking import TrackingStore

GENERATED_NAME = re.compile(r"^[a-z]+-[a-z]+-\d{1,3}$")
UNKNOWN_MODEL = "m-" + "0" * 32


def create(store: TrackingStore, experiment_id: str, name: str | None = None, **kw) -> str:
    return store.create_logged_model(experiment_id=experiment_id, name=name, **kw).model_id


def model_metric(
    model_id: str, key: str, value: float, *, step: int = 0, timestamp: int = 1000, **kw: str
) -> Metric:
    return Metric(key, value, timestamp, step, model_id=model_id, **kw)


def search_names(store: TrackingStore, experiment_id: str, **kwargs) -> list[str]:
    page = store.search_logged_models(experiment_ids=[experiment_id], **kwargs)
    return [model.name for model in page.items]


# -- create and get -----------------------------------------------------------------------------


def test_create_logged_model_starts_pending(store: TrackingStore, experiment_id: str) -> None:
    model = store.create_logged_model(experiment_id=experiment_id, name="clf")

    assert (model.name, model.status, model.experiment_id) == (
        "clf",
        LoggedModelStatus.PENDING,
        experiment_id,
    )


def test_create_logged_model_gives_an_m_prefixed_id(
    store: TrackingStore, experiment_id: str
) -> None:
    assert re.fullmatch(r"m-[0-9a-f]{32}", create(store, experiment_id))


def test_create_logged_model_without_a_name_generates_one(
    store: TrackingStore, experiment_id: str
) -> None:
    model = store.create_logged_model(experiment_id=experiment_id)

    assert GENERATED_NAME.match(model.name), model.name


def test_create_logged_model_puts_artifacts_under_the_experiment_location(
    store: TrackingStore, experiment_id: str
) -> None:
    model = store.create_logged_model(experiment_id=experiment_id)

    expected = f"mlflow-artifacts:/{experiment_id}/models/{model.model_id}/artifacts"
    assert model.artifact_uri == expected


def test_create_logged_model_follows_an_explicit_experiment_location(
    store: TrackingStore,
) -> None:
    experiment_id = store.create_experiment("e", artifact_location="s3://bucket/e/")

    model = store.create_logged_model(experiment_id=experiment_id)

    assert model.artifact_uri == f"s3://bucket/e/models/{model.model_id}/artifacts"


def test_create_logged_model_stores_its_fields_tags_and_params(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    created = store.create_logged_model(
        experiment_id=experiment_id,
        name="clf",
        source_run_id=run_id,
        model_type="sklearn",
        tags={"team": "ml"},
        params={"alpha": "0.5"},
    )

    model = store.get_logged_model(created.model_id)
    assert model == created
    assert (model.source_run_id, model.model_type) == (run_id, "sklearn")
    assert (model.tags, model.params) == ({"team": "ml"}, {"alpha": "0.5"})


def test_create_logged_model_in_a_deleted_experiment_is_refused(
    store: TrackingStore, experiment_id: str
) -> None:
    store.delete_experiment(experiment_id)

    with pytest.raises(InvalidParameter, match="active"):
        store.create_logged_model(experiment_id=experiment_id)


def test_create_logged_model_in_an_unknown_experiment_raises_not_found(
    store: TrackingStore,
) -> None:
    with pytest.raises(NotFound):
        store.create_logged_model(experiment_id="4242")


def test_create_logged_model_refuses_a_name_over_500_characters(
    store: TrackingStore, experiment_id: str
) -> None:
    with pytest.raises(LimitExceeded):
        store.create_logged_model(experiment_id=experiment_id, name="n" * 501)


def test_create_logged_model_refuses_an_invalid_param_key(
    store: TrackingStore, experiment_id: str
) -> None:
    with pytest.raises(InvalidParameter):
        store.create_logged_model(experiment_id=experiment_id, params={"../x": "1"})


def test_get_logged_model_of_an_unknown_id_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound, match=UNKNOWN_MODEL):
        store.get_logged_model(UNKNOWN_MODEL)


def test_get_logged_model_refuses_a_malformed_id(store: TrackingStore) -> None:
    with pytest.raises(InvalidParameter, match="model id"):
        store.get_logged_model("m-xyz")


# -- finalize and delete ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [LoggedModelStatus.READY, LoggedModelStatus.FAILED])
def test_finalize_logged_model_sets_the_status(
    store: TrackingStore, experiment_id: str, status: LoggedModelStatus
) -> None:
    model_id = create(store, experiment_id)

    returned = store.finalize_logged_model(model_id, status)

    assert returned.status is status
    assert store.get_logged_model(model_id).status is status


def test_finalize_logged_model_as_pending_is_refused(
    store: TrackingStore, experiment_id: str
) -> None:
    model_id = create(store, experiment_id)

    with pytest.raises(InvalidParameter, match="PENDING"):
        store.finalize_logged_model(model_id, LoggedModelStatus.PENDING)


def test_finalize_logged_model_moves_its_last_update_time(
    store: TrackingStore, experiment_id: str
) -> None:
    created = store.create_logged_model(experiment_id=experiment_id)

    finalized = store.finalize_logged_model(created.model_id, LoggedModelStatus.READY)

    assert finalized.last_updated_timestamp >= created.last_updated_timestamp
    assert finalized.creation_timestamp == created.creation_timestamp


def test_finalize_logged_model_of_an_unknown_id_raises_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.finalize_logged_model(UNKNOWN_MODEL, LoggedModelStatus.READY)


def test_delete_logged_model_makes_it_not_found(store: TrackingStore, experiment_id: str) -> None:
    model_id = create(store, experiment_id)

    store.delete_logged_model(model_id)

    with pytest.raises(NotFound):
        store.get_logged_model(model_id)


def test_delete_logged_model_twice_raises_not_found(
    store: TrackingStore, experiment_id: str
) -> None:
    model_id = create(store, experiment_id)
    store.delete_logged_model(model_id)

    with pytest.raises(NotFound):
        store.delete_logged_model(model_id)


def test_delete_logged_model_hides_it_from_search(store: TrackingStore, experiment_id: str) -> None:
    create(store, experiment_id, "kept")
    store.delete_logged_model(create(store, experiment_id, "gone"))

    assert search_names(store, experiment_id) == ["kept"]


# -- tags and params ----------------------------------------------------------------------------


def test_set_logged_model_tags_adds_and_overwrites(
    store: TrackingStore, experiment_id: str
) -> None:
    model_id = create(store, experiment_id, tags={"team": "ml"})

    store.set_logged_model_tags(model_id, {"team": "infra", "stage": "dev"})

    assert store.get_logged_model(model_id).tags == {"team": "infra", "stage": "dev"}


def test_set_logged_model_tags_on_a_deleted_model_raises_not_found(
    store: TrackingStore, experiment_id: str
) -> None:
    model_id = create(store, experiment_id)
    store.delete_logged_model(model_id)

    with pytest.raises(NotFound):
        store.set_logged_model_tags(model_id, {"team": "ml"})


def test_delete_logged_model_tag_removes_it(store: TrackingStore, experiment_id: str) -> None:
    model_id = create(store, experiment_id, tags={"team": "ml", "keep": "1"})

    store.delete_logged_model_tag(model_id, "team")

    assert store.get_logged_model(model_id).tags == {"keep": "1"}


def test_delete_logged_model_tag_that_is_not_set_raises_not_found(
    store: TrackingStore, experiment_id: str
) -> None:
    model_id = create(store, experiment_id)

    with pytest.raises(NotFound, match="team"):
        store.delete_logged_model_tag(model_id, "team")


def test_log_logged_model_params_adds_params(store: TrackingStore, experiment_id: str) -> None:
    model_id = create(store, experiment_id, params={"alpha": "0.5"})

    store.log_logged_model_params(model_id, {"beta": "2"})

    assert store.get_logged_model(model_id).params == {"alpha": "0.5", "beta": "2"}


def test_log_logged_model_params_with_the_same_value_is_accepted(
    store: TrackingStore, experiment_id: str
) -> None:
    model_id = create(store, experiment_id, params={"alpha": "0.5"})

    store.log_logged_model_params(model_id, {"alpha": "0.5"})

    assert store.get_logged_model(model_id).params == {"alpha": "0.5"}


def test_log_logged_model_params_with_a_different_value_is_refused(
    store: TrackingStore, experiment_id: str
) -> None:
    model_id = create(store, experiment_id, params={"alpha": "0.5"})

    with pytest.raises(InvalidParameter, match="Changing param values is not allowed"):
        store.log_logged_model_params(model_id, {"beta": "2", "alpha": "0.7"})
    assert store.get_logged_model(model_id).params == {"alpha": "0.5"}


# -- metrics ------------------------------------------------------------------------------------


def test_metric_logged_with_a_model_id_shows_in_the_models_metrics(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    model_id = create(store, experiment_id)

    store.log_metric(run_id, model_metric(model_id, "acc", 0.9, step=2, dataset_name="eval"))

    (metric,) = store.get_logged_model(model_id).metrics
    assert (metric.key, metric.value, metric.step, metric.run_id, metric.dataset_name) == (
        "acc",
        0.9,
        2,
        run_id,
        "eval",
    )


def test_metric_logged_with_a_model_id_shows_in_the_runs_metrics(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    model_id = create(store, experiment_id)

    store.log_metric(run_id, model_metric(model_id, "acc", 0.9))

    assert [(m.key, m.value) for m in store.get_run(run_id).metrics] == [("acc", 0.9)]


def test_metric_logged_with_a_model_id_keeps_nan(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    model_id = create(store, experiment_id)

    store.log_metric(run_id, model_metric(model_id, "acc", math.nan))

    assert math.isnan(store.get_logged_model(model_id).metrics[0].value)


def test_metric_logged_with_an_unknown_model_id_raises_not_found(
    store: TrackingStore, run_id: str
) -> None:
    with pytest.raises(NotFound, match=UNKNOWN_MODEL):
        store.log_metric(run_id, model_metric(UNKNOWN_MODEL, "acc", 0.9))


# -- search -------------------------------------------------------------------------------------


@pytest.fixture
def scored(store: TrackingStore, experiment_id: str, run_id: str) -> dict[str, LoggedModel]:
    """Three models: "a" (acc 0.9, sklearn), "b" (acc 0.5, torch), "c" (no acc, sklearn)."""
    models = {
        "a": store.create_logged_model(
            experiment_id=experiment_id,
            name="a",
            model_type="sklearn",
            params={"alpha": "1"},
            tags={"team": "ml"},
        ),
        "b": store.create_logged_model(
            experiment_id=experiment_id,
            name="b",
            model_type="torch",
            params={"alpha": "2"},
            tags={"team": "infra"},
        ),
        "c": store.create_logged_model(experiment_id=experiment_id, name="c", model_type="sklearn"),
    }
    store.log_batch(
        run_id,
        metrics=[
            model_metric(models["a"].model_id, "acc", 0.9),
            model_metric(models["b"].model_id, "acc", 0.5),
        ],
    )
    return models


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        pytest.param("name = 'b'", ["b"], id="name"),
        pytest.param("model_type = 'sklearn'", ["a", "c"], id="model-type"),
        pytest.param("status = 'PENDING'", ["a", "b", "c"], id="status"),
        pytest.param("metrics.acc > 0.6", ["a"], id="metric"),
        pytest.param("metrics.acc < 0.6", ["b"], id="metric-below"),
        pytest.param("params.alpha = '2'", ["b"], id="param"),
        pytest.param("tags.team = 'ml'", ["a"], id="tag"),
        pytest.param("metrics.acc > 0.1 AND tags.team = 'infra'", ["b"], id="and"),
        pytest.param("name = 'c' OR metrics.acc >= 0.9", ["a", "c"], id="or"),
    ],
)
def test_search_logged_models_filters(
    store: TrackingStore,
    experiment_id: str,
    scored: dict[str, LoggedModel],
    filter_string: str,
    expected: list[str],
) -> None:
    found = search_names(store, experiment_id, filter_string=filter_string)

    assert sorted(found) == expected


def test_search_logged_models_filters_on_the_newest_metric_point(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    model_id = create(store, experiment_id, "m")
    store.log_batch(
        run_id,
        metrics=[
            model_metric(model_id, "acc", 0.9, step=1),
            model_metric(model_id, "acc", 0.2, step=2),
        ],
    )

    assert search_names(store, experiment_id, filter_string="metrics.acc > 0.5") == []


def test_search_logged_models_filters_on_two_metrics_and_orders_by_a_third(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    ids = {name: create(store, experiment_id, name) for name in ("x", "y", "z")}
    store.log_batch(
        run_id,
        metrics=[
            model_metric(ids[name], key, value)
            for name, values in {
                "x": (0.9, 0.1, 3.0),
                "y": (0.8, 0.2, 1.0),
                "z": (0.1, 0.1, 2.0),
            }.items()
            for key, value in zip(("acc", "loss", "f1"), values, strict=True)
        ],
    )

    found = search_names(
        store,
        experiment_id,
        filter_string="metrics.acc > 0.5 AND metrics.loss < 0.5",
        order_by=[ModelOrder("metrics.f1", ascending=True)],
    )

    assert found == ["y", "x"]


def test_search_logged_models_with_a_dataset_scope_uses_only_its_metrics(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    good_on_train = create(store, experiment_id, "train-only-good")
    good_on_eval = create(store, experiment_id, "eval-good")
    create(store, experiment_id, "no-metrics")
    store.log_batch(
        run_id,
        metrics=[
            model_metric(good_on_train, "acc", 0.9, dataset_name="train", dataset_digest="t1"),
            model_metric(good_on_train, "acc", 0.1, dataset_name="eval", dataset_digest="e1"),
            model_metric(good_on_eval, "acc", 0.8, dataset_name="eval", dataset_digest="e1"),
        ],
    )

    found = search_names(
        store,
        experiment_id,
        filter_string="metrics.acc > 0.5",
        datasets=[DatasetScope("eval")],
    )

    assert found == ["eval-good"]


def test_search_logged_models_with_a_dataset_scope_drops_models_without_its_metrics(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    on_eval = create(store, experiment_id, "on-eval")
    on_train = create(store, experiment_id, "on-train")
    store.log_batch(
        run_id,
        metrics=[
            model_metric(on_eval, "acc", 0.5, dataset_name="eval", dataset_digest="e1"),
            model_metric(on_train, "acc", 0.5, dataset_name="train", dataset_digest="t1"),
        ],
    )

    assert search_names(store, experiment_id, datasets=[DatasetScope("eval")]) == ["on-eval"]


def test_search_logged_models_with_a_dataset_digest_scope_matches_the_digest(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    v1 = create(store, experiment_id, "v1")
    v2 = create(store, experiment_id, "v2")
    store.log_batch(
        run_id,
        metrics=[
            model_metric(v1, "acc", 0.5, dataset_name="eval", dataset_digest="d1"),
            model_metric(v2, "acc", 0.5, dataset_name="eval", dataset_digest="d2"),
        ],
    )

    found = search_names(store, experiment_id, datasets=[DatasetScope("eval", "d2")])

    assert found == ["v2"]


def test_search_logged_models_refuses_a_dataset_scope_without_a_name(
    store: TrackingStore, experiment_id: str
) -> None:
    with pytest.raises(InvalidParameter, match="dataset_name"):
        search_names(store, experiment_id, datasets=[DatasetScope("")])


def test_search_logged_models_orders_newest_first_by_default(
    store: TrackingStore, experiment_id: str
) -> None:
    for name in ("first", "second", "third"):
        create(store, experiment_id, name)

    found = store.search_logged_models(experiment_ids=[experiment_id]).items

    stamps = [model.creation_timestamp for model in found]
    assert stamps == sorted(stamps, reverse=True)


@pytest.mark.parametrize(
    ("ascending", "expected"), [(True, ["b", "a", "c"]), (False, ["a", "b", "c"])]
)
def test_search_logged_models_orders_by_a_metric_with_missing_values_last(
    store: TrackingStore,
    experiment_id: str,
    scored: dict[str, LoggedModel],
    ascending: bool,
    expected: list[str],
) -> None:
    found = search_names(
        store, experiment_id, order_by=[ModelOrder("metrics.acc", ascending=ascending)]
    )

    assert found == expected


def test_search_logged_models_orders_by_a_dataset_scoped_metric(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    p = create(store, experiment_id, "p")
    q = create(store, experiment_id, "q")
    store.log_batch(
        run_id,
        metrics=[
            model_metric(p, "acc", 0.9, dataset_name="train"),
            model_metric(p, "acc", 0.1, dataset_name="eval"),
            model_metric(q, "acc", 0.5, dataset_name="eval"),
        ],
    )

    found = search_names(
        store,
        experiment_id,
        order_by=[ModelOrder("metrics.acc", ascending=False, dataset_name="eval")],
    )

    assert found == ["q", "p"]


@pytest.mark.parametrize(
    ("field", "expected"), [("name", ["a", "b", "c"]), ("params.alpha", ["a", "b", "c"])]
)
def test_search_logged_models_orders_by_an_attribute_or_param(
    store: TrackingStore,
    experiment_id: str,
    scored: dict[str, LoggedModel],
    field: str,
    expected: list[str],
) -> None:
    assert search_names(store, experiment_id, order_by=[ModelOrder(field)]) == expected


def test_search_logged_models_pages_through_every_model_once(
    store: TrackingStore, experiment_id: str
) -> None:
    for index in range(7):
        create(store, experiment_id, f"m{index}")

    seen: list[str] = []
    token = None
    while True:
        page = store.search_logged_models(
            experiment_ids=[experiment_id],
            order_by=[ModelOrder("name")],
            max_results=3,
            page_token=token,
        )
        seen += [model.name for model in page.items]
        token = page.next_page_token
        if not token:
            break

    assert seen == [f"m{index}" for index in range(7)]


def test_search_logged_models_pages_by_a_metric_with_missing_values(
    store: TrackingStore, experiment_id: str, run_id: str
) -> None:
    ids = [create(store, experiment_id, f"m{index}") for index in range(8)]
    store.log_batch(
        run_id,
        metrics=[model_metric(ids[i], "acc", i / 10) for i in range(0, 8, 2)]
        + [model_metric(ids[1], "acc", math.nan)],
    )

    seen: list[str] = []
    token = None
    while True:
        page = store.search_logged_models(
            experiment_ids=[experiment_id],
            order_by=[ModelOrder("metrics.acc", ascending=False)],
            max_results=2,
            page_token=token,
        )
        seen += [model.name for model in page.items]
        token = page.next_page_token
        if not token:
            break

    assert seen[:5] == ["m6", "m4", "m2", "m0", "m1"]
    assert sorted(seen[5:]) == ["m3", "m5", "m7"]


def test_search_logged_models_only_searches_the_given_experiments(
    store: TrackingStore, experiment_id: str
) -> None:
    other = store.create_experiment("other")
    create(store, experiment_id, "here")
    create(store, other, "there")

    assert search_names(store, experiment_id) == ["here"]


def test_search_logged_models_refuses_more_than_1000_per_page(
    store: TrackingStore, experiment_id: str
) -> None:
    with pytest.raises(LimitExceeded):
        search_names(store, experiment_id, max_results=1001)


def test_search_logged_models_refuses_an_order_by_without_a_field(
    store: TrackingStore, experiment_id: str
) -> None:
    with pytest.raises(InvalidParameter, match="field_name"):
        search_names(store, experiment_id, order_by=[ModelOrder("")])
