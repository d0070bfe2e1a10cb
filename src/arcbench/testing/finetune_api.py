"""OpenAI's files and fine-tuning endpoints on the local test server, with scripted jobs.

    api = FineTuneAPI(JobScript(outcome="failed", fail_at_step=0))
    with ScriptedServer(routes=[api]) as server:
        ...  # the openai SDK pointed at server.base_url can upload files and create, follow and cancel jobs

Endpoints: POST /v1/files (multipart), GET /v1/files/{id}, POST /v1/fine_tuning/jobs, GET /v1/fine_tuning/jobs,
GET /v1/fine_tuning/jobs/{id}, GET /v1/fine_tuning/jobs/{id}/events, GET /v1/fine_tuning/jobs/{id}/checkpoints,
POST /v1/fine_tuning/jobs/{id}/cancel. Objects have the shapes the openai SDK parses.

A job moves one stage each time it is retrieved (validating_files, queued, each training step, the end), not by the
clock: a test decides how far a job gets by how often it asks, and no test waits for time to pass.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MODELS = ("gpt-4.1-nano-2025-04-14", "gpt-4.1-mini-2025-04-14", "gpt-4.1-2025-04-14",
                  "gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06")
"""Base models the scripted API accepts; short names (gpt-4.1-nano) resolve to these, as OpenAI's do."""


class JobScript(BaseModel):
    """How the next jobs go."""

    model_config = ConfigDict(extra="forbid")

    outcome: Literal["succeeded", "failed"] = "succeeded"
    steps: int = 3
    """Training steps; each one is a metrics event."""
    polls_per_stage: int = 1
    """Retrieve calls each stage lasts (validating_files, queued, each step)."""
    fail_at_step: int = 0
    """With outcome `failed`: 0 fails while validating the files, k after k training steps."""
    error_code: str = "invalid_training_file"
    error_message: str = "The job failed due to an invalid training file."
    error_param: str | None = "training_file"
    train_loss: tuple[float, float] = (1.2, 0.2)
    """Training loss at the first and the last step (linear in between)."""
    valid_loss: tuple[float, float] = (1.3, 0.4)
    tokens_per_step: int = 1000


class APIRefusal(BaseModel):
    """An error the API answers job creation with (e.g. quota)."""

    status: int = 429
    code: str = "insufficient_quota"
    message: str = "You exceeded your current quota, please check your plan and billing details."
    param: str | None = None


class _Job(BaseModel):
    data: dict[str, Any]
    script: JobScript
    polls: int = 0
    events: list[dict[str, Any]] = Field(default_factory=list)
    checkpoints: list[dict[str, Any]] = Field(default_factory=list)


def _error(status: int, message: str, code: str | None = None, param: str | None = None) -> tuple[int, Any]:
    kind = "insufficient_quota" if code == "insufficient_quota" else "invalid_request_error"
    return status, {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart body: name -> (file name, bytes)."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    if not message.is_multipart():
        return fields
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            fields[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


def _jsonl_problem(data: bytes) -> str | None:
    """What makes a file unusable for chat fine-tuning, checked the way the API's file validation does (roughly)."""
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        return "The file is empty."
    for i, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except ValueError:
            return f"Invalid file format. Line {i} is not valid JSON."
        messages = row.get("messages") if isinstance(row, dict) else None
        if not isinstance(messages, list) or not messages:
            return f"Invalid file format. Example {i} has no messages list."
        if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
            return f"Invalid file format. Example {i} has no assistant message."
    return None


class FineTuneAPI:
    """A server route (see `ChatServer(routes=...)`) serving files and scripted fine-tuning jobs. Thread-safe."""

    def __init__(self, script: JobScript | None = None, *, models: tuple[str, ...] = DEFAULT_MODELS,
                 refuse_create: APIRefusal | None = None) -> None:
        self.script = script or JobScript()
        """Applies to jobs created from now on."""
        self.models = models
        self.refuse_create = refuse_create
        """When set, job creation answers with this error."""
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._ids = 0

    def _id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-local{self._ids:06d}"

    def __call__(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, Any] | None:
        url = urlsplit(path)
        parts = [p for p in url.path.strip("/").split("/") if p]
        if parts[:1] == ["v1"]:
            parts = parts[1:]
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        with self._lock:
            if parts[:1] == ["files"]:
                return self._files(method, parts[1:], headers, body)
            if parts[:2] == ["fine_tuning", "jobs"]:
                return self._jobs(method, parts[2:], query, body)
        return None

    # files

    def _files(self, method: str, rest: list[str], headers: Mapping[str, str], body: bytes) -> tuple[int, Any] | None:
        if method == "POST" and not rest:
            fields = _parse_multipart(headers.get("Content-Type", ""), body)
            purpose = fields.get("purpose", (None, b""))[1].decode()
            name, data = fields.get("file", (None, b""))
            if "file" not in fields:
                return _error(400, "Missing required parameter: 'file'.", param="file")
            if purpose != "fine-tune":
                return _error(400, f"Invalid purpose {purpose!r}.", param="purpose")
            if not (name or "").endswith(".jsonl"):
                return _error(400, "Invalid file format for Fine-Tuning API. Must be .jsonl", param="file")
            file_id = self._id("file")
            self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                                   "filename": name, "purpose": purpose, "status": "processed"}
            self.contents[file_id] = data
            return 200, self.files[file_id]
        if method == "GET" and len(rest) == 1:
            found = self.files.get(rest[0])
            return (200, found) if found else _error(404, f"No such File object: {rest[0]}", param="id")
        return None

    # jobs

    def _jobs(self, method: str, rest: list[str], query: dict[str, str], body: bytes) -> tuple[int, Any] | None:
        if not rest:
            if method == "POST":
                return self._create(body)
            if method == "GET":
                data = [self._advance(j, 0) for j in reversed(self.jobs.values())]
                return 200, {"object": "list", "data": data, "has_more": False}
            return None
        job = self.jobs.get(rest[0])
        if job is None:
            return _error(404, f"Could not find fine-tune job: {rest[0]}", code="fine_tune_not_found")
        if method == "GET" and len(rest) == 1:
            return 200, self._advance(job, 1)
        if method == "GET" and rest[1:] == ["events"]:
            return 200, self._page(job.events, query)
        if method == "GET" and rest[1:] == ["checkpoints"]:
            return 200, self._page(job.checkpoints, query)
        if method == "POST" and rest[1:] == ["cancel"]:
            if job.data["status"] in ("succeeded", "failed", "cancelled"):
                return _error(400, f"Job {rest[0]} has already {job.data['status']}.", code="invalid_state")
            job.data["status"] = "cancelled"
            job.data["finished_at"] = int(time.time())
            self._event(job, "Fine-tuning job cancelled")
            return 200, job.data
        return None

    def _create(self, body: bytes) -> tuple[int, Any]:
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return _error(400, "The request body is not valid JSON.")
        if self.refuse_create is not None:
            r = self.refuse_create
            return _error(r.status, r.message, r.code, r.param)
        model = str(req.get("model") or "")
        resolved = next((m for m in self.models if m == model or m.startswith(f"{model}-20")), None)
        if resolved is None:
            return _error(400, f"Model {model} is not available for fine-tuning or does not exist.",
                          code="model_not_available", param="model")
        for param in ("training_file", "validation_file"):
            fid = req.get(param)
            if fid is not None and fid not in self.files:
                return _error(400, f"invalid {param}: {fid}", code="invalid_file", param=param)
        if req.get("training_file") is None:
            return _error(400, "Missing required parameter: 'training_file'.", param="training_file")
        hyper = dict(((req.get("method") or {}).get("supervised") or {}).get("hyperparameters") or {})
        hyper.update(req.get("hyperparameters") or {})
        job_id = self._id("ftjob")
        suffix = req.get("suffix") or ""
        data = {
            "id": job_id, "object": "fine_tuning.job", "created_at": int(time.time()), "error": None,
            "fine_tuned_model": None, "finished_at": None,
            "hyperparameters": {"batch_size": hyper.get("batch_size", "auto"),
                                "learning_rate_multiplier": hyper.get("learning_rate_multiplier", "auto"),
                                "n_epochs": hyper.get("n_epochs", "auto")},
            "model": resolved, "organization_id": "org-local", "result_files": [], "seed": req.get("seed") or 42,
            "status": "validating_files", "trained_tokens": None, "training_file": req["training_file"],
            "validation_file": req.get("validation_file"), "estimated_finish": None, "integrations": [],
            "metadata": req.get("metadata"), "method": {"type": "supervised"},
            "user_provided_suffix": suffix or None,
        }
        job = _Job(data=data, script=self.script.model_copy())
        self.jobs[job_id] = job
        self._event(job, f"Validating training file: {req['training_file']}")
        return 200, data

    def _event(self, job: _Job, message: str, level: str = "info", data: dict[str, Any] | None = None) -> None:
        kind = "metrics" if data else "message"
        event_id = f"ftevent-{len(job.events) + 1:04d}-{job.data['id']}"
        job.events.append({"id": event_id, "object": "fine_tuning.job.event",
                           "created_at": int(time.time()), "level": level, "message": message, "data": data or {},
                           "type": kind})

    def _page(self, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        """Newest first, `after` = the id of the last item of the previous page, as OpenAI pages events."""
        newest_first = list(reversed(items))
        if "after" in query:
            ids = [i["id"] for i in newest_first]
            newest_first = newest_first[ids.index(query["after"]) + 1:] if query["after"] in ids else []
        limit = int(query.get("limit", 20))
        return {"object": "list", "data": newest_first[:limit], "has_more": len(newest_first) > limit}

    def _advance(self, job: _Job, polls: int) -> dict[str, Any]:
        """Move the job on by `polls` retrieve calls and return it."""
        d, s = job.data, job.script
        if d["status"] in ("succeeded", "failed", "cancelled"):
            return d
        job.polls += polls
        stage = job.polls // max(1, s.polls_per_stage)
        if d["status"] == "validating_files" and stage >= 1:
            if s.outcome == "failed" and s.fail_at_step == 0:
                return self._fail(job)
            problem = self._file_problem(d)
            if problem:
                job.script = s.model_copy(update={"error_message": f"The job failed due to an invalid training file. "
                                                  f"{problem}"})
                return self._fail(job)
            d["status"] = "queued"
            self._event(job, "Files validated, moving job to queued state")
        if d["status"] == "queued" and stage >= 2:
            d["status"] = "running"
            self._event(job, "Fine-tuning job started")
        if d["status"] == "running":
            done = sum(1 for e in job.events if e["type"] == "metrics")
            while done < min(stage - 2, s.steps):
                done += 1
                self._metrics(job, done)
                if s.outcome == "failed" and done >= s.fail_at_step:
                    return self._fail(job)
            if stage - 2 > s.steps:
                self._succeed(job)
        return d

    def _file_problem(self, d: dict[str, Any]) -> str | None:
        for param in ("training_file", "validation_file"):
            fid = d.get(param)
            if fid is not None:
                problem = _jsonl_problem(self.contents.get(fid, b""))
                if problem:
                    return problem
        return None

    def _metrics(self, job: _Job, step: int) -> None:
        s = job.script
        frac = (step - 1) / max(1, s.steps - 1)
        train = round(s.train_loss[0] + (s.train_loss[1] - s.train_loss[0]) * frac, 4)
        valid = round(s.valid_loss[0] + (s.valid_loss[1] - s.valid_loss[0]) * frac, 4)
        data = {"step": step, "train_loss": train, "valid_loss": valid, "total_steps": s.steps,
                "train_mean_token_accuracy": round(0.5 + 0.4 * frac, 4)}
        if job.data.get("validation_file") is None:
            del data["valid_loss"]
        self._event(job, f"Step {step}/{s.steps}: training loss={train}", data=data)

    def _fail(self, job: _Job) -> dict[str, Any]:
        s, d = job.script, job.data
        d["status"] = "failed"
        d["finished_at"] = int(time.time())
        d["error"] = {"code": s.error_code, "message": s.error_message, "param": s.error_param}
        self._event(job, s.error_message, level="error")
        return d

    def _succeed(self, job: _Job) -> None:
        s, d = job.script, job.data
        suffix = d.get("user_provided_suffix") or ""
        name = f"ft:{d['model']}:arcbench:{suffix}:{d['id'].split('-')[-1]}"
        d.update(status="succeeded", finished_at=int(time.time()), fine_tuned_model=name,
                 trained_tokens=s.steps * s.tokens_per_step, result_files=[])
        last = next(e["data"] for e in reversed(job.events) if e["type"] == "metrics")
        job.checkpoints.append({
            "id": f"ftckpt-{d['id']}", "object": "fine_tuning.job.checkpoint", "created_at": int(time.time()),
            "fine_tuned_model_checkpoint": f"{name}:ckpt-step-{s.steps}", "fine_tuning_job_id": d["id"],
            "step_number": s.steps, "metrics": {"step": float(s.steps), "train_loss": last.get("train_loss"),
                                               "valid_loss": last.get("valid_loss")}})
        self._event(job, f"New fine-tuned model created: {name}")
        self._event(job, "The job has successfully completed")
