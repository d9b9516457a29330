"""The launcher's Kafka storage format step: a cluster id the storage tool's parser cannot mistake for an option,
and build failures reported without the local SCRAM passwords."""

from __future__ import annotations

import sys
from unittest import mock

import pytest

from tests.support.infra import load_launcher


def test_a_cluster_id_never_starts_with_a_dash_even_when_the_random_bytes_would_make_one() -> None:
    launcher = load_launcher()
    # 0xf8 encodes to "-" as the first URL-safe base64 character; the second draw does not.
    dashed, plain = bytes([0xF8]) + bytes(15), bytes([0x10]) + bytes(15)
    draws = iter([mock.Mock(bytes=dashed), mock.Mock(bytes=plain)])
    with mock.patch.object(launcher.uuid, "uuid4", side_effect=lambda: next(draws)):
        cluster_id = launcher._kafka_cluster_id()
    assert not cluster_id.startswith("-")
    assert len(cluster_id) == 22


def test_a_failed_build_step_names_the_command_without_its_passwords() -> None:
    launcher = load_launcher()
    cmd = [sys.executable, "-c", "import sys; print('password=leaked1'); sys.exit(3)",
           "--add-scram", "SCRAM-SHA-512=[name=admin,password=s3cr3tvalue]"]
    with pytest.raises(launcher.LauncherError) as failure:
        launcher._run_build(cmd, "probe")
    message = str(failure.value)
    assert "exit 3" in message and "name=admin" in message
    assert "s3cr3tvalue" not in message and "leaked1" not in message
