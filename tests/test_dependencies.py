"""AutoGen and the OTLP exporters resolved together: autogen-core pins protobuf, and a second pip
call for the exporters can silently upgrade it past the pin."""

from __future__ import annotations

from importlib import metadata

from packaging.requirements import Requirement


def test_autogen_and_otlp_exporters_import_together_within_autogens_protobuf_pin():
    import autogen_core  # noqa: F401
    import google.protobuf
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter  # noqa: F401
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPExporter  # noqa: F401

    installed = metadata.version("protobuf")
    assert google.protobuf.__version__ == installed
    pins = [Requirement(r) for r in metadata.requires("autogen-core") or [] if r.startswith("protobuf")]
    for pin in pins:
        if pin.marker is None or pin.marker.evaluate():
            assert pin.specifier.contains(installed), f"protobuf {installed} breaks autogen-core's {pin}"
