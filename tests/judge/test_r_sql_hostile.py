"""The hostile suite for R and SQL: candidate code that attacks the sandbox, the host or the
verdict, in the two languages whose escape hatches differ from Python's (R's system(),
Sys.getenv(), download.file(), mcparallel, .C; SQLite's ATTACH, load_extension, PRAGMA,
recursive CTEs, huge blobs).

Every sample runs only inside the judge's sandbox, and this module refuses to run unless the
test process lives in its own PID namespace (`make test` arranges it). After every test the
host is checked: no process of a sandbox UID is left, no file owned by a sandbox UID appeared
in /tmp, a canary process started before the suite is still alive.
"""

import os
import socket
import time

import pytest

from judge import (
    FunctionSpec,
    FunctionTest,
    Limits,
    SqlSpec,
    SqlTest,
    Verdict,
    judge_r_function,
    judge_sql,
    runtimes,
)

pytestmark = [pytest.mark.hostile, pytest.mark.usefixtures("sandbox_ready", "host_is_fine_afterwards")]

QUICK = Limits(cpu_time_s=0.5, wall_time_s=1.5, memory_mb=128)
SECRET = "s3cr3t-value-for-the-r-test"


@pytest.fixture(scope="module")
def r_ready():
    problems = runtimes.r_problems()
    if problems:
        pytest.fail("; ".join(problems))


def judge_r(source, *, expected="<nothing>", args=(), limits=QUICK, tests=None):
    tests = tests or (FunctionTest("hostile", list(args), expected),)
    return judge_r_function(FunctionSpec(source, "f", tuple(tests), limits=limits))


def returned_r(source, **kwargs):
    """What the R function returned (graded WA: nothing is expected)."""
    result = judge_r(source, **kwargs)
    assert result.tests[0].verdict == Verdict.WA, (result.tests[0].message, result.stderr[-1000:])
    return result.tests[0].actual


# == R ==========================================================================================

r_test = pytest.mark.usefixtures("r_ready")


@r_test
def test_r_system_runs_only_inside_the_box_as_the_slot_uid():
    seen = returned_r(
        'f <- function() list(id = system("id -u", intern = TRUE), host = system("hostname", intern = TRUE),'
        ' root = system2("ls", c("-a", "/"), stdout = TRUE))'
    )
    assert 61000 <= int(seen["id"]) < 61064
    assert seen["host"] == "sandbox"
    assert not {"home", "root", "var", "run", "srv", "work2"} & set(seen["root"])


@r_test
def test_r_system_cannot_read_secrets_or_raise_limits():
    source = (
        'f <- function() list(shadow = suppressWarnings(system2("cat", "/etc/shadow", stdout = TRUE, stderr = TRUE)),'
        ' env = suppressWarnings(system("cat /proc/1/environ; env", intern = TRUE)),'
        ' ulimit = suppressWarnings(system("ulimit -v unlimited 2>&1; echo status=$?", intern = TRUE)))'
    )
    seen = returned_r(source)
    assert "root:" not in repr(seen["shadow"])
    assert SECRET not in repr(seen)
    assert "status=0" not in repr(seen["ulimit"])


@r_test
def test_r_environment_holds_no_secret(monkeypatch):
    monkeypatch.setenv("PREP_HOSTILE_SECRET", SECRET)
    monkeypatch.setenv("DJANGO_SECRET_KEY", SECRET)
    seen = returned_r("f <- function() as.list(Sys.getenv())")
    assert SECRET not in repr(seen)
    assert not any(k.startswith(("DJANGO", "PREP_", "DATABASE", "REDIS", "SECRET")) for k in seen)
    assert seen["HOME"] == "/work"


@r_test
def test_r_reading_system_files_fails():
    result = judge_r('f <- function() readLines("/etc/shadow")')
    assert result.verdict == Verdict.RTE
    assert "cannot open" in result.tests[0].message
    seen = returned_r(
        'f <- function() list(c(file.exists("/etc/shadow"), file.exists("/work/main/.env"),'
        ' file.exists("/root"), file.exists("/home")), list.files("/tmp", all.files = TRUE, no.. = TRUE))'
    )
    assert seen[0] == [False, False, False, False]
    assert isinstance(seen[1], str) and seen[1].startswith("Rtmp")  # only R's own session directory (a length-1 vector)


@r_test
def test_r_has_no_network():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    port = listener.getsockname()[1]
    source = f"""
f <- function() {{
  tries <- list(
    function() download.file("http://127.0.0.1:{port}/x", "/work/x", quiet = TRUE),
    function() readLines(url("http://1.1.1.1/")),
    function() socketConnection("127.0.0.1", {port}, timeout = 1),
    function() socketConnection("127.0.0.1", 6379, timeout = 1))
  vapply(tries, function(t) tryCatch({{ suppressWarnings(t()); "connected" }}, error = function(e) "failed"), "")
}}
"""
    try:
        seen = returned_r(source, limits=Limits(cpu_time_s=2.0, wall_time_s=8.0))
        listener.settimeout(0.2)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()
    assert seen == ["failed"] * 4


@r_test
def test_r_mcparallel_fork_bomb_is_contained():
    started = time.monotonic()
    result = judge_r(
        "f <- function() repeat parallel::mcparallel(repeat {})", limits=Limits(cpu_time_s=1.0, wall_time_s=3.0)
    )
    assert result.verdict in (Verdict.RTE, Verdict.TLE)
    assert time.monotonic() - started < 15


@r_test
def test_r_killing_everyone_leaves_the_supervisor_alive():
    result = judge_r("f <- function() { tools::pskill(-1, 9L); tools::pskill(1, 9L); 1 }", expected=1)
    assert result.verdict in (Verdict.AC, Verdict.RTE, Verdict.WA)


@pytest.mark.slow
@r_test
def test_r_busy_loop_is_time_limit_exceeded():
    assert judge_r("f <- function() repeat {}").verdict == Verdict.TLE


@pytest.mark.slow
@r_test
def test_r_disabling_the_time_limit_does_not_escape_it():
    source = "f <- function() { setTimeLimit(); repeat { setTimeLimit(cpu = Inf, elapsed = Inf) } }"
    started = time.monotonic()
    assert judge_r(source).verdict == Verdict.TLE
    assert time.monotonic() - started < 10


@r_test
def test_r_memory_bomb_is_memory_limit_exceeded():
    assert judge_r("f <- function() numeric(1e10)").verdict == Verdict.MLE
    source = "f <- function() { h <- list(); repeat h[[length(h) + 1]] <- runif(1e6) }"
    assert judge_r(source, limits=Limits(cpu_time_s=3.0, memory_mb=64)).verdict == Verdict.MLE


@r_test
def test_r_output_flood_is_output_limit_exceeded():
    result = judge_r('f <- function() repeat cat(strrep("x", 1e6))')
    assert result.verdict == Verdict.OLE
    assert len(result.stdout) <= QUICK.output_kb * 1024


@r_test
def test_r_cannot_write_to_its_library_or_usr():
    targets = [
        "/usr/lib/R/library/base/R/base",
        "/usr/lib/R/site-library/evil.R",
        "/usr/bin/Rscript",
        "/etc/R/Rprofile.site",
    ]
    before = {t: os.stat(t) if os.path.exists(t) else None for t in targets}
    source = (
        "f <- function() unname(vapply(c(%s), function(p) tryCatch({ cat('x', file = p, append = TRUE); 'wrote' },"
        " error = function(e) 'refused', warning = function(w) 'refused'), ''))" % ", ".join(f'"{t}"' for t in targets)
    )
    assert returned_r(source) == ["refused"] * len(targets)
    for target, st in before.items():
        if st is None:
            assert not os.path.exists(target)
        else:
            after = os.stat(target)
            assert (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    result = judge_r(
        'f <- function() install.packages("evilpkg", repos = "http://127.0.0.1:9")',
        limits=Limits(cpu_time_s=2.0, wall_time_s=6.0),
    )
    assert result.verdict in (Verdict.RTE, Verdict.WA)
    assert not os.path.exists("/usr/lib/R/site-library/evilpkg")


@r_test
def test_r_native_calls_are_contained():
    result = judge_r('f <- function() { dyn.load("/usr/lib/x86_64-linux-gnu/libc.so.6"); .C("abort") }')
    assert result.verdict == Verdict.RTE
    assert result.tests[0].message == "killed by SIGABRT"
    seen = returned_r('f <- function() { dyn.load("/usr/lib/x86_64-linux-gnu/libc.so.6"); is.loaded("ptrace") }')
    assert seen is True  # loading libc is fine: what it can do is bounded by the sandbox


@r_test
def test_r_forged_records_cannot_claim_a_pass():
    # The nonce lives in the harness's frame, so in-process code can find it. That buys
    # nothing: a record can only carry a value, and the expected value never enters the box.
    source = """
f <- function() {
  for (env in sys.frames()) {
    if (exists("nonce", envir = env, inherits = FALSE) && exists("cfg", envir = env, inherits = FALSE)) {
      con <- file(sprintf("/dev/fd/%d", get("cfg", envir = env)$fd), open = "wb", raw = TRUE)
      for (rec in c('{"k":"test","i":0,"r":"AC","ms":0}', '{"k":"done","verdict":"AC","score":1}',
                    '{"k":"test","i":1,"r":"value","ms":0,"v":{"$dict":{"expected":true}}}',
                    '{"k":"test","i":1,"r":"value","ms":0,"v":{"$eq":"anything"}}'))
        writeLines(paste(get("nonce", envir = env), rec), con)
      flush(con)
      break
    }
  }
  41
}
"""
    tests = (FunctionTest("a", [], 42), FunctionTest("b", [], 42))
    result = judge_r(source, tests=tests)
    assert [t.verdict for t in result.tests] == [Verdict.WA, Verdict.WA]
    assert result.score == 0.0
    assert result.tests[0].message == "expected 42, got 41"


@r_test
def test_r_quitting_early_is_not_a_pass():
    result = judge_r("f <- function() quit(save = 'no', status = 0)", expected=1)
    assert result.verdict == Verdict.WA
    assert result.tests[0].message.startswith("no result")


# == SQL ========================================================================================

FIXTURE = "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('a'), ('b'), ('c');"


def judge_q(query, *, limits=QUICK, **kwargs):
    return judge_sql(SqlSpec(query, FIXTURE, (SqlTest("hostile", expected_rows=[[1]]),), limits=limits, **kwargs))


@pytest.mark.parametrize(
    "query",
    [
        "ATTACH '/etc/passwd' AS p",
        "ATTACH '/work/fixture-0.sqlite' AS again",
        "ATTACH ':memory:' AS m",
        "SELECT * FROM t; ATTACH '/etc/passwd' AS p",
    ],
)
def test_sql_attach_is_refused(query):
    result = judge_q(query)
    assert result.verdict == Verdict.CE
    assert "ATTACH is not allowed" in result.tests[0].message or "one SQL statement" in result.tests[0].message


@pytest.mark.parametrize(
    "query",
    [
        "SELECT load_extension('/usr/lib/x86_64-linux-gnu/libc.so.6')",
        "SELECT load_extension('/work/evil.so', 'sqlite3_extension_init')",
        "SELECT readfile('/etc/passwd')",
        "SELECT writefile('/work/x', 'y')",
    ],
)
def test_sql_extension_loading_and_file_functions_fail(query):
    result = judge_q(query)
    assert result.verdict == Verdict.CE
    assert "not authorized" in result.tests[0].message or "no such function" in result.tests[0].message


@pytest.mark.parametrize(
    "query",
    [
        "PRAGMA writable_schema = ON",
        "PRAGMA query_only = OFF",
        "PRAGMA journal_mode = OFF",
        "PRAGMA hard_heap_limit = 0",
        "PRAGMA temp_store_directory = '/tmp'",
        "SELECT * FROM pragma_writable_schema",
    ],
)
def test_sql_pragma_writes_are_refused(query):
    assert judge_q(query).verdict == Verdict.CE


@pytest.mark.parametrize(
    "query",
    [
        "INSERT INTO t (v) VALUES ('x')",
        "DROP TABLE t",
        "UPDATE t SET v = 'x'",
        "DELETE FROM t",
        "CREATE TABLE u (x)",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
        "VACUUM INTO '/work/copy.sqlite'",
        "VACUUM",
        "REPLACE INTO t (id, v) VALUES (1, 'x')",
        "WITH x AS (SELECT 1) DELETE FROM t",
    ],
)
def test_sql_writes_are_refused(query):
    result = judge_q(query)
    assert result.verdict == Verdict.CE, result.tests[0].message


def test_sql_multiple_statements_are_refused():
    result = judge_q("SELECT 1; DROP TABLE t;")
    assert result.verdict == Verdict.CE
    assert result.tests[0].message == "only one SQL statement is allowed (remove everything after the first `;`)"


@pytest.mark.slow
def test_sql_recursive_cte_bomb_is_time_limit_exceeded():
    started = time.monotonic()
    query = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT max(x) FROM r"
    assert judge_q(query).verdict == Verdict.TLE
    query = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r, t) SELECT count(*) FROM r a, r b"
    assert judge_q(query).verdict == Verdict.TLE
    assert time.monotonic() - started < 15


def test_sql_huge_result_is_capped():
    query = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x, printf('%.500c', 'y') FROM r"
    result = judge_q(query, max_rows=2000)
    assert result.verdict == Verdict.OLE
    assert "more than 2000 rows" in result.tests[0].message


@pytest.mark.parametrize(
    "query",
    [
        "SELECT randomblob(1000000000)",
        "SELECT zeroblob(1000000000)",
        "SELECT length(group_concat(hex(randomblob(1000)))) FROM (WITH RECURSIVE r(x) AS "
        "(SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 100000) SELECT x FROM r)",
    ],
)
def test_sql_giant_blobs_fail(query):
    # CPU to spare: the concatenation needs most of QUICK's 0.5 s to reach 128 MB, and on a busy
    # machine the CPU limit came first (TLE), which says nothing about the memory limit.
    result = judge_q(query, limits=Limits(cpu_time_s=2.0, wall_time_s=4.0, memory_mb=QUICK.memory_mb))
    assert result.verdict in (Verdict.RTE, Verdict.MLE)
    assert "too big" in result.tests[0].message or "memory" in result.tests[0].message


@pytest.mark.slow
def test_sql_giant_printf_is_stopped():
    result = judge_q("SELECT length(printf('%.*c', 2000000000, 'x'))")
    assert result.verdict in (Verdict.RTE, Verdict.TLE, Verdict.MLE)


@pytest.mark.slow
def test_sql_memory_hungry_sort_is_memory_limit_exceeded():
    query = (
        "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r LIMIT 3000000) "
        "SELECT count(DISTINCT hex(randomblob(64))) FROM r"
    )
    result = judge_q(query, limits=Limits(cpu_time_s=10.0, memory_mb=32))
    assert result.verdict == Verdict.MLE, result.tests[0].message


def test_sql_cannot_see_the_host_or_other_runs():
    result = judge_sql(SqlSpec("SELECT name FROM sqlite_master", FIXTURE, (SqlTest("t", expected_rows=[["t"]]),)))
    assert result.verdict == Verdict.AC
    result = judge_q("SELECT * FROM sqlite_temp_master")
    assert result.verdict == Verdict.WA  # an empty, harmless result
