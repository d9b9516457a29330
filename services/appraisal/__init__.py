"""appraisal (鉴定): expert pool, cases, opinions, conclusions, qualifications, provincial filings."""
