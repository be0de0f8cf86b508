"""The command as a whole: plugins reached by name, nothing printed but its own output, a quick exit."""

import json
import subprocess
import sys

from tests.conftest import REPO

TOLLGATE = [sys.executable, "-m", "pipeline.cli"]


def test_backends_are_reached_by_name_not_by_import():
    probe = (
        "import sys; import pipeline.cli.main as m; assert 'kubeflow' not in sys.modules; "
        "commands = m.parser()._subparsers._group_actions[0].choices; "
        "assert {'compile', 'kubeflow'} <= set(commands); print('kubeflow' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"  # loaded when the parser was built


def test_a_command_that_loads_tensorflow_prints_only_its_own_output(tmp_path):
    # compile imports TFX, TensorFlow and google.api_core, which warn about
    # Python 3.11 and log at start-up; none of that may reach the terminal.
    out = tmp_path / "job.yaml"
    result = subprocess.run(
        [*TOLLGATE, "compile", "--target", "kubeflow", "--image", "registry/tollgate:1.2.3", "-o", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=240,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TOLLGATE_HOME": str(tmp_path / "home")},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{out}\n"
    assert result.stderr == ""
    assert out.exists()


def test_a_read_only_command_on_an_empty_home_prints_only_its_table(tmp_path):
    result = subprocess.run(
        [*TOLLGATE, "runs"], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TOLLGATE_HOME": str(tmp_path / "home")},
    )
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.split() == ["RUN", "START", "(UTC)", "SECS", "STATUS", "MODEL", "PUSHED"]


_PROGRAM = ("import atexit, sys; atexit.register(lambda: print('handler ran', file=sys.stderr)); "
            "from pipeline.cli.main import program; sys.argv[0] = 'tollgate'; program()")


def test_the_program_skips_only_the_teardown_not_exit_handlers_output_or_exit_code(tmp_path):
    def tollgate(*args):
        return subprocess.run([sys.executable, "-c", _PROGRAM, *args], cwd=REPO, capture_output=True, text=True,
                              timeout=120, env={"PATH": "/usr/bin:/bin", "TOLLGATE_HOME": str(tmp_path / "home")})

    listed = tollgate("runs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == []  # buffered output to a pipe arrives whole
    assert listed.stderr == "handler ran\n"
    refused = tollgate("approve", "5", "--by", "alice")
    assert refused.returncode == 2
    error = "tollgate: error: no model 5 in the metadata store; `tollgate runs` lists models"
    assert refused.stderr.splitlines() == [error, "handler ran"]
