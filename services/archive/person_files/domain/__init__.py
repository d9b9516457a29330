"""Pure rules of a person's file (一人一档): how events become entries, and the file's summary. No I/O, no drivers."""
