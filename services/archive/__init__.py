"""archive (档案): one person, one file (一人一档): every document and decision about a person."""
