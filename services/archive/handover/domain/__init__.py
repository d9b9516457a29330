"""Pure rules of the handover (移交): which persons' files it holds, the zip's layout, manifest and checksums, and
its verification. No I/O, no drivers."""
