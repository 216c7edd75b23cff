"""The pytest plugin, tested from outside: inner test files run in a pytest subprocess.

Each test writes a small test file (and sometimes a conftest or an ini file) with ``pytester``
and runs it in a fresh ``python -m pytest`` process, so every inner run starts its own mock
server through the plugin's ``pytest11`` entry point, exactly as it would for a user.

Only the first test drives the official SDK and loads every installed plugin, as a user's run
would; the others talk plain httpx and leave out the unrelated plugins (schemathesis,
hypothesis, anyio), since importing those and the SDK's models costs seconds per run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import CLASSIFIER_ID, GREETING_ID, SHIPPED

pytest_plugins = ["pytester"]

LEAN = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:anyio")

HELPERS = """
import httpx

PROMPTS = "/api/v1/llm/prompts"


def client(mka1_mock, token="k", on_behalf_of=None):
    headers = {"Authorization": f"Bearer {token}"}
    if on_behalf_of:
        headers["X-On-Behalf-Of"] = on_behalf_of
    return httpx.Client(base_url=mka1_mock.url, headers=headers)


def create(mka1_mock, name="p", template="t", token="k"):
    with client(mka1_mock, token) as http:
        response = http.post(PROMPTS, json={"name": name, "template": template})
    assert response.status_code == 201, response.text
    return response.json()


def get(mka1_mock, prompt_id, token="k", on_behalf_of=None):
    with client(mka1_mock, token, on_behalf_of) as http:
        response = http.get(f"{PROMPTS}/{prompt_id}")
    assert response.status_code == 200, response.text
    return response.json()


def ids(mka1_mock, token="k", on_behalf_of=None):
    with client(mka1_mock, token, on_behalf_of) as http:
        response = http.get(PROMPTS)
    assert response.status_code == 200, response.text
    return [prompt["id"] for prompt in response.json()["data"]]


def record(path, name, value):
    with open(path, "a", encoding="utf-8") as file:
        file.write(f"{name} {value}\\n")
"""


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """pytester with a ``helpers`` module next to the inner tests."""
    pytester.makepyfile(helpers=HELPERS)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*LEAN, *args)


def recorded(path: Path) -> dict[str, str]:
    """The ``name value`` lines that inner tests recorded, as a dict."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(line.split(" ", 1) for line in lines)


# --------------------------------------------------------------------------- the fixture


def test_plugin_fixture_serves_the_official_sdk(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_sdk_roundtrip="""
        from mka1 import SDK


        def test_create_get_list(mka1_mock):
            with SDK(bearer_auth="k", server_url=mka1_mock.url) as sdk:
                created = sdk.llm.prompts.create(name="greeting", template="Hi {{name}}")
                fetched = sdk.llm.prompts.get(id=created.id, variables='{"name": "Ada"}')
                page = sdk.llm.prompts.list()

            assert created.id.startswith("prompt_")
            assert fetched.id == created.id
            assert fetched.name == "greeting"
            assert fetched.active_template == "Hi {{name}}"
            assert fetched.rendered_template == "Hi Ada"
            assert [prompt.id for prompt in page.data] == [created.id]
            assert page.has_more is False
            operations = [entry.operation_id for entry in mka1_mock.requests()]
            assert operations == ["createPrompt", "getPrompt", "listPrompts"]
            assert mka1_mock.violations() == []
        """
    )

    result = pytester.runpytest_subprocess()

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["plugins: *mka1-mock-*"])


def test_plugin_resets_state_journal_and_clock_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_reset="""
        from datetime import datetime, timezone

        from helpers import create, ids


        def create_one_and_list(mka1_mock):
            created = create(mka1_mock)
            assert ids(mka1_mock) == [created["id"]]
            return created


        def test_first(mka1_mock):
            assert mka1_mock.requests() == []
            mka1_mock.freeze("2020-01-02T03:04:05Z")

            created = create_one_and_list(mka1_mock)

            assert created["created_at"] == "2020-01-02T03:04:05Z"
            operations = [entry.operation_id for entry in mka1_mock.requests()]
            assert operations == ["createPrompt", "listPrompts"]


        def test_second(mka1_mock):
            assert mka1_mock.requests() == []
            assert mka1_mock.export() == {"prompts": []}
            assert mka1_mock.session.clock.frozen is False
            before = datetime.now(timezone.utc).replace(microsecond=0)

            created = create_one_and_list(mka1_mock)

            at = datetime.fromisoformat(created["created_at"].replace("Z", "+00:00"))
            assert before <= at <= datetime.now(timezone.utc)
            operations = [entry.operation_id for entry in mka1_mock.requests()]
            assert operations == ["createPrompt", "listPrompts"]
        """
    )

    result = run(pytester, "-v")

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_reset.py::test_first PASSED*", "*::test_second PASSED*"])


# --------------------------------------------------------------------------- the marker


def test_plugin_marker_fixtures_from_path_dict_and_list(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marker_fixtures=f"""
        import pytest

        from helpers import get, ids

        SHIPPED = {str(SHIPPED)!r}
        CLASSIFIER = {CLASSIFIER_ID!r}
        GREETING = {GREETING_ID!r}
        FROM_DICT = "prompt_" + "1" * 32
        DATA = {{
            "prompts": [
                {{
                    "owner": {{"token": "k"}},
                    "id": FROM_DICT,
                    "name": "from-dict",
                    "created_at": "2026-01-01T00:00:00Z",
                    "active_version": 1,
                    "versions": [{{"template": "v1"}}, {{"template": "v2"}}],
                }}
            ]
        }}


        @pytest.mark.mka1_mock(fixtures=SHIPPED)
        def test_path(mka1_mock):
            classifier = get(mka1_mock, CLASSIFIER, token="demo-key")

            assert ids(mka1_mock, "demo-key") == [CLASSIFIER]
            assert ids(mka1_mock, "demo-key", "user_123") == [GREETING]
            assert ids(mka1_mock, "k") == []
            assert classifier["name"] == "Customer Support Classifier"
            assert classifier["active_version"] == 2
            assert classifier["latest_version"] == 2
            assert classifier["created_at"] == "2026-03-15T10:30:00Z"
            assert classifier["active_template"].startswith("You are a customer support")


        def test_unmarked_sees_none_of_it(mka1_mock):
            assert ids(mka1_mock, "demo-key") == []
            assert ids(mka1_mock, "demo-key", "user_123") == []


        @pytest.mark.mka1_mock(fixtures=DATA)
        def test_dict(mka1_mock):
            prompt = get(mka1_mock, FROM_DICT)

            assert ids(mka1_mock, "k") == [FROM_DICT]
            assert ids(mka1_mock, "demo-key") == []
            assert prompt["name"] == "from-dict"
            assert prompt["active_version"] == 1
            assert prompt["latest_version"] == 2
            assert prompt["active_template"] == "v1"


        @pytest.mark.mka1_mock(fixtures=[SHIPPED, DATA])
        def test_list_of_sources(mka1_mock):
            assert ids(mka1_mock, "demo-key") == [CLASSIFIER]
            assert ids(mka1_mock, "k") == [FROM_DICT]
            assert len(mka1_mock.export()["prompts"]) == 3
        """
    )

    result = run(pytester)

    result.assert_outcomes(passed=4)


def test_plugin_marker_seed_repeats_ids(pytester: pytest.Pytester) -> None:
    out = pytester.path / "ids.txt"
    pytester.makepyfile(
        test_marker_seed=f"""
        import pytest

        from helpers import create, record

        OUT = {str(out)!r}


        def made(mka1_mock):
            created = create(mka1_mock)
            return created["id"] + "," + created["version"]["id"]


        @pytest.mark.mka1_mock(seed=7)
        def test_seed_7_first(mka1_mock):
            record(OUT, "seed7-first", made(mka1_mock))


        def test_unseeded(mka1_mock):
            record(OUT, "unseeded", made(mka1_mock))


        @pytest.mark.mka1_mock(seed=8)
        def test_seed_8(mka1_mock):
            record(OUT, "seed8", made(mka1_mock))


        @pytest.mark.mka1_mock(seed=7)
        def test_seed_7_again(mka1_mock):
            record(OUT, "seed7-again", made(mka1_mock))
        """
    )

    result = run(pytester)

    result.assert_outcomes(passed=4)
    ids = recorded(out)
    assert ids["seed7-first"] == ids["seed7-again"]
    assert len({ids["seed7-first"], ids["seed8"], ids["unseeded"]}) == 3


def test_plugin_marker_now_freezes_the_clock(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_marker_now="""
        from datetime import datetime, timezone

        import pytest

        from helpers import create

        NOW = "2026-03-15T10:30:00Z"


        @pytest.mark.mka1_mock(now=NOW)
        def test_now_text(mka1_mock):
            created = create(mka1_mock)

            assert created["created_at"] == NOW
            assert created["updated_at"] == NOW
            assert created["version"]["created_at"] == NOW
            [entry] = mka1_mock.requests("createPrompt")
            assert entry.response["created_at"] == NOW
            assert mka1_mock.session.clock.frozen is True


        @pytest.mark.mka1_mock(now=datetime(2026, 3, 15, 12, 30, tzinfo=timezone.utc))
        def test_now_datetime(mka1_mock):
            assert create(mka1_mock)["created_at"] == "2026-03-15T12:30:00Z"


        @pytest.mark.mka1_mock(seed=3, now=NOW)
        def test_now_with_seed_then_advance(mka1_mock):
            first = create(mka1_mock)
            mka1_mock.advance(90)
            second = create(mka1_mock)

            assert first["created_at"] == NOW
            assert second["created_at"] == "2026-03-15T10:31:30Z"
        """
    )

    result = run(pytester)

    result.assert_outcomes(passed=3)


def test_plugin_marker_now_also_dates_undated_marker_fixtures(pytester: pytest.Pytester) -> None:
    """A frozen test sees one time everywhere: undated seed data is created at ``now`` too."""
    pytester.makepyfile(
        test_marker_now_fixtures="""
        import pytest

        DATA = {"prompts": [{"owner": {"token": "k"}, "name": "undated",
                             "versions": [{"template": "v1"}]}]}


        @pytest.mark.mka1_mock(fixtures=DATA, seed=1, now="2026-03-15T10:30:00Z")
        def test_undated_fixture(mka1_mock):
            [prompt] = mka1_mock.export()["prompts"]
            assert prompt["created_at"] == "2026-03-15T10:30:00Z"
            assert prompt["updated_at"] == "2026-03-15T10:30:00Z"
            assert prompt["versions"][0]["created_at"] == "2026-03-15T10:30:00Z"
        """
    )

    result = run(pytester)

    result.assert_outcomes(passed=1)


# --------------------------------------------------------------------------- contract breaks


def test_plugin_fails_a_passing_test_whose_mock_broke_the_contract(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import pytest

        from mka1_mock.handlers.prompts import HANDLERS, get_prompt
        from mka1_mock.server import MockServer
        from mka1_mock.settings import Settings


        def drops_the_name(session, call):
            data = get_prompt(session, call)
            del data["name"]
            return data


        @pytest.fixture(scope="session")
        def mka1_mock_server():
            handlers = HANDLERS | {"getPrompt": drops_the_name}
            with MockServer(Settings(port=0), handlers=handlers) as server:
                yield server
        """
    )
    pytester.makepyfile(
        test_broken="""
        from helpers import PROMPTS, client, create, ids


        def test_code_that_tolerates_a_500(mka1_mock):
            created = create(mka1_mock)
            with client(mka1_mock) as http:
                response = http.get(f"{PROMPTS}/{created['id']}")
            # The code under test shrugs the 500 off, so the test body itself passes.
            assert response.status_code == 500


        def test_next_test_starts_without_violations(mka1_mock):
            assert ids(mka1_mock) == []
        """
    )

    result = run(pytester, "-rA")

    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_code_that_tolerates_a_500 _*",
            "mka1-mock sent 1 response(s) that broke openapi.yaml (each was replaced by a 500):",
            "GET /api/v1/llm/prompts/prompt_* (getPrompt) answered 200:",
            "  response.body.name: is required",
            "PASSED test_broken.py::test_next_test_starts_without_violations",
            "FAILED test_broken.py::test_code_that_tolerates_a_500*",
        ]
    )


# --------------------------------------------------------------------------- xdist


def test_plugin_gives_each_xdist_worker_its_own_server(pytester: pytest.Pytester) -> None:
    out = pytester.path / "workers.txt"
    pytester.makepyfile(
        test_parallel=f"""
        import os

        import pytest

        from helpers import create, ids, record

        OUT = {str(out)!r}


        @pytest.mark.parametrize("n", range(4))
        def test_alone_on_my_server(mka1_mock, n):
            created = create(mka1_mock, name=f"p{{n}}")
            assert ids(mka1_mock) == [created["id"]]
            worker = os.environ["PYTEST_XDIST_WORKER"]
            record(OUT, f"{{worker}}-{{n}}", f"{{os.getpid()}} {{mka1_mock.url}}")
        """
    )

    result = run(pytester, "-p", "xdist", "-n", "2")

    result.assert_outcomes(passed=4)
    runs = recorded(out)
    assert len(runs) == 4
    servers: dict[str, set[str]] = {}
    for key, value in runs.items():
        servers.setdefault(key.split("-")[0], set()).add(value)
    assert set(servers) <= {"gw0", "gw1"}
    # One process and one server per worker, and no two workers share a server.
    assert all(len(values) == 1 for values in servers.values()), servers
    urls = [next(iter(values)).split(" ")[1] for values in servers.values()]
    assert len(set(urls)) == len(servers)


# --------------------------------------------------------------------------- defaults


def test_plugin_fixtures_option_seeds_every_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_option_fixtures=f"""
        from helpers import PROMPTS, client, create, ids

        CLASSIFIER = {CLASSIFIER_ID!r}
        GREETING = {GREETING_ID!r}


        def test_first_sees_and_deletes(mka1_mock):
            assert ids(mka1_mock, "demo-key") == [CLASSIFIER]
            assert ids(mka1_mock, "demo-key", "user_123") == [GREETING]
            with client(mka1_mock, "demo-key") as http:
                assert http.delete(f"{{PROMPTS}}/{{CLASSIFIER}}").status_code == 200
            create(mka1_mock, token="demo-key")
            assert CLASSIFIER not in ids(mka1_mock, "demo-key")


        def test_second_sees_them_again(mka1_mock):
            assert ids(mka1_mock, "demo-key") == [CLASSIFIER]
            assert ids(mka1_mock, "demo-key", "user_123") == [GREETING]
            assert len(mka1_mock.export()["prompts"]) == 2
        """
    )

    result = run(pytester, f"--mka1-mock-fixtures={SHIPPED}")

    result.assert_outcomes(passed=2)


def test_plugin_ini_seed_repeats_ids_across_runs(pytester: pytest.Pytester) -> None:
    # The ini file also names a fixture file, relative to itself.
    data = pytester.mkdir("data")
    (data / "prompts.json").write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    pytester.makeini("[pytest]\nmka1_mock_seed = 7\nmka1_mock_fixtures = data/prompts.json\n")
    pytester.makeconftest(
        """
        def pytest_addoption(parser):
            parser.addoption("--out")
        """
    )
    pytester.makepyfile(
        test_ini_seed=f"""
        from helpers import create, ids, record


        def made(mka1_mock):
            assert ids(mka1_mock, "demo-key") == [{CLASSIFIER_ID!r}]
            first = create(mka1_mock, name="a")
            second = create(mka1_mock, name="b")
            return ",".join([first["id"], first["version"]["id"], second["id"]])


        def test_one(mka1_mock, pytestconfig):
            record(pytestconfig.getoption("out"), "one", made(mka1_mock))


        def test_two(mka1_mock, pytestconfig):
            record(pytestconfig.getoption("out"), "two", made(mka1_mock))
        """
    )
    runs = {}
    for name, extra in [("first", ()), ("second", ()), ("cli", ("--mka1-mock-seed=8",))]:
        out = pytester.path / f"{name}.txt"
        result = run(pytester, f"--out={out}", *extra)
        result.assert_outcomes(passed=2)
        runs[name] = recorded(out)

    first, second, cli = runs["first"], runs["second"], runs["cli"]
    # Each test restarts the sequence from the ini seed, and so does every run.
    assert first["one"] == first["two"] == second["one"] == second["two"]
    # The command-line option wins over the ini key.
    assert cli["one"] == cli["two"] != first["one"]


# --------------------------------------------------------------------------- registration


def test_plugin_registers_the_marker(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--markers")

    assert result.ret == 0
    result.stdout.fnmatch_lines(["@pytest.mark.mka1_mock(fixtures=None, seed=None, now=None): *"])


def test_plugin_marker_passes_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_strict="""
        import pytest


        @pytest.mark.mka1_mock(seed=1)
        def test_marked(mka1_mock):
            assert mka1_mock.session.ids.seed == 1
        """
    )

    result = run(pytester, "--strict-markers")

    result.assert_outcomes(passed=1)


def test_plugin_bad_ini_seed_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmka1_mock_seed = seven\n")
    pytester.makepyfile("def test_uses(mka1_mock):\n    assert mka1_mock.url\n")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*mka1_mock_seed must be a whole number, not 'seven'*"])
