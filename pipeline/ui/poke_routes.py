"""The review desk's poke page, /models/{id}/poke: the model's raw columns
as a form, prefilled from a link (an eval example picked from a slice, a
search hit, a disagreement) or typed; the answers come from pipeline/ui/poke.py.
And /search, `tollgate search` on a page, whose hits link to a poke.

Poking decides nothing, yet its form is POSTed with the CSRF token like
every other: it runs models on the desk's machine, at the person's request.
"""

from __future__ import annotations

import dataclasses
import os
import urllib.parse

from fastapi import Depends, Request

from components.model_digest import SERVING_SUBDIR
from pipeline.config import TollgateConfig
from pipeline.errors import TollgateError
from pipeline.lineage.model import model_lineage, resolve_model
from pipeline.lineage.store import store_for
from pipeline.lineage.verify import verify
from pipeline.search.rows import read_schema
from pipeline.ui import poke
from pipeline.ui.views import model_in_range

SHOWN_EXAMPLES = 10


@dataclasses.dataclass(frozen=True)
class Subject:
    """The model poked, and the model served beside it (None before any release)."""
    model_id: int
    schema: object
    names: list[str]
    candidate_dir: str
    examples_uri: str
    slices: list[str]
    served_id: int | None
    served_dir: str | None  # None also when the served copy does not verify: it is never loaded
    served_problem: str = ""


def subject(config: TollgateConfig, model_id: int) -> Subject:
    store = store_for(config)
    resolve_model(store, str(model_id))  # one line naming what is wrong with the id
    lineage = model_lineage(store, model_id)
    if lineage.schema is None or lineage.data.examples is None:
        raise TollgateError(f"model {model_id} has no recorded schema or examples to poke it with")
    schema = read_schema(lineage.schema.uri)
    served_id, served_dir, problem = _served(config, store)
    slices = sorted(s.slice for s in (lineage.evaluation.slices if lineage.evaluation else []) if s.slice != "overall")
    return Subject(model_id, schema, poke.column_names(schema), os.path.join(lineage.model.uri, SERVING_SUBDIR),
                   lineage.data.examples.uri, slices, served_id, served_dir, problem)


def _served(config: TollgateConfig, store) -> tuple[int | None, str | None, str]:
    """(id, folder, problem) of the served model. A SavedModel runs its own
    graph when loaded, so the desk loads a served copy only once it matches
    what its approver signed, as `tollgate verify` checks it."""
    try:
        served_id = resolve_model(store, "serving")
    except TollgateError:
        return None, None, ""
    checked = verify(config, str(served_id))
    if checked.failed:
        check, _, detail = next(line for line in checked.lines if not line[1])
        return served_id, None, f"the served model {served_id} does not verify ({check}: {detail}), so it is not loaded"
    return served_id, model_lineage(store, served_id).releases[-1].serving_path, ""


def link(model_id: int, values: dict) -> str:
    filled = {poke.field(name): value for name, value in values.items() if value != ""}
    return f"/models/{model_id}/poke?" + urllib.parse.urlencode(filled)


def _listed(model_id: int, values: dict, note: str) -> dict:
    return {"values": values, "link": link(model_id, values), "note": note}


def _hits(model_id: int, hits: list[dict]) -> list[dict]:
    """Vector index hits as listed examples, each a link to poke `model_id`."""
    return [_listed(model_id, {k: poke.text(v) for k, v in (hit["source"] or {}).items()},
                    f"{hit['split']} example {hit['key']}, distance {hit['distance']:.4f}") for hit in hits]


def answer(config: TollgateConfig, thing: Subject, action: str, row: dict, form: dict) -> dict:
    """What the page shows under the form for one button."""
    if action == "predict":
        return poke.predict(thing.candidate_dir, thing.served_dir, poke.serialize(row, thing.schema))
    if action == "slice":
        chosen = form.get("slice", "")
        if chosen not in thing.slices:
            raise TollgateError(f"pick one of the model's evaluated slices, not {chosen!r}")
        found = [e for e in poke.eval_examples(thing.examples_uri) if poke.in_slice(e, chosen)]
        return {"heading": f"Eval examples in {chosen}", "examples": [
            _listed(thing.model_id, e.values, f"eval example {e.index}") for e in found[:SHOWN_EXAMPLES]]}
    if action == "similar":
        return _similar(config, thing, row)
    if action == "disagree":
        return _disagree(thing)
    raise TollgateError(f"unknown action {action!r}: predict, slice, similar or disagree")


def _similar(config: TollgateConfig, thing: Subject, row: dict) -> dict:
    from pipeline.search import query

    if not row:
        raise TollgateError("fill in at least one column to search by")
    if thing.served_problem:  # a row is embedded by the served model, which is then loaded
        raise TollgateError(thing.served_problem)
    found = query.by_columns(config, row, SHOWN_EXAMPLES)
    return {"heading": "Nearest examples in the served vector index", "examples": _hits(thing.model_id, found.hits)}


def search(config: TollgateConfig, row_text: str, like: str) -> dict:
    """`tollgate search --row` or `--like` for the search page; each hit links
    to a poke of the served model, whose vectors the index holds."""
    from pipeline.search import query

    if like.strip():
        if not like.strip().isdigit():
            raise TollgateError(f"an example key is a number, as a search prints it, not {like!r}")
        hits = query.like(config, int(like), SHOWN_EXAMPLES)
    else:
        _, _, problem = _served(config, store_for(config))
        if problem:  # a row is embedded by the served model, which is then loaded
            raise TollgateError(problem)
        hits = query.by_row(config, row_text, SHOWN_EXAMPLES).hits
    served_id = resolve_model(store_for(config), "serving")
    return {"examples": _hits(served_id, hits), "served_id": served_id}


def _disagree(thing: Subject) -> dict:
    if not thing.served_dir:
        raise TollgateError(thing.served_problem or "no model is served yet: there is nothing to disagree with")
    examples = poke.eval_examples(thing.examples_uri)
    gaps = poke.disagreements(thing.candidate_dir, thing.served_dir, examples, SHOWN_EXAMPLES)
    heading = (f"Where model {thing.model_id} and the served model {thing.served_id} disagree most, "
               f"of {len(examples):,} eval examples")
    return {"heading": heading, "examples": [
        _listed(thing.model_id, g.example.values, f"eval example {g.example.index}: differs by {g.gap:.4f} "
                f"(model {thing.model_id}: {g.candidate}; served: {g.served})") for g in gaps]}


def add_poke_routes(app, desk, person, checked_form) -> None:
    def page(request: Request, who, thing: Subject, row: dict, shown: dict, problem: str = ""):
        served = f"the served model {thing.served_id}" if thing.served_id else "no served model (none released yet)"
        lede = f"Model {thing.model_id} side by side with {served}."
        return desk.page(request, "poke.html", who, f"Poke model {thing.model_id}", thing=thing, row=row,
                         lede=lede, problem=problem or thing.served_problem, **shown)

    @app.get("/models/{model_id}/poke")
    def poke_form(request: Request, model_id: int, who=Depends(person)):
        thing = subject(desk.config, model_in_range(model_id))
        return page(request, who, thing, poke.row_from(request.query_params, thing.names), {})

    @app.post("/models/{model_id}/poke")
    def poked(request: Request, model_id: int, form: dict = Depends(checked_form), who=Depends(person)):
        thing = subject(desk.config, model_in_range(model_id))
        row = poke.row_from(form, thing.names)
        try:
            shown = answer(desk.config, thing, form.get("action", ""), row, form)
        except TollgateError as problem:
            return page(request, who, thing, row, {}, str(problem))
        return page(request, who, thing, row, shown)

    @app.get("/search")
    def search_form(request: Request, who=Depends(person)):
        return desk.page(request, "search.html", who, "Search", row_text="", like="", problem="")

    @app.post("/search")
    def searched(request: Request, form: dict = Depends(checked_form), who=Depends(person)):
        row_text, like = form.get("row", ""), form.get("like", "")
        try:
            found = search(desk.config, row_text, like)
        except TollgateError as problem:
            found = {"problem": str(problem)}
        return desk.page(request, "search.html", who, "Search", row_text=row_text, like=like,
                         **{"problem": "", **found})
