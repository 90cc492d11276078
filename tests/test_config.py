"""A search's settings in config.yaml: the network's architecture and norm travel with the protocol."""

from dataclasses import replace

import yaml

from actsearch.config import SearchConfig, settings_mismatch, write_settings


def test_arch_and_norm_round_trip_through_config_yaml(tmp_path):
    config = SearchConfig(train=replace(SearchConfig().train, arch="resmlp", norm="batch"))
    write_settings(str(tmp_path), config)
    stored = yaml.safe_load((tmp_path / "config.yaml").read_text())
    assert (stored["train"]["arch"], stored["train"]["norm"]) == ("resmlp", "batch")
    stored.pop("version")
    assert SearchConfig.from_dict(stored) == config
    assert settings_mismatch(str(tmp_path), config) is None
    other = SearchConfig(train=replace(config.train, norm="layer"))
    mismatch = settings_mismatch(str(tmp_path), other)
    assert (mismatch.key, mismatch.old, mismatch.new) == ("train.norm", "batch", "layer")


def test_a_config_yaml_written_before_arch_and_norm_reads_as_the_plain_mlp(tmp_path):
    """A run written before these settings existed resumes as the mlp without norms it was, and only as that."""
    config = SearchConfig()
    old = config.to_dict()
    del old["train"]["arch"], old["train"]["norm"]
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({**old, "version": "0.0"}))
    assert settings_mismatch(str(tmp_path), config) is None
    assert SearchConfig.from_dict(old) == config
    mismatch = settings_mismatch(str(tmp_path), SearchConfig(train=replace(config.train, arch="resmlp")))
    assert (mismatch.key, mismatch.old, mismatch.new) == ("train.arch", "mlp", "resmlp")
