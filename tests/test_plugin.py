"""seglint.pytest_plugin: --ce-impl, --device, markers, fixtures and the opt-in Hypothesis profiles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from seglint import pytest_plugin

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ("-p", "seglint.pytest_plugin", "-p", "no:cacheprovider")

try:
    import torch

    HAS_CUDA = torch.cuda.is_available()
except ImportError:  # pragma: no cover
    HAS_CUDA = False

needs_no_cuda = pytest.mark.skipif(HAS_CUDA, reason="checks the skip that happens without CUDA")


@pytest.fixture(autouse=True)
def keep_hypothesis_profile():
    """In-process pytester runs may load another Hypothesis profile; restore ours afterwards."""
    name = settings.get_current_profile_name()
    yield
    settings.load_profile(name)


@pytest.fixture
def impl_test(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(
        mylosses="""
        import torch.nn.functional as F

        def ce(logits, target, **kwargs):
            return F.cross_entropy(logits.double(), target, **kwargs).to(logits.dtype)

        class Losses:
            @staticmethod
            def ce(logits, target, **kwargs):
                return F.cross_entropy(logits, target, **kwargs)

        NOT_CALLABLE = 3
        """,
        broken="""
        raise RuntimeError("boom at import")
        """,
        needs_missing="""
        import no_such_dependency_xyz
        """,
        test_impl="""
        import torch
        import torch.nn.functional as F

        def test_impl(ce_impl, ce_impl_is_reference, pytestconfig):
            z = torch.tensor([[2.0, 0.0, -1.0]])
            y = torch.tensor([0])
            assert torch.allclose(ce_impl(z, y), F.cross_entropy(z, y))
            expected = pytestconfig.getoption("seglint_ce_impl")
            if expected is None:
                assert ce_impl is F.cross_entropy and ce_impl_is_reference
            else:
                assert ce_impl.__module__ == "mylosses" and not ce_impl_is_reference
        """,
    )
    return pytester


# ---------------------------------------------------------------------------------------------------------
# --ce-impl
# ---------------------------------------------------------------------------------------------------------


def test_default_impl_is_torch_cross_entropy(impl_test):
    impl_test.runpytest(*PLUGIN).assert_outcomes(passed=1)


@pytest.mark.parametrize("spec", ["mylosses:ce", "mylosses:Losses.ce"])
def test_ce_impl_from_an_outside_module(impl_test, spec):
    # The module lives in the invocation directory, which is not on sys.path for a `pytest` run: the
    # plugin tries that directory (and the rootdir) when the module is not found on sys.path.
    result = impl_test.runpytest(*PLUGIN, f"--ce-impl={spec}")
    result.assert_outcomes(passed=1)
    assert f"ce-impl={spec}" in result.stdout.str()  # the report header names it


def test_ce_impl_found_through_pythonpath_ini(pytester):
    pytester.mkpydir("pkg")
    (pytester.path / "src").mkdir()
    (pytester.path / "src" / "otherlosses.py").write_text(
        "import torch.nn.functional as F\nce = F.cross_entropy\n", encoding="utf-8"
    )
    pytester.makeini("[pytest]\npythonpath = src\n")
    pytester.makepyfile("def test_x(ce_impl, ce_impl_is_reference):\n    assert ce_impl_is_reference\n")
    # The same object as F.cross_entropy: recognised as the reference.
    pytester.runpytest(*PLUGIN, "--ce-impl=otherlosses:ce").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_such_module_xyz:ce", "no module named 'no_such_module_xyz'"),
        ("mylosses:missing", "has no attribute 'missing'"),
        ("mylosses:Losses.missing", "has no attribute 'Losses.missing'"),
        ("mylosses:NOT_CALLABLE", "mylosses:NOT_CALLABLE is an object of type int, not a callable"),
        ("mylosses", "is not of the form MODULE:ATTR"),
        ("mylosses:", "is not of the form MODULE:ATTR"),
        (":ce", "is not of the form MODULE:ATTR"),
        ("broken:ce", "RuntimeError: boom at import"),
        ("needs_missing:ce", "No module named 'no_such_dependency_xyz'"),
    ],
)
def test_bad_ce_impl_is_a_usage_error(impl_test, spec, message):
    result = impl_test.runpytest(*PLUGIN, f"--ce-impl={spec}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = result.stderr.str()
    assert f"--ce-impl={spec!r}" in err and message in err, err


# ---------------------------------------------------------------------------------------------------------
# --device
# ---------------------------------------------------------------------------------------------------------

DEVICE_TEST = """
import pytest

def test_device(device):
    assert device in ("cpu", "cuda", "cuda:0", "cuda:1")

@pytest.mark.parametrize("device", ["meta"])
def test_own_parametrization(device):
    assert device == "meta"

def test_no_device():
    pass
"""


def collected_ids(pytester: pytest.Pytester, *args: str) -> list[str]:
    result = pytester.runpytest(*PLUGIN, "--collect-only", "-q", *args)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    return [line.split("::", 1)[1] for line in result.stdout.lines if "::" in line]


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        ((), ["test_device[cpu]", "test_device[cuda]"]),
        (("--device", "cpu"), ["test_device[cpu]"]),
        (("--device", "cuda"), ["test_device[cuda]"]),
        (("--device", "all"), ["test_device[cpu]", "test_device[cuda]"]),
        (("--device", "cuda,cpu"), ["test_device[cuda]", "test_device[cpu]"]),
        (
            ("--device", "cpu", "--device", "CPU", "--device", "cuda:1"),
            ["test_device[cpu]", "test_device[cuda:1]"],
        ),
    ],
)
def test_device_parametrization(pytester, args, ids):
    pytester.makepyfile(DEVICE_TEST)
    assert collected_ids(pytester, *args) == [*ids, "test_own_parametrization[meta]", "test_no_device"]


@needs_no_cuda
def test_cuda_is_a_counted_skip_without_cuda(pytester):
    pytester.makepyfile(DEVICE_TEST)
    result = pytester.runpytest(*PLUGIN, "--device", "cuda", "-rs", "-k", "test_device")
    result.assert_outcomes(skipped=1, deselected=2)
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *: CUDA not available"])


@needs_no_cuda
def test_default_devices_run_cpu_and_skip_cuda(pytester):
    pytester.makepyfile(DEVICE_TEST)
    result = pytester.runpytest(*PLUGIN, "-rs")
    result.assert_outcomes(passed=3, skipped=1)
    result.stdout.fnmatch_lines(["*CUDA not available*"])


def test_not_cuda_marker_deselects_cuda_parameters(pytester):
    pytester.makepyfile(DEVICE_TEST)
    result = pytester.runpytest(*PLUGIN, "--strict-markers", "-m", "not cuda")
    result.assert_outcomes(passed=3, deselected=1)


@pytest.mark.parametrize("value", ["gpu", "cuda:", "cpu,,cuda", "cuda:x", "CUDA:one"])
def test_invalid_device_is_a_usage_error(pytester, value):
    pytester.makepyfile(DEVICE_TEST)
    result = pytester.runpytest(*PLUGIN, "--device", value)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--device=* is not a valid device; choose from cpu, cuda, cuda:N, all*"])


def test_resolve_devices():
    assert pytest_plugin.resolve_devices(None) == ("cpu", "cuda")
    assert pytest_plugin.resolve_devices(["all", "cuda:0"]) == ("cpu", "cuda", "cuda:0")
    with pytest.raises(pytest.UsageError, match="'tpu'"):
        pytest_plugin.resolve_devices(["cpu,tpu"])


# ---------------------------------------------------------------------------------------------------------
# Markers
# ---------------------------------------------------------------------------------------------------------


def test_not_reference_deselects_reference_tests(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.reference
        def test_against_torch():
            pass

        def test_mathematics():
            pass
        """
    )
    result = pytester.runpytest(*PLUGIN, "--strict-markers", "-m", "not reference", "-v")
    result.assert_outcomes(passed=1, deselected=1)
    result.stdout.fnmatch_lines(["*test_mathematics PASSED*"])


def test_markers_are_listed(pytester):
    result = pytester.runpytest(*PLUGIN, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.reference: *", "@pytest.mark.cuda: *"])


# ---------------------------------------------------------------------------------------------------------
# Profiles and import cost
# ---------------------------------------------------------------------------------------------------------


def test_register_profiles():
    pytest_plugin.register_profiles()
    pytest_plugin.register_profiles()  # harmless twice
    ci = settings.get_profile("ci")
    assert ci.max_examples == 50 and ci.derandomize and ci.deadline is None and ci.database is None
    assert ci.print_blob
    dev = settings.get_profile("dev")
    assert dev.max_examples == 100 and dev.deadline is None and not dev.derandomize
    thorough = settings.get_profile("thorough")
    assert thorough.max_examples == 1000 and not thorough.derandomize and thorough.database is None
    assert "too_slow" in {h.name for h in thorough.suppress_health_check}
    debug = settings.get_profile("debug")
    assert debug.max_examples == 10 and debug.verbosity.name == "verbose"


def test_importing_the_plugin_is_cheap_and_loads_no_profile():
    code = (
        "import sys, seglint.pytest_plugin\n"
        "from hypothesis import settings\n"
        "assert 'torch' not in sys.modules, 'the plugin imported torch'\n"
        "assert 'dev' not in settings._profiles and 'thorough' not in settings._profiles\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({}, (), "dev"),
        ({"CI": "true"}, (), "ci"),
        ({"CI": "false"}, (), "dev"),
        ({"CI": "true", "HYPOTHESIS_PROFILE": "debug"}, (), "debug"),
        ({"CI": "true"}, ("--hypothesis-profile", "thorough"), "thorough"),
    ],
)
def test_root_conftest_selects_the_profile(pytester, monkeypatch, env, args, expected):
    for name in ("CI", "HYPOTHESIS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pytester.makeconftest((ROOT / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(
        f"""
        from hypothesis import settings

        def test_profile():
            assert settings.get_current_profile_name() == {expected!r}
        """
    )
    pytester.runpytest(*PLUGIN, *args).assert_outcomes(passed=1)
