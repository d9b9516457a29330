"""Pure rules of long-term care supervision: quotas and the patrol team."""
