"""The web app of ``gankit serve``: the HTTP API of docs/serve.md and the static page.

FastAPI validates each request's shape and ranges (pydantic models below); what only the run can
judge (a class out of its range, an upload of the wrong type) is a :class:`GankitError` from the
explorer, answered as ``{"error": "..."}`` with status 400 (404 unknown run or lab session, 413 too
large, 429 lab pool full). Torch work runs in FastAPI's thread pool (plain ``def`` endpoints), so
one slow picture does not stall the lab's event streams.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..errors import GankitError
from ..viz.runfiles import RunFiles
from . import explorer, lab
from .runs import RunIndex, UnknownRun, summary

STATIC = Path(__file__).parent / "static"
SEED = Field(ge=0, le=2**31 - 1)
#: seconds between two frames of a lab's event stream while it plays (about 6 a second), and while paused
FRAME_SECONDS, IDLE_FRAME_SECONDS = 0.15, 1.0


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class RunRequest(Strict):
    run: str = Field(max_length=1000)


class SamplesRequest(RunRequest):
    seeds: list[int] = Field(min_length=1, max_length=64)
    psi: float | None = Field(default=None, ge=0, le=1)
    label: int | None = Field(default=None, alias="class", ge=0)
    ema: bool = True


class MediaRequest(RunRequest):
    seeds: list[int] = Field(min_length=1, max_length=64)
    label: int | None = Field(default=None, alias="class", ge=0)
    temperature: float | None = Field(default=None, gt=0, le=5)
    ema: bool = True


class InterpolateRequest(RunRequest):
    a: int = SEED
    b: int = SEED
    steps: int = Field(default=9, ge=2, le=32)
    space: Literal["z", "w"] = "z"
    psi: float | None = Field(default=None, ge=0, le=1)
    label: int | None = Field(default=None, alias="class", ge=0)
    ema: bool = True


class CodesRequest(RunRequest):
    seed: int = SEED
    category: int = Field(default=0, ge=0)
    continuous: list[float] = Field(default_factory=list, max_length=16)
    ema: bool = True


class StyleMixRequest(RunRequest):
    rows: list[int] = Field(min_length=1, max_length=6)
    cols: list[int] = Field(min_length=1, max_length=6)
    crossover: int = Field(ge=0, le=64)
    psi: float | None = Field(default=None, ge=0, le=1)


class TranslateRequest(RunRequest):
    image: str = Field(max_length=3_000_000)  # the 2 MB limit of explorer.MAX_UPLOAD_BYTES, base64-encoded
    direction: Literal["AtoB", "BtoA"] = "AtoB"


class NearestRequest(RunRequest):
    seed: int = SEED
    label: int | None = Field(default=None, alias="class", ge=0)
    psi: float | None = Field(default=None, ge=0, le=1)
    ema: bool = True
    k: int = Field(default=8, ge=1, le=16)


class LabRequest(Strict):
    dataset: str = "ring8"
    points: list[tuple[float, float]] | None = Field(default=None, max_length=2000)
    model: str = "gan"
    lr_d: float | None = None
    lr_g: float | None = None
    n_critic: int | None = None
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class ControlRequest(Strict):
    action: Literal["play", "pause", "step", "step_d", "step_g"]
    lr_d: float | None = None
    lr_g: float | None = None
    n_critic: int | None = None


def _seeds_in_range(seeds: list[int]) -> list[int]:
    for s in seeds:
        if not 0 <= s <= 2**31 - 1:
            raise GankitError(f"seed {s} is out of range (seeds are 0..{2**31 - 1})")
    return seeds


def _status(error: GankitError) -> int:
    if isinstance(error, (UnknownRun, lab.UnknownSession)):
        return 404
    if isinstance(error, explorer.UploadTooLarge):
        return 413
    if isinstance(error, lab.LabFull):
        return 429
    return 400


def create_app(roots: list[Path], lab_sessions: int = 4, lab_idle_seconds: float = 120.0,
               allow_plugins: bool = False) -> FastAPI:
    """The app serving the runs under ``roots`` (folders already checked by :func:`runs.check_roots`);
    runs whose model comes from a plugin are opened only with ``allow_plugins`` (see :class:`RunIndex`)."""
    index = RunIndex(roots, allow_plugins)
    pool = lab.LabPool(max_sessions=lab_sessions, idle_seconds=lab_idle_seconds)
    train_features = explorer.TrainFeatures()

    @asynccontextmanager
    async def lifespan(_app):
        pool.start()
        try:
            yield
        finally:
            pool.stop()

    app = FastAPI(title="gankit serve", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.index, app.state.pool = index, pool

    @app.exception_handler(GankitError)
    async def gankit_error(_request, error: GankitError):
        return JSONResponse({"error": str(error)}, status_code=_status(error))

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request, error: RequestValidationError):
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid')} (fix the request's value)"},
                            status_code=422)

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # -- runs --------------------------------------------------------------------------------------
    @app.get("/api/runs")
    def runs():
        return {"runs": index.summaries()}

    @app.get("/api/runs/info")
    def info(run: str):
        loaded = index.load(run)
        return explorer.run_info(run, loaded, summary(run, loaded.path))

    @app.post("/api/samples")
    def samples(req: SamplesRequest):
        return explorer.samples(index.load(req.run), _seeds_in_range(req.seeds), req.psi, req.label, req.ema)

    @app.post("/api/media")
    def media(req: MediaRequest):
        from .media import media_samples

        return media_samples(index.load(req.run), _seeds_in_range(req.seeds), req.label, req.temperature, req.ema)

    @app.post("/api/interpolate")
    def interpolate(req: InterpolateRequest):
        return explorer.interpolate(index.load(req.run), req.a, req.b, req.steps, req.space, req.psi, req.label,
                                    req.ema)

    @app.post("/api/codes")
    def codes(req: CodesRequest):
        for v in req.continuous:
            if not -3 <= v <= 3:
                raise GankitError(f"continuous code values must lie in -3..3, not {v} (the prior is U(-1, 1))")
        return explorer.codes(index.load(req.run), req.seed, req.category, req.continuous, req.ema)

    @app.post("/api/style-mix")
    def style_mix(req: StyleMixRequest):
        return explorer.style_mix(index.load(req.run), _seeds_in_range(req.rows), _seeds_in_range(req.cols),
                                  req.crossover, req.psi)

    @app.post("/api/translate")
    def translate(req: TranslateRequest):
        return explorer.translate(index.load(req.run), req.image, req.direction)

    @app.get("/api/curves")
    def curves(run: str):
        return explorer.curves(RunFiles(index.path(run), warn=None))

    @app.post("/api/nearest")
    def nearest(req: NearestRequest):
        return explorer.nearest(index.load(req.run), train_features, req.seed, req.label, req.psi, req.ema, req.k)

    # -- the live lab -------------------------------------------------------------------------------
    @app.get("/api/lab/options")
    def lab_options():
        models = lab.lab_models()
        return {"datasets": list(lab.LAB_DATASETS), "models": models,
                "defaults": {m: lab.lab_defaults(m) for m in models}}

    @app.post("/api/lab")
    def lab_new(req: LabRequest):
        points = [list(p) for p in req.points] if req.points is not None else None
        session_id, session = pool.create(dataset=req.dataset, model=req.model, lr_d=req.lr_d, lr_g=req.lr_g,
                                          n_critic=req.n_critic, seed=req.seed, points=points)
        return {"session": session_id, "frame": session.frame()}

    @app.post("/api/lab/{session_id}/control")
    def lab_control(session_id: str, req: ControlRequest):
        session = pool.get(session_id)
        return {"frame": session.control(req.action, lr_d=req.lr_d, lr_g=req.lr_g, n_critic=req.n_critic)}

    @app.get("/api/lab/{session_id}/events")
    async def lab_events(session_id: str, request: Request):
        pool.get(session_id)  # 404 before the stream starts

        async def frames():
            while not await request.is_disconnected():
                try:
                    session = pool.get(session_id)
                except lab.UnknownSession:
                    return
                try:
                    frame = await run_in_threadpool(session.frame)
                except lab.UnknownSession:  # closed between the two calls
                    return
                yield f"data: {json.dumps(frame, separators=(',', ':'))}\n\n"
                await asyncio.sleep(FRAME_SECONDS if frame.get("playing") else IDLE_FRAME_SECONDS)

        return StreamingResponse(frames(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.post("/api/lab/{session_id}/close")
    def lab_close(session_id: str):
        pool.close(session_id)
        return {"closed": True}

    return app
