"""Starts the e2e tests' `tollgate` processes from a warm parent.

Each `tollgate run` or `release` spends 7 to 10 s of CPU importing
TensorFlow, TFX and Beam before it does anything; the suite starts about a
hundred of them, on two cores. A fork server (as multiprocessing's
"forkserver" start method works) imports those libraries once per test
worker, as the `tollgate` command would (pipeline/environment.py first, with
warnings kept off the terminal), and forks a child per command.

The child is the command, as `python -m MODULE ARGS` runs it: its own
process (its own pid, a kill ends it alone), its own environment, working
folder, stdin, stdout and stderr, and its exit code or signal reported back
as `subprocess.Popen` reports them, after its threads and exit handlers ran.
Only the import is shared; nothing runs in the parent but the imports. One
thing a child cannot have of its own: Python's string hash seed, which all
children of one server share (numpy's random state is drawn afresh). Tests of start-up itself (the CLI's and the
bad inputs' tests) still start `python -m pipeline.cli` cold.

    python -m tests.forkserver SOCKET
"""

from __future__ import annotations

import atexit
import json
import os
import runpy
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# What a `tollgate` command imports before its first step.
WARM = ("pipeline.cli.main", "pipeline.local.runner", "pipeline.definition.pipeline", "tests.crash",
        "tfx.orchestration.local.local_dag_runner", "tfx.orchestration.portable.launcher",
        "tensorflow_model_analysis", "tensorflow_transform", "tensorflow_data_validation")


def _child(request: dict, fds: list[int], inherited: list[socket.socket]) -> None:
    """In the forked child: becomes `python -m MODULE ARGS`; never returns."""
    code = 1
    try:
        for other in inherited:  # the server's, and other commands' answers
            other.close()
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        if "numpy" in sys.modules:  # a fresh draw, as a process of its own would have
            sys.modules["numpy"].random.seed()
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [request["module"], *request["args"]]
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, (int, type(None))):
            print(done.code, file=sys.stderr)
    except KeyboardInterrupt:  # as the interpreter ends on one: by SIGINT itself
        traceback.print_exc()
        code = -signal.SIGINT
    except BaseException:  # as the interpreter reports what ends a program
        traceback.print_exc()
    _exit_as_python_does(code)


def _exit_as_python_does(code: int) -> None:
    """What an interpreter does at its end, short of tearing its modules down:
    wait for its other threads, run the exit handlers, flush."""
    try:
        threading._shutdown()
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        if code == -signal.SIGINT:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        os._exit(code)


def serve(path: str) -> None:
    from pipeline.cli.main import _quiet_logging
    from pipeline.environment import prepare_process

    prepare_process()
    _quiet_logging()
    for name in WARM:
        __import__(name)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    print("ready", flush=True)
    waiting: dict[int, socket.socket] = {}
    chooser = selectors.DefaultSelector()
    chooser.register(listener, selectors.EVENT_READ)
    worker = os.getppid()
    while os.getppid() == worker:  # a test worker that died takes its server with it
        for _ in chooser.select(timeout=0.05):
            _start(listener, waiting)
        _reap(waiting)


def _start(listener: socket.socket, waiting: dict[int, socket.socket]) -> None:
    connection, _ = listener.accept()
    message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
    pid = os.fork()
    if pid == 0:
        _child(json.loads(message), fds, [listener, connection, *waiting.values()])
    for fd in fds:
        os.close(fd)
    _answer(connection, pid)
    waiting[pid] = connection


def _reap(waiting: dict[int, socket.socket]) -> None:
    while waiting:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        connection = waiting.pop(pid)
        _answer(connection, os.waitstatus_to_exitcode(status))
        connection.close()


def _answer(connection: socket.socket, number: int) -> None:
    try:
        connection.sendall(f"{number}\n".encode())
    except OSError:  # the test that asked has gone: the server serves the others on
        pass


class Forked:
    """A command started by the fork server, used as a `subprocess.Popen` with text pipes."""

    def __init__(self, server_path: str, module: str, args: list[str], env: dict, cwd: str):
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        stdin = os.open(os.devnull, os.O_RDONLY)
        self.connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.connection.connect(server_path)
        message = json.dumps({"module": module, "args": args, "env": env, "cwd": str(cwd)}).encode()
        socket.send_fds(self.connection, [message], [stdin, out_write, err_write])
        for fd in (stdin, out_write, err_write):
            os.close(fd)
        self._answers = b""
        self.pid = int(self._line(None))
        self.stdout, self.stderr = open(out_read), open(err_read)
        self.returncode: int | None = None

    def _line(self, deadline: float | None) -> str:
        while b"\n" not in self._answers:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired(str(self.pid), 0)
            self.connection.settimeout(left)
            try:
                got = self.connection.recv(64)
            except TimeoutError:
                raise subprocess.TimeoutExpired(str(self.pid), 0) from None
            if not got:
                raise RuntimeError("the fork server went away")
            self._answers += got
        line, self._answers = self._answers.split(b"\n", 1)
        return line.decode()

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        deadline = None if timeout is None else time.monotonic() + timeout
        read: dict[str, str] = {}
        readers = [threading.Thread(target=lambda n=name, s=stream: read.__setitem__(n, s.read()), daemon=True)
                   for name, stream in (("out", self.stdout), ("err", self.stderr))]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if reader.is_alive():
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
        self._wait(deadline)
        return read["out"], read["err"]

    def wait(self, timeout: float | None = None) -> int:
        return self._wait(None if timeout is None else time.monotonic() + timeout)

    def _wait(self, deadline: float | None) -> int:
        if self.returncode is None:
            self.returncode = int(self._line(deadline))
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkServer:
    """One per test worker: started on first use, stopped when the worker ends."""

    def __init__(self, folder):
        self.folder = folder
        self.path = str(folder / "forkserver.sock")
        self.process = subprocess.Popen([sys.executable, "-m", "tests.forkserver", self.path], cwd=REPO,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the fork server did not start (exit {self.process.wait()})")

    def start(self, module: str, args: list[str], env: dict, cwd) -> Forked:
        return Forked(self.path, module, args, env, cwd)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    serve(sys.argv[1])
