"""Candidates taking one timed assessment at once, for bench/load.py (which writes the config
this file reads, starts the stack and checks the database afterwards):

    PREP_LOAD_CONFIG=config.json locust -f bench/locustfile.py --headless -u 200 -r 20 -t 120s \
        --host http://127.0.0.1:PORT

Each simulated candidate signs in with its own API token, starts the attempt, autosaves an answer
every few seconds (a different value each time) and, a few times per run, Runs and then Submits
right or wrong code with POST ...?wait=`wait_s`, which answers with the verdict (201) as soon as it
is in, long-polling GET /api/submissions/{id}/?wait=`wait_s` only when the POST answered before it
(202), as the page does.

Every request's status and latency, the last answer the server acknowledged per question (and any
that may have landed without an acknowledgement: a 5xx or a dropped connection) and every
accepted submission are written to the config's `results` file when locust quits."""

import itertools
import json
import os
import random
import time
from pathlib import Path

from locust import FastHttpUser, between, events, task

CONFIG = json.loads(Path(os.environ["PREP_LOAD_CONFIG"]).read_text()) if os.environ.get("PREP_LOAD_CONFIG") else None
_accounts = itertools.count()

# Raw records, dumped as JSON on quit (bench/load.py computes every figure from them).
REQUESTS: list[list] = []  # [name, status, ms, started (epoch s)]
ANSWERS: dict[str, dict] = {}  # "attempt:question" -> {"acked": answer, "maybe": [answers]}
SUBMISSIONS: list[dict] = []
PROBLEMS: list[str] = []  # the first few unexpected answers, for the report
STALE: list[list] = []  # [name, ms]: a kept-alive connection closed by the server, tried again
STALE_CONNECTION = {"HTTPConnectionClosed", "ConnectionResetError", "BrokenPipeError"}
TERMINAL = ("done", "error")


class Candidate(FastHttpUser):
    wait_time = between(*(CONFIG["autosave_every_s"] if CONFIG else (2, 4)))
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self):
        if CONFIG is None:
            raise RuntimeError("PREP_LOAD_CONFIG is not set: run bench/load.py")
        index = next(_accounts)
        if index >= len(CONFIG["users"]):
            raise RuntimeError("more simulated users than candidate accounts")
        self.headers = {"Authorization": "Token " + CONFIG["users"][index]["token"]}
        self.rng = random.Random(index)
        self.attempt = None
        for _ in range(5):  # a start refused while the server is full (503) is tried again, as asked
            status, body = self.call("POST", f"/api/assessments/{CONFIG['assessment_id']}/attempts/", "start attempt")
            if status != 503:
                break
            time.sleep(float(body.get("extra", {}).get("retry_after_s", 2)))
        if status not in (200, 201):
            return  # counted; this user then only idles
        self.attempt = body["id"]
        self.questions = body["questions"]
        self.code = CONFIG["code"]
        interval = CONFIG["duration_s"] / max(CONFIG["code_actions"], 1)
        self.code_interval = interval
        self.next_code_at = time.monotonic() + self.rng.uniform(0.1, 1.0) * interval
        self.saves = 0

    # -- one step: usually an autosave; a few times per run a Run and a Submit -----------------
    @task
    def step(self):
        if self.attempt is None:
            return
        if CONFIG["code_actions"] and time.monotonic() >= self.next_code_at:
            self.next_code_at = time.monotonic() + self.rng.uniform(0.7, 1.3) * self.code_interval
            self.run_and_submit()
        else:
            self.autosave()

    def autosave(self):
        question = self.rng.choice(self.questions)
        answer = self.answer_for(question)
        key = f"{self.attempt}:{question['id']}"
        status, body = self.call("PUT", f"/api/attempts/{self.attempt}/responses/{question['id']}/", "autosave", answer)
        self.note_answer(key, status, body.get("answer") if status == 200 and isinstance(body, dict) else answer)

    def answer_for(self, question: dict) -> dict:
        self.saves += 1
        kind = question["kind"]
        if kind == "numeric":
            return {"value": round(self.rng.uniform(0, 1), 6)}
        if kind in ("single_choice", "true_false"):
            return {"choice": self.rng.choice(question["options"])["id"]}
        if kind == "multiple_choice":
            ids = [o["id"] for o in question["options"]]
            return {"choices": sorted(self.rng.sample(ids, self.rng.randint(0, len(ids))))}
        if kind == "code":
            return {"language": "python", "source": self.source(correct=self.rng.random() < 0.5)}
        return {"text": f"answer {self.saves}"}

    def source(self, *, correct: bool) -> str:
        body = self.code["correct"] if correct else self.code["wrong"]
        return f"# draft {self.saves}.{self.rng.randrange(10**6)}\n{body}"

    def note_answer(self, key: str, status: int, answer: dict) -> None:
        entry = ANSWERS.setdefault(key, {"acked": None, "maybe": []})
        if status in (200, 201, 202):
            entry["acked"] = answer
        elif status == 0 or status >= 500:
            entry["maybe"].append(answer)  # may have been written: it is not counted as lost either way

    def run_and_submit(self):
        question_id = self.code["question_id"]
        base = f"/api/attempts/{self.attempt}/responses/{question_id}"
        for kind, path in (("run", "runs"), ("submit", "submissions")):
            self.saves += 1
            correct = self.rng.random() < 0.5
            answer = {"language": "python", "source": self.source(correct=correct)}
            sent_at = time.time()  # epoch, to set beside the row's own times (bench/load.py)
            started = time.monotonic()
            status, body = self.call("POST", f"{base}/{path}/?wait={CONFIG['wait_s']:g}", f"POST {kind}", answer)
            if kind == "submit":
                self.note_answer(f"{self.attempt}:{question_id}", status, answer)
            if status not in (201, 202):
                continue
            record = {"id": body["id"], "kind": kind, "expected": "AC" if correct else "WA",
                      "post_ms": (time.monotonic() - started) * 1000, "verdict_s": None, "status": body["status"],
                      "verdict": body.get("verdict", ""), "polls": 0, "sent_at": sent_at, "verdict_at": None}
            SUBMISSIONS.append(record)
            if status == 201:  # the POST waited and brought the verdict (as the page asks)
                record["verdict_s"] = time.monotonic() - started
                record["verdict_at"] = time.time()
            else:
                self.poll(record, started)

    def poll(self, record: dict, started: float):
        end = started + CONFIG["poll_timeout_s"]
        while time.monotonic() < end:
            asked = time.monotonic()
            status, body = self.call("GET", f"/api/submissions/{record['id']}/?wait={CONFIG['wait_s']:g}",
                                     "poll submission")
            record["polls"] += 1
            if status == 200 and body.get("status") in TERMINAL:
                record["verdict_s"] = time.monotonic() - started
                record["verdict_at"] = time.time()
                record["status"], record["verdict"] = body["status"], body.get("verdict", "")
                return
            if status != 200:
                time.sleep(0.5)  # counted already; do not hammer a server that is failing
            elif time.monotonic() - asked < 1.0:
                time.sleep(1.0)  # as the page does: an answer at once (no waiting place free) is asked again in 1 s

    # -- HTTP: every request recorded (status 0: no answer, e.g. a refused or dropped connection)
    def call(self, method: str, path: str, name: str, payload=None):
        """One request. A kept-alive connection the server closed meanwhile (gunicorn keeps idle
        connections 2 s; candidates pause 2-4 s) fails at once without an answer: it is tried
        again once on a new connection, as browsers do, and counted apart ("stale")."""
        started_at = time.time()
        started = time.perf_counter()
        for attempt in (1, 2):
            with self.client.request(method, path, name=name, json=payload, headers=self.headers,
                                     catch_response=True) as response:
                ms = (time.perf_counter() - started) * 1000
                status = response.status_code or 0
                error = getattr(response, "error", None)
                if status == 0 and attempt == 1 and type(error).__name__ in STALE_CONNECTION:
                    STALE.append([name, round(ms, 3)])
                    response.success()  # not a failure of the server: the request never reached it
                    continue
                REQUESTS.append([name, status, round(ms, 3), round(started_at, 4)])
                body = None
                if status and response.content:
                    try:
                        body = response.json()
                    except ValueError:
                        body = None
                if status in (200, 201, 202):
                    response.success()
                else:
                    response.failure(f"HTTP {status}")
                    if len(PROBLEMS) < 20:
                        detail = body if status else repr(error)
                        PROBLEMS.append(f"{method} {path} -> {status} after {ms:.0f} ms: {str(detail)[:300]}")
                return status, body if isinstance(body, dict) else {}


@events.quitting.add_listener
def _dump(environment, **kwargs):
    if CONFIG is None:
        return
    with open(CONFIG["results"], "w") as f:
        json.dump({"requests": REQUESTS, "answers": ANSWERS, "submissions": SUBMISSIONS, "problems": PROBLEMS,
                   "stale": STALE}, f)
