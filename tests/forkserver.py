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
as `subprocess.Popen` reports them. Only the import is shared; nothing runs
in the parent but the imports. Tests of start-up itself (the CLI's and the
bad inputs' tests) still start `python -m pipeline.cli` cold.

    python -m tests.forkserver SOCKET
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
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
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [request["module"], *request["args"]]
        import runpy

        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, (int, type(None))):
            print(done.code, file=sys.stderr)
    except BaseException:  # as the interpreter reports what ends a program
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
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
    while True:
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
    connection.sendall(f"{pid}\n".encode())
    waiting[pid] = connection


def _reap(waiting: dict[int, socket.socket]) -> None:
    while waiting:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        connection = waiting.pop(pid)
        connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
        connection.close()


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
        self.answers = self.connection.makefile("r")
        self.pid = int(self.answers.readline())
        self.stdout, self.stderr = open(out_read), open(err_read)
        self.returncode: int | None = None

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        read: dict[str, str] = {}
        readers = [threading.Thread(target=lambda n=name, s=stream: read.__setitem__(n, s.read()), daemon=True)
                   for name, stream in (("out", self.stdout), ("err", self.stderr))]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(timeout)
            if reader.is_alive():
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
        self.wait()
        return read["out"], read["err"]

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.connection.settimeout(timeout)
            try:
                self.returncode = int(self.answers.readline())
            except TimeoutError:
                raise subprocess.TimeoutExpired(str(self.pid), timeout) from None
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


if __name__ == "__main__":
    serve(sys.argv[1])
