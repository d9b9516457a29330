"""Settlement's process instances (实例心跳): each process's heartbeat, and whether a lease one of them took (a
month-end batch being processed) is still held — service-wide plumbing the chronic room's batches use.

No door: the heartbeat runs as a background loop (main.py). No events. Store: `instances`."""
