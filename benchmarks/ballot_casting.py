"""Ballot casting under load (issue 5's benchmark): gunicorn (2 workers, gthread) on 127.0.0.1, SQLite and PostgreSQL.

For each database: a fresh schema through the migrations, a cycle open for voting (a city-wide envelope of 10
projects and 4 districts of 5 projects each, ballot frozen, approval 1 to 5), and N confirmed voters created in
bulk, each with a signed session cookie prepared in advance (signed in, CSRF secret in the session). Then, against
the same server:

1. a trivial endpoint of the same app (``/healthz``: one ``SELECT 1``), with wrk;
2. ballots, with wrk and a Lua script, one connection per wrk thread: each ballot is a signed-in voter loading the
   ballot page (GET, the CSRF token read from the form), then posting the confirmation with 3 city-wide projects and
   2 of their district's (POST ``/vote/<slug>/confirm``), until the receipt page comes back. The script times each
   ballot (GET + POST) and each voter votes once. Each client starts its next ballot as soon as the last is done:
   the server is saturated, and a ballot's latency is mostly its wait behind the others (32 clients / ballots per
   second, by Little's law);
3. with ``--paced R``, ballots again (the other half of the voters) at R per second in all, each client starting
   one at regular intervals: the latency a voter sees below saturation, timed from when each ballot was due (each
   client's first ballot left out: its connection, opened at the start, waited for its turn, holding one of
   gunicorn's threads).

The server runs as configured for production: the ballot's pages take the cycle and its projects' themes and photos
from each worker's copy, read again every ``CYCLE_CACHE_SECONDS`` (2 s), and each ballot is still checked and cast
against the database. 8 threads per worker (``--threads``): 2, 4 and 8 cost the same CPU per ballot within this
machine's noise, and 16 requests in flight keep both cores busy while some wait on the database.

The CPU time of gunicorn's workers (from /proc) is read around each run: CPU ms per healthz request and per ballot, and
their ratio, steadier than requests per second on a machine shared with other work. Afterwards it checks in the
database that participations equal ballots in each envelope and that no voter has two
participations (the unique constraint) nor any receipt two ballots. wrk (Debian's package, written in C) leaves
the server almost all the CPU; the machine has 2 cores, so the load generator still takes some: the load average
is printed beside the figures.

    .venv/bin/python benchmarks/ballot_casting.py                     # SQLite, then PostgreSQL (throw-away, 55437)
    .venv/bin/python benchmarks/ballot_casting.py --database sqlite --duration 10 --clients 32
    .venv/bin/python benchmarks/ballot_casting.py --profile 300       # cProfile of the cast path, in process

PostgreSQL is started by ``tools/with-postgres.sh`` (fsync and synchronous_commit off: a throw-away server).
Outputs (databases, cookies, Lua script, logs) go to ``benchmarks/out/ballots/``.
"""

import argparse
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT = ROOT / "benchmarks" / "out" / "ballots"
SECRET = "benchmark-secret-key-not-for-production"  # noqa: S105
USER_AGENT = "ballot-bench"
SLUG = "bench-vote"
DISTRICTS = 4


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- Preparing the database and the voters --------------------------------------------------------------------------

def make_app(url: str):
    from app import create_app
    from app.config import TestConfig

    class Config(TestConfig):
        SECRET_KEY = SECRET

    return create_app(Config, SQLALCHEMY_DATABASE_URI=url)


def prepare(url: str, voters: int) -> tuple[list[str], dict]:
    """Schema, cycle, ballot and voters; returns one line per voter ("cookie<TAB>form body") and the ids."""
    from flask import session
    from flask_login.utils import _create_identifier
    from sqlalchemy import insert, select

    from app.accounts.models import Role, User
    from app.core.clock import utcnow
    from app.cycles.models import District, PhaseKind
    from app.extensions import db
    from app.proposals.models import BallotItem, Proposal, ProposalStatus
    from app.review.services import freeze_ballot
    from tests.conftest import reset_schema
    from tests.factories import make_cycle

    app = make_app(url)
    reset_schema(app)
    with app.app_context():
        now = utcnow()
        districts = [District(slug=f"q{i}", name=f"Quartier {i}") for i in range(DISTRICTS)]
        db.session.add_all(districts)
        cycle = make_cycle(PhaseKind.VOTING, title="Budget de test", budget_cents=10**11, districts=districts,
                           envelope_cents=10**8, citywide_cents=10**9)
        cycle.slug = SLUG
        author = User(email="author@bench.example", password_hash="x", display_name="Autrice", role=Role.RESIDENT)
        db.session.add(author)
        db.session.flush()
        for n, district in enumerate([None] * 10 + [d for d in districts for _ in range(5)]):
            db.session.add(Proposal(
                cycle_id=cycle.id, author_id=author.id, district_id=district.id if district else None,
                title=f"Projet {n + 1}", body="Une idée.", body_html="<p>Une idée.</p>", submitted_at=now,
                search_text=f"projet {n + 1}", status=ProposalStatus.FEASIBLE, city_cost_cents=1_000_000 + n * 1000))
        db.session.flush()
        freeze_ballot(None, cycle)
        db.session.execute(insert(User), [
            {"email": f"v{i}@bench.example", "password_hash": "x", "display_name": f"Votant {i}", "role": Role.RESIDENT,
             "locale": "fr", "created_at": now, "email_confirmed_at": now, "district_id": districts[i % DISTRICTS].id,
             "session_token": f"{i:032d}"} for i in range(voters)])
        db.session.commit()
        items = db.session.scalars(select(BallotItem).where(BallotItem.cycle_id == cycle.id)
                                   .order_by(BallotItem.id)).all()
        city = [item.id for item in items if item.district_id is None]
        by_district = {d.id: [item.id for item in items if item.district_id == d.id] for d in districts}
        rows = db.session.execute(select(User.id, User.session_token, User.district_id)
                                  .where(User.email.like("v%@bench.example")).order_by(User.id)).all()
        with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                      headers={"User-Agent": USER_AGENT}):
            identifier = _create_identifier()
            serializer = app.session_interface.get_signing_serializer(app)
            lines = []
            for user_id, token, district_id in rows:
                cookie = serializer.dumps({"_user_id": f"{user_id}:{token}", "_fresh": True, "_id": identifier,
                                           "csrf_token": f"{user_id:040x}"})
                chosen = [f"citywide={i}" for i in city[user_id % 8:user_id % 8 + 3]]
                chosen += [f"district_{district_id}={i}" for i in by_district[district_id][:2]]
                lines.append(f"session={cookie}\t{'&'.join(chosen)}")
            session.clear()
        info = {"cycle": cycle.id, "districts": [d.id for d in districts]}
        db.engine.dispose()
    return lines, info


def verify(url: str) -> dict:
    """Participations, ballots per envelope, duplicates."""
    from sqlalchemy import func, select

    from app.extensions import db
    from app.voting.models import Ballot, Participation

    app = make_app(url)
    with app.app_context():
        participations = db.session.scalar(select(func.count()).select_from(Participation))
        voters = db.session.scalar(select(func.count(func.distinct(Participation.voter_key))))
        per_envelope = dict(db.session.execute(select(Ballot.district_id, func.count()).group_by(Ballot.district_id))
                            .all())
        receipts = db.session.scalar(select(func.count(func.distinct(Ballot.receipt_hash))))
        ballots = db.session.scalar(select(func.count()).select_from(Ballot))
        city = per_envelope.pop(None, 0)
        db.engine.dispose()
    return {"participations": participations, "duplicate_voters": participations - voters,
            "city_ballots": city, "district_ballots": sum(per_envelope.values()),
            "duplicate_receipts": ballots - receipts}


# --- The server and the load ----------------------------------------------------------------------------------------

LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
int nanosleep(const bench_timespec *req, bench_timespec *rem);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

-- Paced runs (@INTERVAL_US@ > 0): each client starts a ballot every @INTERVAL_US@ microseconds, the clients spread
-- evenly over the interval, and a ballot is timed from the moment it was due (a late start counts in its latency: no
-- coordinated omission). A client waits by sleeping its own thread (one connection per wrk thread), not through
-- wrk's delay(), which let requests and responses fall out of step.
local interval = @INTERVAL_US@
local due = nil
local first = true
local pause = ffi.new("bench_timespec")

local function wait_until(moment)
  local left = moment - now_us()
  if left > 0 then
    pause.tv_sec = math.floor(left / 1000000)
    pause.tv_nsec = math.floor(left % 1000000) * 1000
    ffi.C.nanosleep(pause, nil)
  end
end

local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

function init(args)
  voters = {}
  local i = 0
  for line in io.lines("@COOKIES@") do
    if i % @THREADS@ == tid then table.insert(voters, line) end
    i = i + 1
  end
  out = io.open("@OUT@" .. tid .. ".txt", "w")
  out:setvbuf("line")
  pos = 0
  next_voter()
end

function next_voter()
  pos = pos + 1
  if pos > #voters then
    out:write("exhausted 0 0\n")
    wrk.thread:stop()
    return
  end
  local tab = voters[pos]:find("\t", 1, true)
  cookie = voters[pos]:sub(1, tab - 1)
  choices = voters[pos]:sub(tab + 1)
  state = "get"
end

function request()
  if state == "get" then
    t0 = now_us()
    if interval > 0 then
      if due == nil then due = t0 + interval * (tid + 0.5) / @THREADS@ end
      wait_until(due)
      t0 = due
      due = due + interval
    end
    return wrk.format("GET", "/vote/@SLUG@", {["Cookie"] = cookie, ["User-Agent"] = "@UA@"})
  end
  return wrk.format("POST", "/vote/@SLUG@/confirm",
                    {["Cookie"] = cookie, ["User-Agent"] = "@UA@",
                     ["Content-Type"] = "application/x-www-form-urlencoded"},
                    "csrf_token=" .. token .. "&" .. choices)
end

function title(body)
  return ((body or ""):match("<title>([^<]*)</title>") or "?"):gsub("%s+", "_")
end

function response(status, headers, body)
  local set = headers["Set-Cookie"]
  if set then
    local value = set:match("session=([^;]+)")
    if value then cookie = "session=" .. value end
  end
  if state == "get" then
    token = status == 200 and body:match('name="csrf_token" type="hidden" value="([^"]+)"')
    if not token then
      out:write("error_get ", status, " ", now_us() - t0, " ", title(body), "\n")
      next_voter()
      return
    end
    state = "post"
    return
  end
  local ok = status == 200 and body:find('class="receipt-code"', 1, true)
  -- A paced client's first ballot is left out of the figures: its connection, opened when wrk started, waited for
  -- its turn, and gunicorn's gthread worker holds a thread on a new connection until its first request comes.
  local kind = ok and ((interval > 0 and first) and "first " or "ok ") or "error_post "
  first = false
  out:write(kind, status, " ", now_us() - t0, ok and "" or " " .. title(body), "\n")
  next_voter()
end
"""


def start_server(url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    (OUT / "gunicorn.log").unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": url, "BUDGET_SECRET_KEY": SECRET, "BUDGET_ENV_NAME": "production",
           "PYTHONDONTWRITEBYTECODE": "1"}
    server = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "-w", str(workers), "-k", "gthread", "--threads", str(threads),
         "-b", f"127.0.0.1:{port}", "--error-logfile", str(OUT / "gunicorn.log"), "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True)
    for _attempt in range(200):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.1)
    stop_server(server)
    raise SystemExit("gunicorn did not start: see benchmarks/out/ballots/gunicorn.log")


def processes_cpu(chosen) -> float:
    """CPU seconds (user + system) used so far by the processes for which ``chosen(name, parent pid)`` is true,
    from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, rest = stat.read_text().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, ValueError):  # a process that ended meanwhile
            continue
        fields = rest.split()
        if chosen(name, int(fields[1])):  # parent pid; then utime and stime (fields 14 and 15 of proc(5))
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def workers_cpu(server: subprocess.Popen) -> float:
    """CPU seconds used so far by gunicorn's workers: on a shared machine the CPU a request costs the server is
    steadier than requests per second, which follow the load of everything else."""
    return processes_cpu(lambda _name, parent: parent == server.pid)


def postgres_cpu() -> float:
    """CPU seconds used so far by PostgreSQL's processes on this machine (0 with SQLite, which runs in the
    workers): the two cores are shared by wrk, the workers and the database."""
    return processes_cpu(lambda name, _parent: name == "postgres")


def requests_done(output: str) -> int:
    return int(re.search(r"(\d+) requests in", output).group(1))


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


WRK_CPU = []  # CPU seconds of each wrk run, in order


def wrk(args: list[str]) -> str:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    output = subprocess.run(["wrk", *args], capture_output=True, text=True, check=True).stdout  # noqa: S603, S607
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    WRK_CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return output


def requests_per_second(output: str) -> float:
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def wrk_percentile(output: str, percent: str) -> str:
    match = re.search(rf"^\s+{percent}%\s+(\S+)", output, re.MULTILINE)
    return match.group(1) if match else "?"


def run_ballots(port: int, lines: list[str], clients: int, duration: int, rate: float = 0) -> dict:
    """Ballots as fast as the server answers (``rate`` 0: each client starts its next ballot when the last one is
    done), or ``rate`` ballots per second in all, spread over the clients."""
    for old in OUT.glob("lat-*.txt"):
        old.unlink()
    cookies = OUT / "voters.txt"
    cookies.write_text("\n".join(lines) + "\n")
    script = OUT / "ballot.lua"
    script.write_text(LUA.replace("@COOKIES@", str(cookies)).replace("@THREADS@", str(clients))
                      .replace("@OUT@", str(OUT / "lat-")).replace("@SLUG@", SLUG).replace("@UA@", USER_AGENT)
                      .replace("@INTERVAL_US@", str(round(clients / rate * 1e6) if rate else 0)))
    output = wrk(["-t", str(clients), "-c", str(clients), "-d", f"{duration}s", "--timeout", "10s", "--latency",
                  "-s", str(script), f"http://127.0.0.1:{port}"])
    (OUT / "wrk-ballots.txt").write_text(output)
    ok, errors, exhausted = [], [], 0
    for path in OUT.glob("lat-*.txt"):
        for line in path.read_text().splitlines():
            kind, status, micros, *what = line.split()
            if kind == "ok":
                ok.append(float(micros) / 1000)
            elif kind == "exhausted":
                exhausted += 1
            elif kind == "first":
                pass
            else:
                errors.append(f"{kind} {status} {' '.join(what)}")
    socket_errors = re.search(r"Socket errors: (.*)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    ok.sort()
    return {"ballots": len(ok), "per_second": len(ok) / duration, "errors": errors, "exhausted": exhausted,
            "p50": statistics.median(ok) if ok else float("nan"),
            "p99": ok[min(len(ok) - 1, int(len(ok) * 0.99))] if ok else float("nan"),
            "requests_per_second": requests_per_second(output), "requests": requests_done(output),
            "request_p50": wrk_percentile(output, "50"), "request_p99": wrk_percentile(output, "99"),
            "socket_errors": socket_errors.group(1) if socket_errors else "none",
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0}


def run_trivial(port: int, clients: int, duration: int) -> dict:
    output = wrk(["-t", "2", "-c", str(clients), "-d", f"{duration}s", "--latency",
                  f"http://127.0.0.1:{port}/healthz"])
    (OUT / "wrk-healthz.txt").write_text(output)
    return {"per_second": requests_per_second(output), "p50": wrk_percentile(output, "50"),
            "requests": requests_done(output),
            "p99": wrk_percentile(output, "99")}


def bench(url: str, label: str, args) -> dict:
    print(f"[{label}] preparing {args.voters} voters...", flush=True)
    lines, _info = prepare(url, args.voters)
    port = free_port()
    server = start_server(url, port, args.workers, args.threads)
    try:
        wrk(["-t", "2", "-c", "4", "-d", "2s", f"http://127.0.0.1:{port}/healthz"])  # warm-up
        before = loadavg()
        print(f"[{label}] trivial endpoint, {args.clients} clients, {args.duration} s...", flush=True)
        cpu, database = workers_cpu(server), postgres_cpu()
        trivial = run_trivial(port, args.clients, args.duration)
        count = max(1, trivial["requests"])
        trivial["cpu_ms"] = (workers_cpu(server) - cpu) * 1000 / count
        trivial["db_ms"], trivial["wrk_ms"] = (postgres_cpu() - database) * 1000 / count, WRK_CPU[-1] * 1000 / count
        print(f"[{label}] ballots, {args.clients} clients, {args.duration} s...", flush=True)
        cpu, database = workers_cpu(server), postgres_cpu()
        ballots = run_ballots(port, lines[:len(lines) // 2] if args.paced else lines, args.clients, args.duration)
        count = max(1, ballots["requests"] / 2)
        ballots["cpu_ms"] = (workers_cpu(server) - cpu) * 1000 / count
        ballots["db_ms"], ballots["wrk_ms"] = (postgres_cpu() - database) * 1000 / count, WRK_CPU[-1] * 1000 / count
        paced = None
        if args.paced:
            print(f"[{label}] ballots at {args.paced:g} per second, {args.clients} clients, {args.duration} s...",
                  flush=True)
            time.sleep(3)  # the ballots still in flight when wrk stopped: the server finishes them first
            paced = run_ballots(port, lines[len(lines) // 2:], args.clients, args.duration, args.paced)
        after = loadavg()
    finally:
        stop_server(server)
    checks = verify(url)
    return {"label": label, "trivial": trivial, "ballots": ballots, "checks": checks, "load": f"{before} → {after}",
            "paced": paced}


def report(results: list[dict], args) -> None:
    print()
    print(f"gunicorn {args.workers} workers × {args.threads} threads (gthread), {args.clients} clients, "
          f"{args.duration} s each, {os.cpu_count()} cores")
    header = ("database", "healthz/s", "ballots/s", "ratio", "ballot p50", "ballot p99", "req/s", "req p50",
              "req p99", "errors", "partic.", "city/district ballots", "dupl.", "CPU ms healthz/ballot", "CPU ratio",
              "load avg (1 5 15) before → after")
    rows = []
    for r in results:
        b, c = r["ballots"], r["checks"]
        errors = len(b["errors"]) + b["non_2xx"] + (0 if b["socket_errors"] == "none" else 1)
        rows.append((r["label"], f"{r['trivial']['per_second']:.0f}", f"{b['per_second']:.1f}",
                     f"{b['per_second'] / r['trivial']['per_second']:.3f}", f"{b['p50']:.0f} ms", f"{b['p99']:.0f} ms",
                     f"{b['requests_per_second']:.0f}", b["request_p50"], b["request_p99"], str(errors),
                     str(c["participations"]), f"{c['city_ballots']}/{c['district_ballots']}",
                     str(c["duplicate_voters"] + c["duplicate_receipts"]),
                     f"{r['trivial']['cpu_ms']:.2f} / {b['cpu_ms']:.2f}", f"{r['trivial']['cpu_ms'] / b['cpu_ms']:.3f}",
                     r["load"]))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    for r in results:
        b, c = r["ballots"], r["checks"]
        paced_count = f" + {r['paced']['ballots']} paced" if r["paced"] else ""
        print(f"{r['label']}: healthz p50 {r['trivial']['p50']} p99 {r['trivial']['p99']}; ballots completed "
              f"{b['ballots']}{paced_count} (the database has {c['participations']} participations: ballots still in "
              f"flight when wrk stopped are committed too); socket errors: {b['socket_errors']}; voters exhausted by "
              f"{b['exhausted']} clients")
        if b["errors"]:
            print(f"  first errors: {b['errors'][:5]}")
        print(f"  CPU of gunicorn's workers: {r['trivial']['cpu_ms']:.2f} ms per healthz request, "
              f"{b['cpu_ms']:.2f} ms per ballot (page + confirmation); the CPU ratio is the throughput ratio the "
              f"server would reach on cores of its own (wrk's share left aside)")
        print(f"  CPU on the same cores, per healthz request / per ballot: PostgreSQL {r['trivial']['db_ms']:.2f} / "
              f"{b['db_ms']:.2f} ms, wrk {r['trivial']['wrk_ms']:.2f} / {b['wrk_ms']:.2f} ms")
        consistent = c["participations"] == c["city_ballots"] == c["district_ballots"]
        print(f"  participations == ballots in each envelope: {consistent}")
        paced = r["paced"]
        if paced:
            errors = len(paced["errors"]) + paced["non_2xx"] + (0 if paced["socket_errors"] == "none" else 1)
            if paced["errors"]:
                print(f"  first paced errors: {paced['errors'][:5]}")
            print(f"  paced at {args.paced:g} ballots/s: {paced['per_second']:.1f} ballots/s done, p50 "
                  f"{paced['p50']:.0f} ms, p99 {paced['p99']:.0f} ms (from when each ballot was due), {errors} errors")


# --- Profiling the cast path in process -----------------------------------------------------------------------------

def profile(count: int, sort: str) -> None:
    """Cast ``count`` ballots through the test client (SQLite file): the first half timed in CPU ms (the machine is
    shared: CPU time, not wall time) with the SQL statements counted, the second half under cProfile."""
    import cProfile
    import pstats

    from sqlalchemy import event

    from app.extensions import db

    url = f"sqlite:///{OUT / 'profile.sqlite'}"
    (OUT / "profile.sqlite").unlink(missing_ok=True)
    lines, _info = prepare(url, count)
    app = make_app(url)
    statements = {"n": 0}
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.__setitem__("n", statements["n"] + 1))
    client = app.test_client()

    def one(line: str) -> None:
        cookie, choices = line.split("\t")
        client.set_cookie("session", cookie.split("=", 1)[1])
        page = client.get(f"/vote/{SLUG}", headers={"User-Agent": USER_AGENT}).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(f"/vote/{SLUG}/confirm", data=f"csrf_token={token}&{choices}",
                               content_type="application/x-www-form-urlencoded", headers={"User-Agent": USER_AGENT})
        assert b"receipt-code" in response.data, response.status

    one(lines[0])
    timed, profiled = lines[1:(count + 1) // 2], lines[(count + 1) // 2:]
    statements["n"] = 0
    cpu, started = time.process_time(), time.perf_counter()
    for line in timed:
        one(line)
    cpu, elapsed = time.process_time() - cpu, time.perf_counter() - started
    print(f"{len(timed)} ballots (GET + POST) in process, without the profiler: {cpu / len(timed) * 1000:.2f} CPU ms "
          f"each ({elapsed / len(timed) * 1000:.2f} wall ms), {statements['n'] / len(timed):.1f} SQL statements each")
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for line in profiled:
        one(line)
    profiler.disable()
    print(f"then {len(profiled)} ballots under cProfile (CPU time):")
    profiler.dump_stats(OUT / "profile.pstats")  # for pstats: restrict to app/, print callers...
    pstats.Stats(profiler).sort_stats(sort).print_stats(45)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-port", type=int, default=55437)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--voters", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--paced", type=float, default=0,
                        help="then also cast this many ballots per second in all (half the voters), for latency "
                             "below saturation")
    parser.add_argument("--profile", type=int, default=0, help="cast this many ballots in process under cProfile")
    parser.add_argument("--sort", default="cumulative", help="how --profile sorts (cumulative, tottime...)")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)  # run inside with-postgres.sh
    args = parser.parse_args()
    if args.paced and args.clients / args.paced >= 2:
        parser.error("--paced must be at least half --clients: each client waits clients / paced seconds between "
                     "ballots, and gunicorn closes a connection idle for 2 s (its keep-alive)")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.profile:
        profile(args.profile, args.sort)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    results = []
    if args.inner:  # inside tools/with-postgres.sh: DATABASE_URL is the throw-away server
        from app.config import normalise_database_url

        results.append(bench(normalise_database_url(os.environ["DATABASE_URL"]), "PostgreSQL", args))
        report(results, args)
        return
    if args.database in ("sqlite", "both"):
        path = OUT / "bench.sqlite"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        results.append(bench(f"sqlite:///{path}", "SQLite", args))
        report(results, args)
    if args.database in ("postgresql", "both"):
        inner = [sys.executable, __file__, "--inner", *[f"--{k}={v}" for k, v in (
            ("duration", args.duration), ("clients", args.clients), ("voters", args.voters),
            ("workers", args.workers), ("threads", args.threads), ("paced", args.paced))]]
        subprocess.run(["bash", str(ROOT / "tools" / "with-postgres.sh"), str(args.pg_port), *inner],  # noqa: S603, S607
                       check=True)


if __name__ == "__main__":
    main()
