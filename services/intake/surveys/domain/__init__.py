"""Pure survey rules (满意度测评): its questions from program.yaml, whole scores 1–5 for each, periods, aggregates."""
