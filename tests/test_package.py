"""The public surface of the package: what ``import mka1_mock`` gives."""

from __future__ import annotations

from importlib import metadata

import mka1_mock


def test_all_is_sorted_and_pinned() -> None:
    assert mka1_mock.__all__ == sorted(mka1_mock.__all__)
    assert mka1_mock.__all__ == [
        "ApiError",
        "MockError",
        "MockServer",
        "Session",
        "Settings",
        "Spec",
        "StartupError",
        "__version__",
        "create_app",
    ]


def test_every_public_name_is_there() -> None:
    for name in mka1_mock.__all__:
        assert hasattr(mka1_mock, name), name


def test_version_has_one_source() -> None:
    from mka1_mock._version import __version__

    assert mka1_mock.__version__ == __version__ == metadata.version("mka1-mock")
